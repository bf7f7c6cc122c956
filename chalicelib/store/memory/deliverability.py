"""Sender reputation in memory (store/deliverability.py)."""
from __future__ import annotations

from ...domain.reputation import COUNTERS
from .tables import dump, load, lock


class MemoryDeliverabilityRepo:
    def __init__(self):
        self._days: dict[tuple[str, str], dict[str, int]] = {}
        self._state: dict[str, tuple[str, int]] = {}
        self._bounced: dict[str, str] = {}

    def add(self, identity: str, day: str, counts: dict[str, int]) -> None:
        with lock:
            row = self._days.setdefault((identity, day), {c: 0 for c in COUNTERS})
            for c, n in counts.items():
                if c in COUNTERS:
                    row[c] += int(n)

    def read(self, identity: str, first_day: str) -> tuple[dict[str, dict], dict | None]:
        with lock:
            days = {d: dict(row) for (i, d), row in self._days.items() if i == identity and d >= first_day}
            raw = self._state.get(identity)
        return days, ({**load(raw[0]), "version": raw[1]} if raw else None)

    def put_state(self, identity: str, state: dict, version: int) -> bool:
        with lock:
            current = self._state.get(identity)
            if (current[1] if current else 0) != version:
                return False
            self._state[identity] = (dump({k: v for k, v in state.items() if k != "version"}), version + 1)
            return True

    def mark_bounced(self, key: str, at: str) -> None:
        with lock:
            self._bounced[key] = at

    def bounced(self, key: str) -> str | None:
        with lock:
            return self._bounced.get(key)
