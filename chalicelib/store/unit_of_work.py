"""The unit of work in DynamoDB: what one decision changes (a lead's write set: its record and
bookkeeping, its plan, finished enrollments, touch decisions, timeline items, tasks) written
all-or-nothing in TransactWriteItems, many leads' sets in as few calls as fit.

A lead's bookkeeping and every change to its plan go into one update of its bookkeeping item
under that item's version, so a concurrent exit or a second scheduler never loses an update:
the loser gets Conflict (``commit``) or is dropped from its transaction (``commit_many``) and
decides again on what the store now holds.
"""
from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from . import plan
from .ddb import connection, is_conditional
from .enrollments import enrollment_model, rotations_changed, stored_doc, write_rotations
from .errors import Conflict
from .keys import grouped
from .leads import lead_writes
from ..domain.retention import DEFAULT_YEARS
from .models import ContactModel, EnrollmentModel
from .plan import is_live
from .split import CONTACT_SUFFIX
from .tasks import task_model
from .timeline import timeline_model
from .touches import touch_model
from .writeset import WriteSet


class _Stale(Exception):
    """A write set read before someone else changed its lead's plan or bookkeeping."""


class _Plans:
    """Each lead's plan as the write sets were decided on: (version, docs), from the lead dicts
    they carry when those were read with it, else read (consistently) in one BatchGetItem."""

    def __init__(self, sets: list[WriteSet]):
        self._base: dict[str, tuple[int | None, list[dict]]] = {}
        wanted = set()
        for ws in sets:
            for lead_id, es in ws.by_lead().items():
                if not any(plan.moves(e) for e in es):
                    continue
                lead = ws.as_read(lead_id, es)
                if lead is not None:
                    self._base.setdefault(lead_id, (lead.get("_contact_version"), lead["_plan"]))
                else:
                    wanted.add(lead_id)
        wanted -= set(self._base)
        if wanted:
            for m in ContactModel.batch_get([i + CONTACT_SUFFIX for i in wanted], consistent_read=True):
                lead_id = m.lead_id[:-len(CONTACT_SUFFIX)]
                self._base[lead_id] = (m.version, plan.unpack(m.plan, lead_id))

    def get(self, lead_id: str) -> tuple[int | None, list[dict]]:
        return self._base.get(lead_id, (None, []))


def _plan_updates(es: list[dict], base: list[dict]) -> list:
    """The bookkeeping item's update that puts the running ``es`` into the plan and takes the
    finished ones out, with the plan's place in the due index."""
    docs = {d["enrollment_id"]: d for d in base}
    for e in es:
        if is_live(e):
            docs[e["enrollment_id"]] = {**stored_doc(e), "lead_id": e["lead_id"]}
        else:
            docs.pop(e["enrollment_id"], None)
    kept = list(docs.values())
    blob, (shard, due) = plan.pack(kept), plan.entry(kept)
    return [ContactModel.plan.set(blob) if blob else ContactModel.plan.remove(),
            ContactModel.due_shard.set(shard) if shard else ContactModel.due_shard.remove(),
            ContactModel.due_at.set(due) if due else ContactModel.due_at.remove()]


def _actions(ws: WriteSet, team_settings: dict, plans: _Plans) -> list[tuple]:
    """One lead's write set as transaction actions: ("save" | "update" | "replace", model, the
    update's actions or the put's extra condition). Raises _Stale when the set was decided on an
    older plan or bookkeeping than the store has."""
    out: list[tuple] = []
    lead, contact_lead = ws.lead, None
    for model in (lead_writes(lead, team_settings) if lead is not None else []):
        if isinstance(model, ContactModel):
            contact_lead = model
        else:
            out.append(("save", model, None))
    groups = ws.by_lead()
    if contact_lead is not None:
        groups.setdefault(lead["lead_id"], [])
    for lead_id, es in groups.items():
        updates, expected = [], None
        bookkeeping = contact_lead is not None and lead_id == lead["lead_id"]
        if bookkeeping:
            updates.append(ContactModel.contact.set(contact_lead.contact))
            expected = lead.get("_contact_version")
        if any(plan.moves(e) for e in es):
            version, base = plans.get(lead_id)
            planned = {d["enrollment_id"] for d in base}
            if (bookkeeping and expected != version) or any(  # bookkeeping read before the plan moved
                    plan.from_plan(e) and e.get("_version") != version for e in es) or any(
                    e.get("_version") is None and e["enrollment_id"] in planned for e in es):  # new, yet there
                raise _Stale(lead_id)
            expected = version
            updates += _plan_updates(es, base)
        if updates:
            model = ContactModel(lead_id + CONTACT_SUFFIX)
            if expected is not None:
                model.version = expected
            out.append(("update", model, updates))
        for e in es:
            if plan.from_plan(e) and not is_live(e):
                # out of the plan into an item of its own; the plan's version is the guard (an item
                # left under the same id, by an event processed again long after, is replaced)
                out.append(("replace", enrollment_model(e), None))
            elif not plan.moves(e):  # finished without ever running: its own item, new or under its version
                out.append(("save", enrollment_model(e), None))
    years = team_settings.get("retention_years", DEFAULT_YEARS)
    out += [("save", touch_model(t, years), None) for t in ws.touches]
    out += [("save", timeline_model(item.get("lead_id") or ws.lead_id, item, item_id, years), None)
            for item, item_id in ws.timeline]
    out += [("save", task_model(task), None) for task in ws.tasks]
    extra = getattr(ws, "extra_actions", None)  # a write set that claims more (an import's identities)
    return out + (extra() if extra is not None else [])


_SENT_ORDER = (("save",), ("update", "replace"))  # PynamoDB sends puts, then updates


def _owners(actions: dict[int, list[tuple]]) -> list[int]:
    """Which write set each action of a transaction belongs to, in the order the request lists
    them (a cancellation's reasons come in that order)."""
    return [i for kinds in _SENT_ORDER for i, listed in actions.items() for k, _, _ in listed if k in kinds]


def _apply(tx, actions: list[tuple]) -> None:
    for kind, model, arg in actions:
        if kind == "update":
            tx.update(model, actions=list(arg))  # a copy: PynamoDB appends the version to it
        elif kind == "replace":  # the whole item, whatever version it had
            tx.update(model, actions=[EnrollmentModel.doc.set(model.doc)], add_version_condition=False)
        else:
            tx.save(model, condition=arg)


def _leads_of(ws: WriteSet) -> set[str]:
    """The leads whose bookkeeping item a write set may write."""
    return set(ws.by_lead()) | ({ws.lead["lead_id"]} if ws.lead else set())


class UnitOfWork:
    def __init__(self, team_settings: dict):
        self._team = team_settings  # a lead's index keys depend on it

    def commit(self, ws: WriteSet) -> None:
        """Write one lead's set in one TransactWriteItems call; Conflict when any part of it
        changed since it was read (nothing is written then)."""
        try:
            actions = _actions(ws, self._team, _Plans([ws]))
        except _Stale as exc:
            raise Conflict(str(exc)) from None
        if not actions:
            return
        try:
            with TransactWrite(connection=connection()) as tx:
                _apply(tx, actions)
        except TransactWriteError as exc:
            if is_conditional(exc):
                raise Conflict(ws.lead_id or "") from exc
            raise
        write_rotations(rotations_changed(ws.enrollments))

    def commit_many(self, sets: list[WriteSet], max_actions: int = 100) -> set[int]:
        """Write many leads' sets with as few TransactWriteItems calls as fit (100 actions
        each). A lead whose item changed under us is dropped from its transaction and the rest
        resubmitted; returns the indexes of the dropped sets (the caller decides them again).
        Each lead's writes stay all-or-nothing."""
        failed: set[int] = set()
        plans = _Plans(sets)
        actions: dict[int, list] = {}
        for i, ws in enumerate(sets):
            try:
                actions[i] = _actions(ws, self._team, plans)
            except _Stale:
                failed.add(i)
        for chunk in grouped([i for i in actions if actions[i]], lambda i: len(actions[i]), max_actions,
                             keys=lambda i: _leads_of(sets[i])):
            remaining = chunk
            for _ in range(4):
                if not remaining:
                    break
                try:
                    with TransactWrite(connection=connection()) as tx:
                        for i in remaining:
                            _apply(tx, actions[i])
                    remaining = []
                except TransactWriteError as exc:
                    reasons = exc.cancellation_reasons or []
                    owners = _owners({i: actions[i] for i in remaining})
                    bad = {owners[k] for k, r in enumerate(reasons)
                           if r is not None and r.code not in (None, "None") and k < len(owners)}
                    if not bad:
                        raise
                    failed |= bad
                    remaining = [i for i in remaining if i not in bad]
            failed |= set(remaining)
        write_rotations(rotations_changed([e for i, ws in enumerate(sets) if i not in failed for e in ws.enrollments]))
        return failed
