"""Sequences on and off at run time (the console's switch), honoured by enrollment and by the
minute scheduler. A sequence's own ``enabled`` (in its module) is the deploy-time default; a
switch recorded in the store overrides it.

Every event and every scheduler run asks which sequences are off, so the answer is cached per
container for ``TTL_SECONDS``: a switch takes effect within that long everywhere, at once in
the process that flipped it.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime

from .context import Context

TTL_SECONDS = 30.0
_lock = threading.Lock()
_cache: dict = {"until": 0.0, "switches": None}


def switches(ctx: Context) -> dict[str, dict]:
    """sequence id -> {"enabled", "changed_at", "changed_by"} for every switched sequence."""
    with _lock:
        if _cache["switches"] is not None and time.monotonic() < _cache["until"]:
            return _cache["switches"]
    found = ctx.switches.all()
    with _lock:
        _cache.update(switches=found, until=time.monotonic() + TTL_SECONDS)
    return found


def sequences_off(ctx: Context) -> frozenset[str]:
    from ..sequences.catalog import SEQUENCES

    recorded = switches(ctx)
    return frozenset(sid for sid, seq in SEQUENCES.items()
                     if not recorded.get(sid, {}).get("enabled", seq.enabled))


def set_enabled(ctx: Context, sequence_id: str, enabled: bool, now: datetime, by: str | None) -> None:
    ctx.switches.put(sequence_id, enabled, now.isoformat(), by)
    forget()


def forget() -> None:
    """Drop the cached switches (after a change here; tests that start a new stand-in)."""
    with _lock:
        _cache.update(switches=None, until=0.0)
