"""Enrollments in memory, as DynamoDB holds them: the running ones in their lead's plan, on its
bookkeeping entry under its version, one due index entry per lead; the finished ones in entries
of their own. Writes go through the unit of work (memory/unit_of_work.py)."""
from __future__ import annotations

from datetime import datetime

from .. import plan
from ..plan import DUE_SHARD, HOME, URGENT_SHARD
from .tables import Tables, load, lock, page


def planned(t: Tables, lead_id: str) -> list[dict]:
    contact = t.contacts.get(lead_id)
    if not contact or not contact.get("plan"):
        return []
    return [{**d, "_version": contact["version"], "_home": HOME} for d in load(contact["plan"])]


class MemoryEnrollmentRepo:
    def __init__(self, tables: Tables):
        self._t = tables

    def for_lead(self, lead_id: str, lead: dict | None = None, consistent: bool = False) -> list[dict]:
        with lock:
            running = planned(self._t, lead_id)
            if lead is not None and "_plan" in lead:  # as read with the lead
                running = [{**d, "_version": lead.get("_contact_version"), "_home": HOME} for d in lead["_plan"]]
            finished = [{**load(item["doc"]), "_version": item["version"]}
                        for k, item in self._t.enrollments.items() if k[0] == lead_id]
            return sorted(running + finished, key=lambda e: e["enrollment_id"])

    def due(self, now_iso: str, page_size: int = 100, start: dict | None = None,
            urgent: bool = False) -> tuple[list[dict], dict | None]:
        with lock:
            rows = []
            for row in self._t.due[URGENT_SHARD if urgent else DUE_SHARD]:
                if row[0] > now_iso:
                    break
                rows.append(row)

            def key(row):
                return {"due_at": row[0], "lead_id": row[1]}

            out, nxt = page(rows, start, key, page_size, lambda k: (k["due_at"], k["lead_id"]))
            return [e for r in out for e in plan.due_by(planned(self._t, r[1]), now_iso)], nxt

    def next_due(self) -> datetime | None:
        with lock:
            firsts = [rows[0][0] for rows in self._t.due.values() if rows]
            return datetime.fromisoformat(min(firsts)) if firsts else None
