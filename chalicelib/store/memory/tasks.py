"""LO tasks in memory: created once, completed once, listed as DynamoDB's indexes list them."""
from __future__ import annotations

from datetime import datetime

from .tables import Tables, dump, load, lock


class MemoryTaskRepo:
    def __init__(self, tables: Tables):
        self._t = tables

    def put(self, task: dict) -> bool:
        with lock:
            if task["task_id"] in self._t.tasks:
                return False
            self._t.tasks[task["task_id"]] = dump(task)
        return True

    def get(self, task_id: str) -> dict | None:
        with lock:
            raw = self._t.tasks.get(task_id)
        return load(raw) if raw else None

    def complete(self, task_id: str, at: datetime, note: str | None) -> tuple[dict | None, bool]:
        with lock:
            doc = self.get(task_id)
            if doc is None:
                return None, False
            if doc["status"] == "done":
                return doc, False
            doc.update(status="done", completed_at=at.isoformat(), note=note)
            self._t.tasks[task_id] = dump(doc)
        return doc, True

    def update_open(self, task_id: str, changes: dict) -> dict | None:
        with lock:
            doc = self.get(task_id)
            if doc is None or doc["status"] != "open":
                return None
            doc.update(changes)
            self._t.tasks[task_id] = dump(doc)
        return doc

    def recent(self, lo_id: str, since_iso: str, limit: int = 100) -> list[dict]:
        with lock:
            docs = [load(raw) for raw in self._t.tasks.values()]
        docs = sorted((d for d in docs if d["lo_id"] == lo_id and d["created_at"] >= since_iso),
                      key=lambda d: (d["created_at"], d["task_id"]), reverse=True)
        return docs[:limit]

    def list(self, lo_id: str | None, status: str | None, lead_id: str | None = None,
             limit: int = 100) -> list[dict]:
        with lock:
            raws = list(self._t.tasks.values())
        if lo_id and status and not lead_id:  # the LO's day reads its open tasks often: parse only what may match
            raws = [r for r in raws if f'"status":{dump(status)}' in r and f'"lo_id":{dump(lo_id)}' in r]
        docs = [load(raw) for raw in raws]
        if lead_id or lo_id:
            field, value = ("lead_id", lead_id) if lead_id else ("lo_id", lo_id)
            docs = sorted((d for d in docs if d[field] == value), key=lambda d: (d["created_at"], d["task_id"]))
        return [d for d in docs if not status or d["status"] == status][:limit]
