"""Touch records in memory: claimed once, moved on by the claim's holder (store/touches.py)."""
from __future__ import annotations

from ..keys import RETRYABLE, history_entry, touch_doc
from .tables import Tables, dump, load, lock


def record(touch: dict, history: list[dict]) -> dict:
    return {"status": touch["status"], "doc": dump(touch_doc(touch)), "history": history}


def _dict(item: dict) -> dict:
    return {**load(item["doc"]), "status": item["status"], "history": [dict(h) for h in item["history"]]}


class MemoryTouchRepo:
    def __init__(self, tables: Tables):
        self._t = tables

    def claim(self, touch: dict, *, history: bool = True) -> bool:
        key = (touch["lead_id"], touch["touch_id"])
        with lock:
            current = self._t.touches.get(key)
            if current is not None and current["status"] not in RETRYABLE:
                return False
            past = list(current["history"]) if current else []
            self._t.touches[key] = record(touch, past + ([history_entry(touch)] if history else []))
        return True

    def mark(self, touch: dict, *, expect: str | None = None) -> bool:
        key = (touch["lead_id"], touch["touch_id"])
        with lock:
            current = self._t.touches.get(key)
            if expect and (current is None or current["status"] != expect):
                return False
            past = list(current["history"]) if current else []
            self._t.touches[key] = record(touch, past + [history_entry(touch)])
        return True

    def claim_sending(self, touch: dict) -> list[dict] | None:
        key = (touch["lead_id"], touch["touch_id"])
        with lock:
            current = self._t.touches.get(key)
            if current is not None and current["status"] not in RETRYABLE:
                return None
            prior = [dict(h) for h in current["history"]] if current else []
            self._t.touches[key] = record(touch, prior)
            return [dict(h) for h in prior]

    def put_sent(self, records: list[tuple[dict, list[dict]]]) -> int:
        with lock:
            for touch, prior in records:
                self._t.touches[(touch["lead_id"], touch["touch_id"])] = record(touch, list(prior) + [history_entry(touch)])
        return len(records)

    def get(self, lead_id: str, touch_id: str, *, consistent: bool = False) -> dict | None:
        with lock:
            item = self._t.touches.get((lead_id, touch_id))
            return _dict(item) if item else None

    def for_lead(self, lead_id: str) -> list[dict]:
        with lock:
            return [_dict(self._t.touches[k]) for k in sorted(k for k in self._t.touches if k[0] == lead_id)]

    def all(self) -> list[dict]:
        """Every touch (the simulator's audit; never a request path)."""
        with lock:
            return [_dict(i) for i in self._t.touches.values()]
