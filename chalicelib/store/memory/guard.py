"""Guard rails in memory (store/guard.py): the book count, held mass sends, held rate quotes."""
from __future__ import annotations

import json
from bisect import insort
from datetime import datetime

from .tables import Tables, lock, page


class MemoryBookRepo:
    def __init__(self, tables: Tables):
        self._n, self._counted_at, self._t = 0, None, tables

    def add(self, n: int = 1) -> None:
        with lock:
            self._n += n

    def size(self) -> int:
        return self._n

    def state(self) -> tuple[int, str | None]:
        return self._n, self._counted_at

    def recount(self, now) -> int:
        with lock:
            self._n, self._counted_at = len(self._t.leads), now.isoformat()  # what the by_stage index counts
            return self._n


class MemoryHoldRepo:
    """Held mass sends (store/guard.py HoldRepo): batches counted once per part, tripped once,
    settled once, with their members."""

    def __init__(self):
        self._batches: dict[str, dict] = {}
        self._parts: dict[str, set] = {}
        self._members: dict[str, list[str]] = {}

    @staticmethod
    def _out(b: dict) -> dict:
        return {"batch_id": b["batch_id"], "status": b.get("status") or "counted", "sequence": b.get("sequence"),
                "run": b.get("run"), "leads": int(b.get("leads") or 0), "reason": b.get("reason"),
                "created_at": b.get("created_at"), "held_at": b.get("held_at"), "settled_at": b.get("settled_at"),
                "settled_by": b.get("settled_by"), "released": int(b.get("released") or 0),
                "discarded": int(b.get("discarded") or 0)}

    def count(self, batch_id: str, part: str, n: int, sequence: str, run: str, now: datetime) -> tuple[dict, bool]:
        with lock:
            parts = self._parts.setdefault(batch_id, set())
            b = self._batches.setdefault(batch_id, {"batch_id": batch_id, "created_at": now.isoformat()})
            if part in parts:
                return self._out(b), False
            parts.add(part)
            b.update(leads=int(b.get("leads") or 0) + n, sequence=sequence, run=run)
            return self._out(b), True

    def trip(self, batch_id: str, reason: str, now: datetime) -> bool:
        with lock:
            b = self._batches.setdefault(batch_id, {"batch_id": batch_id})
            if b.get("status"):
                return False
            b.update(status="held", reason=reason, held_at=now.isoformat())
            return True

    def settle(self, batch_id: str, status: str, now: datetime, by: str | None) -> bool:
        with lock:
            b = self._batches.get(batch_id)
            if not b or b.get("status") != "held":
                return False
            b.update(status=status, settled_at=now.isoformat(), settled_by=by or "api")
            return True

    def tally(self, batch_id: str, released: int = 0, discarded: int = 0) -> None:
        with lock:
            b = self._batches.setdefault(batch_id, {"batch_id": batch_id})
            b["released"] = int(b.get("released") or 0) + released
            b["discarded"] = int(b.get("discarded") or 0) + discarded

    def get(self, batch_id: str) -> dict | None:
        with lock:
            b = self._batches.get(batch_id)
            return self._out(b) if b else None

    def list(self, status: str | None = "held", limit: int = 100) -> list[dict]:
        with lock:
            out = [self._out(b) for b in self._batches.values()]
        if status is not None:
            out = [b for b in out if b["status"] == status]
        return sorted(out, key=lambda b: b.get("held_at") or b.get("created_at") or "", reverse=True)[:limit]

    def add_members(self, batch_id: str, lead_ids: list[str]) -> None:
        with lock:
            members = self._members.setdefault(batch_id, [])
            for lead_id in dict.fromkeys(lead_ids):
                if lead_id not in members:
                    insort(members, lead_id)

    def members(self, batch_id: str, start: dict | None = None, limit: int = 100) -> tuple[list[str], dict | None]:
        with lock:
            ids = list(self._members.get(batch_id, []))
        return page(ids, start, lambda i: {"pk": f"members#{batch_id}", "sk": i}, limit, lambda k: k["sk"])


class MemoryHeldQuoteRepo:
    def __init__(self):
        self._quotes: dict[str, dict] = {}

    def get(self, product: str) -> dict | None:
        with lock:
            q = self._quotes.get(product)
            return json.loads(json.dumps(q)) if q else None

    def put(self, quote: dict) -> None:
        with lock:
            self._quotes[quote["product"]] = json.loads(json.dumps({**quote, "rate": float(quote["rate"])}))

    def clear(self, product: str) -> None:
        with lock:
            self._quotes.pop(product, None)

    def all(self) -> list[dict]:
        with lock:
            return [json.loads(json.dumps(q)) for _, q in sorted(self._quotes.items())]
