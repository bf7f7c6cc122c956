"""Erasure in memory, as store/privacy.py does it in DynamoDB: suppression entries, the lead's
record, bookkeeping, plan and claims removed with a tombstone left, the records around it
rewritten through the given functions."""
from __future__ import annotations

from typing import Callable

from .tables import Tables, dump, load, lock
from .timeline import append


class MemoryPrivacyRepo:
    def __init__(self, tables: Tables):
        self._t = tables

    def suppress(self, keys: list[str], lead_id: str, at: str) -> None:
        with lock:
            for key in keys:
                self._t.suppressions[key] = {"lead_id": lead_id, "at": at}

    def suppressed(self, keys: list[str]) -> dict[str, str]:
        with lock:
            return {k: self._t.suppressions[k]["lead_id"] for k in keys if k in self._t.suppressions}

    def erase_lead(self, lead: dict, tombstone: dict) -> None:
        lead_id = lead["lead_id"]
        with lock:
            self._t.leads.pop(lead_id, None)
            contact = self._t.contacts.pop(lead_id, None) or {}
            if contact.get("shard"):
                self._t.due[contact["shard"]].remove((contact["due_at"], lead_id))
            for key in [k for k, owner in self._t.identities.items() if owner == lead_id]:
                del self._t.identities[key]
            append(self._t, lead_id, tombstone)

    def scrub(self, lead_id: str, touch: Callable[[dict], dict], item: Callable[[dict], dict],
              task: Callable[[dict], dict]) -> dict[str, int]:
        counts = {"enrollments": 0, "touches": 0, "timeline": 0, "tasks": 0}
        with lock:
            for key in [k for k in self._t.enrollments if k[0] == lead_id]:
                del self._t.enrollments[key]
                counts["enrollments"] += 1
            for key, rec in self._t.touches.items():
                if key[0] != lead_id:
                    continue
                was = {**load(rec["doc"]), "status": rec["status"], "history": [dict(h) for h in rec["history"]]}
                now = touch(was)
                if now != was:
                    self._t.touches[key] = {**rec, "status": now["status"], "history": now["history"],
                                            "doc": dump({k: v for k, v in now.items() if k != "history"})}
                    counts["touches"] += 1
            rows = self._t.timeline.get(lead_id, [])
            for n, (sk, raw) in enumerate(rows):
                was = load(raw)
                now = item(was)
                if now != was:
                    rows[n] = (sk, dump(now))
                    counts["timeline"] += 1
            for task_id, raw in self._t.tasks.items():
                was = load(raw)
                if was.get("lead_id") == lead_id and task(was) != was:
                    self._t.tasks[task_id] = dump(task(was))
                    counts["tasks"] += 1
        return counts

    def forget_in_imports(self, words: list[str]) -> int:
        return 0  # the memory store holds no imports (the simulator makes its leads directly)
