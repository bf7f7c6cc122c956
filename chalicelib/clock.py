"""Where "now" comes from: the wall clock when deployed, a virtual clock on the local stage.

The pure core never calls this; handlers read it once and pass ``now`` in.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        # whole seconds: times are compared as ISO strings in the due index
        return (datetime.now(timezone.utc) + self._offset).replace(microsecond=0)

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def set_offset(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset

    def start_at(self, instant: datetime) -> datetime:
        """Run from ``instant`` on (the virtual clock keeps moving with real time from there):
        tests, the simulator and ``TOUCHENGINE_CLOCK_START`` pick the day, never the machine."""
        if instant.tzinfo is None:
            raise ValueError("the clock starts at an aware instant (UTC)")
        self.set_offset(instant - datetime.now(timezone.utc))
        return self.now()


clock = Clock()


def now() -> datetime:
    return clock.now()
