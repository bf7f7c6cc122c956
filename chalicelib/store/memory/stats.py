"""Analytics counters, the scheduler's pace and sequence switches in memory (store/stats.py,
store/switches.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..keys import ROLL_EVERY_DAYS
from .tables import lock


class MemoryStatsRepo:
    """As DynamoDB's: live per-day counters, closed days rolled into totals behind a mark."""

    def __init__(self):
        self._totals: dict[tuple[str, str], dict[str, int]] = {}     # (sequence, step)
        self._rolled: dict[str, str] = {}                             # sequence -> last day rolled
        self._days: dict[tuple[str, str, str], dict[str, int]] = {}  # (sequence, UTC day, step)
        self._pace: dict[str, dict[str, int]] = {}

    @staticmethod
    def _add_into(row: dict, counts: dict) -> None:
        for name, n in counts.items():
            row[name] = row.get(name, 0) + n

    def add(self, sequence: str, step: str, counts: dict[str, int]) -> None:
        from ...clock import now

        day = now().date().isoformat()
        with lock:
            self._add_into(self._days.setdefault((sequence, day, step), {}), counts)

    def roll_up(self, sequences, today: str) -> dict[str, int]:
        last = (datetime.fromisoformat(today) - timedelta(days=1)).date().isoformat()
        due_by = (datetime.fromisoformat(today) - timedelta(days=ROLL_EVERY_DAYS + 1)).date().isoformat()
        out = {}
        with lock:
            for seq in sequences:
                rolled = self._rolled.get(seq, "")
                if rolled and rolled > due_by:
                    continue
                days = {day for (s, day, _) in self._days if s == seq and rolled < day < today}
                for (s, day, step), row in self._days.items():
                    if s == seq and day in days:
                        self._add_into(self._totals.setdefault((seq, step), {}), row)
                self._rolled[seq] = last
                out[seq] = len(days)
        return out

    def add_all(self, grouped: dict[tuple[str, str], dict[str, int]]) -> None:
        for (sequence, step), counts in grouped.items():
            self.add(sequence, step, counts)

    def pace_used(self, minute: str) -> dict[str, int]:
        with lock:
            return dict(self._pace.get(minute, {}))

    def pace_add(self, minute: str, counts: dict[str, int]) -> None:
        with lock:
            row = self._pace.setdefault(minute, {})
            for c, n in counts.items():
                if n:
                    row[c] = row.get(c, 0) + n

    @staticmethod
    def _row(sequence: str, step: str, nums: dict) -> dict:
        from ...domain.analytics import COUNTERS

        return {"sequence": sequence, "step": step, **{n: int(nums.get(n, 0)) for n in COUNTERS},
                **{k: int(v) for k, v in nums.items() if k not in COUNTERS and v}}

    def rows(self, sequences=None) -> list[dict]:
        summed: dict[tuple[str, str], dict[str, int]] = {}
        with lock:
            for (seq, step), row in self._totals.items():
                self._add_into(summed.setdefault((seq, step), {}), row)
            for (seq, day, step), row in self._days.items():
                if day > self._rolled.get(seq, ""):
                    self._add_into(summed.setdefault((seq, step), {}), row)
        return [self._row(seq, step, nums) for (seq, step), nums in sorted(summed.items())
                if sequences is None or seq in sequences]

    def rows_between(self, sequences, first_day: str, last_day: str) -> list[dict]:
        summed: dict[tuple[str, str], dict[str, int]] = {}
        with lock:
            for (seq, day, step), row in self._days.items():
                if seq in sequences and first_day <= day <= last_day:
                    bucket = summed.setdefault((seq, step), {})
                    for name, n in row.items():
                        bucket[name] = bucket.get(name, 0) + n
        return [self._row(seq, step, nums) for (seq, step), nums in sorted(summed.items())]


class MemorySwitchRepo:
    def __init__(self):
        self._items: dict[str, dict] = {}

    def all(self) -> dict[str, dict]:
        with lock:
            return {k: dict(v) for k, v in self._items.items()}

    def put(self, sequence_id: str, enabled: bool, changed_at: str, changed_by: str | None) -> None:
        with lock:
            self._items[sequence_id] = {"enabled": enabled, "changed_at": changed_at, "changed_by": changed_by}
