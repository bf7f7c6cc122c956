"""The unit of work in memory: a write set applied all-or-nothing under the lock, conditioned
as store/unit_of_work.py conditions DynamoDB's transaction (the contract suite holds them equal)."""
from __future__ import annotations

from bisect import insort

from .. import plan
from ..errors import Conflict
from ..keys import history_entry
from ..plan import from_plan, is_live
from ..writeset import WriteSet
from . import leads, timeline
from .tables import Tables, dump, load, lock
from .touches import record

NOT_STORED = ("_version", "_rotation", "_home", "market")  # as store/enrollments.py (the history stays inline here)


def _stored(e: dict) -> dict:
    return {k: v for k, v in e.items() if k not in NOT_STORED}


class MemoryUnitOfWork:
    def __init__(self, tables: Tables, team_settings: dict):
        self._t, self._team = tables, team_settings

    def commit(self, ws: WriteSet) -> None:
        with lock:
            if self._stale(ws):
                raise Conflict(ws.lead_id or "")
            self._apply(ws)

    def commit_many(self, sets: list[WriteSet], max_actions: int = 100) -> set[int]:
        failed = set()
        with lock:
            for i, ws in enumerate(sets):
                if self._stale(ws):
                    failed.add(i)
                else:
                    self._apply(ws)
        return failed

    def _stale(self, ws: WriteSet) -> bool:
        """Whether the set was decided on an older plan, bookkeeping or item than what is held.
        As DynamoDB's: a plan change is conditioned on the version of the lead as the set read
        it (its ``lead`` or ``read``, when it carries the plan), else on the current one."""
        if ws.lead is not None:
            try:
                leads.check_version(self._t, self._team, ws.lead)
            except Conflict:
                return True
        for lead_id, es in ws.by_lead().items():
            current = self._t.contacts.get(lead_id) or {}
            version = current.get("version")
            if any(plan.moves(e) for e in es):
                read = ws.as_read(lead_id, es)
                base = read.get("_contact_version") if read is not None else version
                running = {d["enrollment_id"] for d in load(current.get("plan") or "[]")}
                if base != version or any(from_plan(e) and e["_version"] != version for e in es) or any(
                        e.get("_version") is None and e["enrollment_id"] in running for e in es):
                    return True
            for e in es:
                if plan.moves(e):
                    continue  # the plan's version guards it
                held = self._t.enrollments.get((lead_id, e["enrollment_id"]))
                expected = e.get("_version")
                if (expected is None and held is not None) or (expected is not None and (
                        held is None or held["version"] != expected)):
                    return True
        return False

    def _write_plan(self, lead_id: str, es: list[dict], bump: bool = True) -> None:
        contact = self._t.contacts.get(lead_id) or {}
        docs = {d["enrollment_id"]: d for d in load(contact.get("plan") or "[]")}
        for e in es:
            if is_live(e):
                docs[e["enrollment_id"]] = _stored(e)
            else:
                docs.pop(e["enrollment_id"], None)
        kept = list(docs.values())
        if contact.get("shard"):
            self._t.due[contact["shard"]].remove((contact["due_at"], lead_id))
        shard, due = plan.entry(kept)
        self._t.contacts[lead_id] = {**contact, "plan": dump(sorted(kept, key=lambda d: d["enrollment_id"])) if kept else None,
                                     "shard": shard, "due_at": due, "version": contact.get("version", 0) + bump}
        if shard:
            insort(self._t.due[shard], (due, lead_id))

    def _apply(self, ws: WriteSet) -> None:
        written = None  # a lead whose bookkeeping this write moved a version on already
        if ws.lead is not None:
            if leads.parts(self._team, ws.lead)[1]:
                written = ws.lead["lead_id"]
            leads.put(self._t, self._team, ws.lead)
        for lead_id, es in ws.by_lead().items():
            if any(plan.moves(e) for e in es):  # DynamoDB writes both in one update: one version step
                self._write_plan(lead_id, es, bump=lead_id != written)
            for e in es:
                if is_live(e):  # read from the plan, as DynamoDB's for_lead reads it first
                    self._t.enrollments.pop((lead_id, e["enrollment_id"]), None)
                    continue
                # out of the plan: its entry replaces whatever was held under its id (version 1)
                current = None if from_plan(e) else self._t.enrollments.get((lead_id, e["enrollment_id"]))
                self._t.enrollments[(lead_id, e["enrollment_id"])] = {
                    "doc": dump(_stored(e)), "version": (current["version"] + 1) if current else 1}
        for t in ws.touches:
            self._t.touches[(t["lead_id"], t["touch_id"])] = record(t, [history_entry(t)])
        for item, item_id in ws.timeline:
            timeline.append(self._t, item.get("lead_id") or ws.lead_id, item, item_id)
        for task in ws.tasks:
            self._t.tasks[task["task_id"]] = dump(task)
