"""A lead's timeline in memory, sorted by the same keys as DynamoDB's."""
from __future__ import annotations

from bisect import insort

from ..keys import timeline_key
from .tables import Tables, dump, load, lock


def append(t: Tables, lead_id: str, item: dict, item_id: str | None = None, once: bool = False) -> bool:
    sk = timeline_key(item, item_id)
    with lock:
        rows = t.timeline.setdefault(lead_id, [])
        existing = [n for n, (k, _) in enumerate(rows) if k == sk]
        if existing:
            if once:
                return False
            rows.pop(existing[0])
        insort(rows, (sk, dump(item)))
    return True


class MemoryTimelineRepo:
    def __init__(self, tables: Tables):
        self._t = tables

    def append(self, lead_id: str, item: dict, item_id: str | None = None, *, once: bool = False) -> bool:
        return append(self._t, lead_id, item, item_id, once)

    def append_many(self, lead_id: str, items: list[dict]) -> None:
        for item in items:
            append(self._t, lead_id, item)

    def list(self, lead_id: str) -> list[dict]:
        with lock:
            return [load(raw) for _, raw in self._t.timeline.get(lead_id, [])]
