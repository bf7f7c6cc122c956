"""Where "now" comes from: the wall clock when deployed, a virtual clock on the local stage.

The pure core never calls this; handlers read it once and pass ``now`` in.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._held: datetime | None = None   # a held clock moves only when advanced
        self._lock = threading.Lock()

    def now(self) -> datetime:
        if self._held is not None:
            return self._held.replace(microsecond=0)
        # whole seconds: times are compared as ISO strings in the due index
        return (datetime.now(timezone.utc) + self._offset).replace(microsecond=0)

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            if self._held is not None:
                self._held += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)
        return self.now()

    def hold(self, instant: datetime | None) -> None:
        """Stop the clock at ``instant`` (it then moves only by ``advance``), or let it run on
        with real time from where it stands (None). The simulator holds it: a run must not
        depend on how fast the machine is, so a seed gives the same year every time."""
        with self._lock:
            if instant is None and self._held is not None:
                self._offset = self._held - datetime.now(timezone.utc)
            self._held = instant

    def set_offset(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset

    def start_at(self, instant: datetime) -> datetime:
        """Run from ``instant`` on (the virtual clock keeps moving with real time from there):
        tests, the simulator and ``TOUCHENGINE_CLOCK_START`` pick the day, never the machine."""
        if instant.tzinfo is None:
            raise ValueError("the clock starts at an aware instant (UTC)")
        with self._lock:
            if self._held is not None:
                self._held = instant
        self.set_offset(instant - datetime.now(timezone.utc))
        return self.now()


clock = Clock()


def now() -> datetime:
    return clock.now()
