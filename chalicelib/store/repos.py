"""Repositories: plain dicts in and out; the rest of the code never sees a table layout."""
from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from datetime import datetime
from functools import lru_cache

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.lead import email_key, name_keys
from ..domain.sweeps import sweep_keys
from .errors import Conflict, Duplicate  # noqa: F401  (raised here, re-exported)
from . import plan
from .history import pack as pack_history, unpack as unpack_history
from .plan import DUE_SHARD, URGENT_SHARD, due_shard, is_live
from .writeset import WriteSet  # noqa: F401  (re-exported: the scheduler builds them)
from .models import (ContactModel, EnrollmentModel, IdentityModel, LeadModel, RateModel, RotationModel, StatModel,
                     TaskModel, TimelineModel, TouchModel)
from .split import CONTACT_SUFFIX, changes, digest, merged, split_lead

@lru_cache(maxsize=1)
def _connection():
    from pynamodb.connection import Connection

    from ..config import settings

    return Connection(region=settings().region)


def _encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> dict | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, json.JSONDecodeError):
        raise ValueError("cursor") from None
    if not isinstance(value, dict):
        raise ValueError("cursor")
    return value


# -- leads -----------------------------------------------------------------------------------

SWEEP_KEYS = ("funded_md", "birthday_md", "wake_day", "refi_product", "refi_rate")
INDEX_KEYS = SWEEP_KEYS + ("name_key", "name_sort")  # computed from the lead; the record is re-keyed when they move


def index_keys(lead: dict, team_settings: dict) -> dict:
    return {**sweep_keys(lead, team_settings), **name_keys(lead)}


def _lead_model(lead: dict, team_settings: dict) -> LeadModel:
    record, _ = split_lead(lead)
    keys = index_keys(lead, team_settings)
    model = LeadModel(
        lead["lead_id"], doc=record, email_key=email_key(lead.get("email")),
        phone=lead.get("phone"), realtor_email_key=email_key((lead.get("realtor") or {}).get("email")),
        lo_id=lead["lo_id"], stage=lead["stage"], created_at=lead["created_at"], **keys,
    )
    if lead.get("_version") is not None:
        model.version = lead["_version"]
    return model


def _contact_model(lead: dict) -> ContactModel:
    _, contact = split_lead(lead)
    model = ContactModel(lead["lead_id"] + CONTACT_SUFFIX, contact=contact)
    if lead.get("_contact_version") is not None:
        model.version = lead["_contact_version"]
    return model


def _stored_keys(model: LeadModel) -> dict:
    return {k: getattr(model, k) for k in INDEX_KEYS}


def _lead_dict(model: LeadModel, contact: LeadModel | None = None) -> dict:
    out = merged(model.doc, contact.contact if contact is not None else None, model.version,
                 contact.version if contact is not None else None, _stored_keys(model))
    out["_plan"] = plan.unpack(contact.plan, model.lead_id) if contact is not None else []
    return out


def _with_contacts(models: list[LeadModel], consistent: bool = False) -> list[dict]:
    """Merge each lead record with its bookkeeping item (one BatchGetItem for a page)."""
    if not models:
        return []
    keys = [m.lead_id + CONTACT_SUFFIX for m in models]
    contacts = {c.lead_id: c for c in LeadModel.batch_get(keys, consistent_read=consistent)}
    return [_lead_dict(m, contacts.get(m.lead_id + CONTACT_SUFFIX)) for m in models]


def _written(lead: dict, writes: list) -> dict:
    """The lead as it now stands, after ``writes`` (the models just saved) went through."""
    record, contact = split_lead(lead)
    version, contact_version, keys = lead.get("_version"), lead.get("_contact_version"), lead.get("_keys")
    for model in writes:
        if isinstance(model, ContactModel):
            contact_version = model.version
        else:
            version, keys = model.version, digest(_stored_keys(model))
    out = merged(record, contact, version, contact_version)
    out["_keys"] = keys
    out["_plan"] = lead.get("_plan") or []  # a bookkeeping write leaves the plan as it was
    return out


def _lead_writes(lead: dict, team_settings: dict, *, rekey: bool = False) -> list:
    """The items a lead write puts: its record and/or its bookkeeping, only what changed (the
    record also when ``rekey`` and its sweep keys moved)."""
    record_changed, contact_changed = changes(lead)
    out = []
    if record_changed or (rekey and lead.get("_keys") != digest(index_keys(lead, team_settings))):
        out.append(_lead_model(lead, team_settings))
    if contact_changed:
        out.append(_contact_model(lead))
    return out


def _tx_write(tx, model) -> None:
    """A lead's write in a transaction: the record put whole, the bookkeeping updated in place
    (the plan beside it on the same item stays as it is)."""
    if isinstance(model, ContactModel):
        tx.update(model, actions=[ContactModel.contact.set(model.contact)])
    else:
        tx.save(model)


class LeadRepo:
    def __init__(self, team_settings: dict):
        self._team = team_settings

    def find_duplicate(self, email: str | None, phone: str | None, exclude: str | None = None) -> str | None:
        """The lead that owns this e-mail or phone: its identity item (read consistently), else,
        for a lead written before the identities table, the e-mail/phone index, whose answer
        is then claimed so the next lookup (and any racing create) meets the identity item."""
        for key in _identities(email, phone):
            try:
                owner = IdentityModel.get(key, consistent_read=True).lead_id
            except DoesNotExist:
                owner = self._legacy_owner(key, exclude)
            if owner and owner != exclude:
                return owner
        return None

    @staticmethod
    def _legacy_owner(key: str, exclude: str | None) -> str | None:
        kind, value = key.split("#", 1)
        index = LeadModel.by_email if kind == "email" else LeadModel.by_phone
        for hit in index.query(value, limit=2):
            if hit.lead_id == exclude:
                continue
            try:
                IdentityModel(key, lead_id=hit.lead_id).save(IdentityModel.identity.does_not_exist())
            except PutError as exc:
                if not _is_conditional(exc):
                    raise
            return hit.lead_id
        return None

    def with_realtor_email(self, email: str) -> list[str]:
        """The leads whose Realtor partner uses this address (a Realtor has many clients)."""
        return [hit.lead_id for hit in LeadModel.by_realtor_email.query(email_key(email))]

    def create(self, lead: dict) -> dict:
        """Write the lead and claim its e-mail and phone in one transaction: of two
        simultaneous creates of one person exactly one wins, the other gets Duplicate."""
        existing = self.find_duplicate(lead.get("email"), lead.get("phone"))  # the common, non-racing case
        if existing:
            raise Duplicate(existing)
        lead = {k: v for k, v in lead.items() if not k.startswith("_")}
        writes = _lead_writes(lead, self._team)
        try:
            with TransactWrite(connection=_connection()) as tx:
                for model in writes:
                    tx.save(model, condition=LeadModel.lead_id.does_not_exist())
                for key in _identities(lead.get("email"), lead.get("phone")):
                    tx.save(IdentityModel(key, lead_id=lead["lead_id"]),
                            condition=IdentityModel.identity.does_not_exist())
        except TransactWriteError as exc:
            if not _is_conditional(exc):
                raise
            raise self._refused(lead) from exc
        return _written(lead, writes)

    def _refused(self, lead: dict) -> Exception:
        """Why a condition cancelled a lead's transaction: another lead holds its e-mail or
        phone (Duplicate), or the lead changed under us (Conflict)."""
        owner = self.find_duplicate(lead.get("email"), lead.get("phone"), exclude=lead["lead_id"])
        return Duplicate(owner) if owner else Conflict(lead["lead_id"])

    def get(self, lead_id: str) -> dict | None:
        return self.get_many([lead_id]).get(lead_id)

    def get_many(self, lead_ids: list[str], consistent: bool = False) -> dict[str, dict]:
        ids = [i for i in dict.fromkeys(lead_ids) if not i.endswith(CONTACT_SUFFIX)]
        items = {m.lead_id: m for m in LeadModel.batch_get(ids + [i + CONTACT_SUFFIX for i in ids],
                                                           consistent_read=consistent)}
        return {i: _lead_dict(items[i], items.get(i + CONTACT_SUFFIX)) for i in ids if i in items}

    def lead_actions(self, lead: dict) -> int:
        """Items a write of this lead puts (0, 1 or 2): a transaction's size."""
        return len(_lead_writes(lead, self._team))

    def lead_writes(self, lead: dict) -> list:
        return _lead_writes(lead, self._team)

    def save(self, lead: dict, *, was: dict | None = None) -> dict:
        """Write what changed of the lead (its record, its bookkeeping, each under its own
        version), failing with Conflict if that part changed since it was read; the record is
        also rewritten when its sweep keys moved (re-keying).

        ``was`` is the lead as read: when its e-mail or phone changed, the identity items move
        in the same transaction (Duplicate if another lead took the new one meanwhile)."""
        writes = _lead_writes(lead, self._team, rekey=True)
        old = set(_identities((was or {}).get("email"), (was or {}).get("phone")))
        new = set(_identities(lead.get("email"), lead.get("phone")))
        if was is None or old == new:
            if len(writes) == 1:
                try:
                    if isinstance(writes[0], ContactModel):
                        writes[0].update(actions=[ContactModel.contact.set(writes[0].contact)])
                    else:
                        writes[0].save()
                except (PutError, UpdateError) as exc:
                    if _is_conditional(exc):
                        raise Conflict(lead["lead_id"]) from exc
                    raise
            elif writes:
                try:
                    with TransactWrite(connection=_connection()) as tx:
                        for model in writes:
                            _tx_write(tx, model)
                except TransactWriteError as exc:
                    if _is_conditional(exc):
                        raise Conflict(lead["lead_id"]) from exc
                    raise
            return _written(lead, writes)
        mine = IdentityModel.lead_id == lead["lead_id"]
        # Release only the claims this lead holds (a lead from before the identities table may
        # hold none, and its old address may since belong to someone else).
        held = [m.identity for m in IdentityModel.batch_get(list(old - new), consistent_read=True)
                if m.lead_id == lead["lead_id"]]
        try:
            with TransactWrite(connection=_connection()) as tx:
                for model in writes:
                    _tx_write(tx, model)
                for key in held:
                    tx.delete(IdentityModel(key), condition=mine)
                for key in new - old:
                    tx.save(IdentityModel(key, lead_id=lead["lead_id"]),
                            condition=IdentityModel.identity.does_not_exist() | mine)
        except TransactWriteError as exc:
            if not _is_conditional(exc):
                raise
            raise self._refused(lead) from exc
        return _written(lead, writes)

    def list(self, lo_id: str | None, stage: str | None, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        start = _decode_cursor(cursor)
        expected = {"lead_id"} | ({"lo_id", "created_at"} if lo_id else {"stage", "created_at"} if stage else set())
        if start is not None and (set(start) != expected or not all(
                isinstance(v, dict) and len(v) == 1 and isinstance(next(iter(v.values())), str) for v in start.values())):
            raise ValueError("cursor")  # a cursor from another listing, or made by hand
        if lo_id:
            cond = LeadModel.stage == stage if stage else None
            result = LeadModel.by_lo.query(lo_id, filter_condition=cond, limit=limit,
                                           last_evaluated_key=start, scan_index_forward=False)
        elif stage:
            result = LeadModel.by_stage.query(stage, limit=limit, last_evaluated_key=start,
                                              scan_index_forward=False)
        else:
            # An operator's listing, paged; sweeps never come here (they read sparse indexes).
            result = LeadModel.scan(limit=limit, last_evaluated_key=start,
                                    filter_condition=LeadModel.doc.exists())  # not the bookkeeping items
        items = _with_contacts(list(result))
        return items, _encode_cursor(result.last_evaluated_key)

    def names(self, prefix: str, limit: int = 50, lo_id: str | None = None,
              stage: str | None = None) -> list[tuple[str, str]] | None:
        """(lead id, folded "last first") of the leads whose folded name starts with ``prefix``
        (domain/lead.py name_fold), of this LO and stage when given, in name order, at most
        ``limit``: one Query of the name index (it carries the LO and the stage), never a
        Scan. None while a stack upgrading to the index has not run ``make reindex``."""
        from .guard import index_ready  # the guard store loads on first use, not at every cold start

        if not prefix:
            return []
        if not index_ready("leads/by_name"):
            return None
        cond = None
        for attr, value in ((LeadModel.lo_id, lo_id), (LeadModel.stage, stage)):
            if value:
                cond = (attr == value) if cond is None else cond & (attr == value)
        # pages of 1,000 keys (about 100 bytes each): a narrow LO or stage filter on a short
        # prefix reads a few pages, not one request per ``limit`` items
        result = LeadModel.by_name.query(prefix[0], LeadModel.name_sort.startswith(prefix), filter_condition=cond,
                                         limit=limit, page_size=1000)
        return [(m.lead_id, m.name_sort) for m in result]

    def query_index(self, index: str, key, min_range: float | None = None, page_size: int = 100,
                    start: dict | None = None) -> tuple[list[dict], dict | None, int]:
        """One page of a sparse sweep index, its range key at least ``min_range`` when given;
        returns (leads, next start key, items read)."""
        idx = getattr(LeadModel, index)
        cond = None
        if min_range is not None:
            range_key = next(name for name, attr in idx.Meta.attributes.items() if attr.is_range_key)
            cond = getattr(LeadModel, range_key) >= min_range
        result = idx.query(key, range_key_condition=cond, limit=page_size, last_evaluated_key=start)
        items = _with_contacts(list(result))
        return items, result.last_evaluated_key, result.total_count

    def rekey_all(self) -> tuple[int, int]:
        """Rewrite the records whose index keys (sweeps, name) are not what the lead now gives,
        such as every lead written before an index existed; returns (records read, rewritten).
        Each record is read with its bookkeeping (the wake-up day follows the last contact). A
        Scan, for ``make deploy`` (``cli reindex``), never a request path. A lead that changed
        meanwhile is skipped: its own write re-keyed it."""
        read = rewritten = 0
        page: list[LeadModel] = []

        def rekey_page() -> None:
            nonlocal rewritten
            for lead in _with_contacts(page):
                if lead["_keys"] == digest(index_keys(lead, self._team)):
                    continue
                try:
                    self.save(lead)
                    rewritten += 1
                except Conflict:
                    pass
            page.clear()

        for m in LeadModel.scan(filter_condition=LeadModel.doc.exists()):  # not the bookkeeping items
            read += 1
            page.append(m)
            if len(page) == 50:  # one BatchGetItem of their bookkeeping per 50 records
                rekey_page()
        rekey_page()
        return read, rewritten

    def all(self) -> list[dict]:
        """Every lead: a Scan, for the simulator's audit and operators' exports, never a request path."""
        models = {m.lead_id: m for m in LeadModel.scan()}
        return [_lead_dict(m, models.get(i + CONTACT_SUFFIX)) for i, m in models.items()
                if not i.endswith(CONTACT_SUFFIX)]


def _identities(email: str | None, phone: str | None) -> list[str]:
    return ([f"email#{email_key(email)}"] if email else []) + ([f"phone#{phone}"] if phone else [])


def _is_conditional(exc: Exception) -> bool:
    """A condition refused the write, or another transaction on the same item won: the caller
    re-reads and decides again. A throttled transaction is not that: it stays the retryable
    error it is."""
    cause = getattr(exc, "cause_response_code", None)
    if cause == "ConditionalCheckFailedException":
        return True
    if cause != "TransactionCanceledException":
        return False
    reasons = getattr(exc, "cancellation_reasons", None)
    if not reasons:
        return True  # older responses carry no reasons: keep the old reading
    codes = {r.code for r in reasons if r is not None and r.code not in (None, "None")}
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"}) and not codes & {
        "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}


# -- timeline --------------------------------------------------------------------------------

_arrivals = itertools.count()


def timeline_key(item: dict, item_id: str | None = None) -> str:
    """A timeline item's sort key: its time, then, so that what happened in one second reads
    back in the order it happened, the order of writing. An item with an id of its own (an
    event, an LOS milestone, an import row: the cause) keeps ``<time>#<id>``, which its
    once-only write depends on; the items written without one (what the cause led to) sort
    after it ("~" follows every id character), by the writer's clock in nanoseconds and a
    per-process counter, with a random tail."""
    if item_id:
        return f"{item['at']}#{item_id}"
    return f"{item['at']}#~{time.time_ns():016x}{next(_arrivals) % 4096:03x}{uuid.uuid4().hex[:8]}"


class TimelineRepo:
    def append(self, lead_id: str, item: dict, item_id: str | None = None, *, once: bool = False) -> bool:
        """Append one item; with ``once`` the same item_id is written at most once (dedupe)."""
        model = TimelineModel(lead_id, timeline_key(item, item_id), item=item)
        try:
            model.save(TimelineModel.sk.does_not_exist() if once else None)
        except PutError as exc:
            if once and _is_conditional(exc):
                return False
            raise
        return True

    def append_many(self, lead_id: str, items: list[dict]) -> None:
        with TimelineModel.batch_write() as batch:
            for item in items:
                batch.save(TimelineModel(lead_id, timeline_key(item), item=item))

    def list(self, lead_id: str) -> list[dict]:
        return [m.item for m in TimelineModel.query(lead_id)]


# -- tasks -----------------------------------------------------------------------------------

def _task_model(task: dict) -> TaskModel:
    return TaskModel(task["task_id"], lo_id=task["lo_id"], lead_id=task["lead_id"], created_at=task["created_at"],
                     status=task["status"], open_lo=task["lo_id"] if task["status"] == "open" else None, doc=task)


class TaskRepo:
    def put(self, task: dict) -> bool:
        """Create a task once (deterministic ids make redelivered events harmless)."""
        model = _task_model(task)
        try:
            model.save(TaskModel.task_id.does_not_exist())
        except PutError as exc:
            if _is_conditional(exc):
                return False
            raise
        return True

    def get(self, task_id: str) -> dict | None:
        try:
            return TaskModel.get(task_id).doc
        except DoesNotExist:
            return None

    def complete(self, task_id: str, at: datetime, note: str | None) -> tuple[dict | None, bool]:
        """Mark a task done once; returns (task, whether this call changed it)."""
        try:
            model = TaskModel.get(task_id)
        except DoesNotExist:
            return None, False
        doc = dict(model.doc)
        if doc["status"] == "done":
            return doc, False
        doc.update(status="done", completed_at=at.isoformat(), note=note)
        try:
            model.update(actions=[TaskModel.status.set("done"), TaskModel.doc.set(doc), TaskModel.open_lo.remove()],
                         condition=TaskModel.status != "done")
        except UpdateError as exc:
            if _is_conditional(exc):
                return doc, False
            raise
        return doc, True

    def reindex_open(self) -> tuple[int, int]:
        """Put open tasks written before the open index into it; returns (open read, indexed).
        A Scan, for ``make deploy`` (``cli reindex``), never a request path."""
        read = indexed = 0
        for m in TaskModel.scan(filter_condition=(TaskModel.status == "open") & TaskModel.open_lo.does_not_exist()):
            read += 1
            try:
                m.update(actions=[TaskModel.open_lo.set(m.lo_id)], condition=TaskModel.status == "open")
                indexed += 1
            except UpdateError as exc:
                if not _is_conditional(exc):
                    raise
        return read, indexed

    def recent(self, lo_id: str, since_iso: str, limit: int = 100) -> list[dict]:
        """Console (issue 15): one LO's tasks created since ``since_iso``, newest first."""
        return [m.doc for m in TaskModel.by_lo.query(lo_id, TaskModel.created_at >= since_iso, limit=limit,
                                                     scan_index_forward=False)]

    def list(self, lo_id: str | None, status: str | None, lead_id: str | None = None,
             limit: int = 100) -> list[dict]:
        """Tasks oldest first: a lead's, an LO's (the open ones from the sparse open index,
        whatever the LO's history), or an operator's listing."""
        from .guard import index_ready

        cond = TaskModel.status == status if status else None
        if lead_id:
            result = TaskModel.by_lead.query(lead_id, filter_condition=cond, limit=limit)
        elif lo_id and status == "open" and index_ready("tasks/by_open"):
            result = TaskModel.by_open.query(lo_id, limit=limit)
        elif lo_id:
            result = TaskModel.by_lo.query(lo_id, filter_condition=cond, limit=limit)
        else:
            result = TaskModel.scan(filter_condition=cond, limit=limit)
        return [m.doc for m in result]


# -- enrollments and touches -----------------------------------------------------------------

ROTATION_SUFFIX = "#rotation"  # enrollment ids have no "#": the history item never collides
ROTATION_KEPT = "rotation_kept"  # on the enrollment: its history is in the item beside it


_NOT_IN_DOC = ("_version", "_rotation", "_home", "rotation", "market")  # sequences.engine.TRANSIENT; a test holds them equal


def _stored_doc(enrollment: dict) -> dict:
    doc = {k: v for k, v in enrollment.items() if k not in _NOT_IN_DOC}
    if enrollment.get("rotation"):
        doc[ROTATION_KEPT] = True
    return doc


def _enrollment_model(enrollment: dict) -> EnrollmentModel:
    """The item of a finished enrollment, in no index; or, before a stack switches plans on, of a
    running one, in the enrollments table's due index."""
    due = enrollment.get("due_at") if is_live(enrollment) else None
    model = EnrollmentModel(enrollment["lead_id"], enrollment["enrollment_id"], doc=_stored_doc(enrollment),
                            due_shard=due_shard(enrollment) if due else None, due_at=due)
    if enrollment.get("_version") is not None and not plan.from_plan(enrollment):
        model.version = enrollment["_version"]
    return model


def _enrollment_dict(doc: dict, version: int | None, rotation: list | None = None, home: str | None = None) -> dict:
    out = dict(doc)
    out["_version"] = version
    if home:
        out["_home"] = home
    if out.pop(ROTATION_KEPT, None):
        out["rotation"] = rotation or []
        out["_rotation"] = digest({"r": out["rotation"]})  # as stored beside it: rewritten only if it changes
    # a history still inside the doc (written before the split) has no digest: the next save moves it out
    return out


def _planned(version: int | None, docs: list[dict], rotations: dict) -> list[dict]:
    return [_enrollment_dict(d, version, rotations.get(d["enrollment_id"]), plan.HOME) for d in docs]


def _rotations_for(docs: list[tuple[str, dict]]) -> dict[str, list]:
    """The library histories of the program enrollments among (lead_id, doc): one BatchGetItem."""
    keys = [(lead_id, d["enrollment_id"] + ROTATION_SUFFIX) for lead_id, d in docs if d.get(ROTATION_KEPT)]
    if not keys:
        return {}
    return {r.enrollment_id[:-len(ROTATION_SUFFIX)]: _rotation_of(r) for r in RotationModel.batch_get(keys)}


def _rotations_changed(enrollments: list[dict]) -> list[RotationModel]:
    """The history items to write: those of enrollments whose rotation changed since read."""
    return [RotationModel(e["lead_id"], e["enrollment_id"] + ROTATION_SUFFIX, history=pack_history(e["rotation"]))
            for e in enrollments if e.get("rotation") and e.get("_rotation") != digest({"r": e["rotation"]})]


def _rotation_of(model) -> list:
    """A history item's entries: packed, or a JSON list as written before packing."""
    return unpack_history(model.history) if model.history else (model.doc or [])


def _write_rotations(models: list[RotationModel]) -> None:
    """After the enrollments' transaction: one BatchWriteItem for every history that changed.
    Not in the transaction (it would cost twice its size in write units): if this write is
    lost, the next pick may repeat an item the borrower already had; nothing else depends on
    it. Logged, not raised, since the touches it records are decided and queued."""
    if not models:
        return
    try:
        with RotationModel.batch_write() as batch:
            for m in models:
                batch.save(m)
    except Exception:
        from ..observability import logger

        logger.exception("library history not written", extra={"enrollments": [m.enrollment_id for m in models]})


def _plans_on() -> bool:
    """Whether running enrollments go into their leads' plans (a fresh stack: always; an upgraded
    one once ``cli reindex`` has seen the last function of the older release gone)."""
    from .guard import PLANS_ON, index_ready  # imported on first use: not every Lambda writes enrollments

    return index_ready(PLANS_ON)


def _plans_drained() -> bool:
    """Whether no running enrollment is left in an item of its own (the old due index is empty)."""
    from .guard import PLANS_DRAINED, index_ready

    return index_ready(PLANS_DRAINED)


class _Stale(Exception):
    """A write set read before someone else changed its lead's plan or bookkeeping."""


class _Plans:
    """Each lead's plan as the write sets were decided on: (version, docs), from the lead dicts
    they carry when those were read with it, else read (consistently) in one BatchGetItem."""

    def __init__(self, sets: list[WriteSet], on: bool):
        self.on = on  # running enrollments go into plans (``_plans_on``)
        self._base: dict[str, tuple[int | None, list[dict]]] = {}
        wanted = set()
        for ws in sets:
            for lead_id, es in ws.by_lead().items():
                if not any(self.holds(e) for e in es):
                    continue
                lead = ws.as_read(lead_id, es)
                if lead is not None:
                    self._base.setdefault(lead_id, (lead.get("_contact_version"), lead["_plan"]))
                else:
                    wanted.add(lead_id)
        wanted -= set(self._base)
        if wanted:
            keys = [i + CONTACT_SUFFIX for i in wanted]
            for m in ContactModel.batch_get(keys, consistent_read=True):
                lead_id = m.lead_id[:-len(CONTACT_SUFFIX)]
                self._base[lead_id] = (m.version, plan.unpack(m.plan, lead_id))
            for lead_id in wanted - set(self._base):
                self._base[lead_id] = (None, [])

    def get(self, lead_id: str) -> tuple[int | None, list[dict]]:
        return self._base.get(lead_id, (None, []))

    def holds(self, e: dict) -> bool:
        """Whether saving this enrollment changes its lead's plan: it ran from there, or it runs
        and plans are on."""
        return plan.from_plan(e) or (self.on and is_live(e))


def _actions(ws: WriteSet, lead_repo: "LeadRepo | None", plans: _Plans) -> list[tuple]:
    """One lead's write set as transaction actions: ("save" | "update" | "delete", model, the
    update's actions or the put's extra condition).

    The lead's bookkeeping and every change to its plan go into one update of its bookkeeping
    item under that item's version; a finished enrollment gets its own item (new, or under the
    version it had); a live one still in an item of its own (written before plans) moves into
    the plan, its item deleted in the same transaction. Raises _Stale when the set was decided
    on an older plan or bookkeeping than the store has."""
    out: list[tuple] = []
    lead = ws.lead if lead_repo is not None else None
    contact_lead = None
    for model in (lead_repo.lead_writes(lead) if lead is not None else []):
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
        if any(plans.holds(e) for e in es):
            version, base = plans.get(lead_id)
            if bookkeeping and expected != version:  # the bookkeeping was read before the plan moved
                raise _Stale(lead_id)
            docs = {d["enrollment_id"]: d for d in base}
            if any(plan.from_plan(e) and e.get("_version") != version for e in es) or any(
                    e.get("_version") is None and e["enrollment_id"] in docs for e in es):  # new, yet there
                raise _Stale(lead_id)
            expected = version
            for e in es:
                if is_live(e) and plans.holds(e):
                    docs[e["enrollment_id"]] = {**_stored_doc(e), "lead_id": lead_id}
                else:
                    docs.pop(e["enrollment_id"], None)
            kept = list(docs.values())
            blob, (shard, due) = plan.pack(kept), plan.entry(kept)
            updates += [ContactModel.plan.set(blob) if blob else ContactModel.plan.remove(),
                        ContactModel.due_shard.set(shard) if shard else ContactModel.due_shard.remove(),
                        ContactModel.due_at.set(due) if due else ContactModel.due_at.remove()]
        if updates:
            model = ContactModel(lead_id + CONTACT_SUFFIX)
            if expected is not None:
                model.version = expected
            out.append(("update", model, updates))
        for e in es:
            if plan.from_plan(e) and not is_live(e):
                # out of the plan into an item of its own; the plan's version is the guard (an item
                # left under the same id, by an event processed again long after, is replaced)
                out.append(("replace", _enrollment_model(e), None))
            elif not plans.holds(e):  # finished, or running before plans are on: its own item
                out.append(("save", _enrollment_model(e), None))
            elif not plan.from_plan(e) and e.get("_version") is not None:  # written before plans: moves in
                gone = EnrollmentModel(lead_id, e["enrollment_id"])
                gone.version = e["_version"]
                out.append(("delete", gone, None))
    for t in ws.touches:
        out.append(("save", TouchModel(t["lead_id"], t["touch_id"], status=t["status"], doc=_touch_doc(t),
                                       history=[_history(t)]), None))
    for item, item_id in ws.timeline:
        out.append(("save", TimelineModel(item.get("lead_id") or ws.lead_id, timeline_key(item, item_id), item=item),
                    None))
    for task in ws.tasks:
        out.append(("save", _task_model(task), None))
    extra = getattr(ws, "extra_actions", None)  # a write set that claims more (an import's identities)
    return out + (extra() if extra is not None else [])


class EnrollmentRepo:
    def for_lead(self, lead_id: str, lead: dict | None = None) -> list[dict]:
        """Every enrollment of the lead: the live ones from its plan (from ``lead`` when it was
        read with it, else one GetItem), the finished ones from their items (one Query)."""
        models = list(EnrollmentModel.query(lead_id))
        rotations = {m.enrollment_id[:-len(ROTATION_SUFFIX)]: _rotation_of(m) for m in models
                     if m.enrollment_id.endswith(ROTATION_SUFFIX)}
        if lead is not None and "_plan" in lead:
            version, docs = lead.get("_contact_version"), lead["_plan"]
        else:
            try:
                contact = ContactModel.get(lead_id + CONTACT_SUFFIX)
                version, docs = contact.version, plan.unpack(contact.plan, lead_id)
            except DoesNotExist:
                version, docs = None, []
        planned = _planned(version, docs, rotations)
        ids = {e["enrollment_id"] for e in planned}
        items = [_enrollment_dict(m.doc, m.version, rotations.get(m.enrollment_id)) for m in models
                 if not m.enrollment_id.endswith(ROTATION_SUFFIX) and m.enrollment_id not in ids]
        return sorted(planned + items, key=lambda e: e["enrollment_id"])

    def due(self, now_iso: str, page_size: int = 100, start: dict | None = None,
            urgent: bool = False) -> tuple[list[dict], dict | None]:
        """One page of the leads with something due by ``now_iso`` (oldest first, from the urgent
        partition or the rest) as their due enrollments; the page's library histories in one
        BatchGetItem. Until ``cli reindex`` has moved every live enrollment into its lead's plan,
        the enrollments still in items of their own follow (the cursor says which index)."""
        shard = URGENT_SHARD if urgent else DUE_SHARD
        if start is not None and LEGACY in start:
            return self._legacy_due(now_iso, shard, page_size, start[LEGACY])
        result = ContactModel.by_due.query(shard, ContactModel.due_at <= now_iso, limit=page_size,
                                           last_evaluated_key=start)
        found, models = [], list(result)
        for m in models:
            lead_id = m.lead_id[:-len(CONTACT_SUFFIX)]
            found += [(lead_id, m.version, d) for d in plan.due_by(plan.unpack(m.plan, lead_id), now_iso)]
        rotations = _rotations_for([(lead_id, d) for lead_id, _, d in found])
        out = [e for _, version, d in found for e in _planned(version, [d], rotations)]
        nxt, read = result.last_evaluated_key, len(models)
        if nxt is None and not _plans_drained():  # the plans are read: on to what is left in items
            if read >= page_size:
                return out, {LEGACY: None}
            more, nxt = self._legacy_due(now_iso, shard, page_size - read, None)
            out += more
        return out, nxt

    @staticmethod
    def _legacy_due(now_iso: str, shard: str, page_size: int, start: dict | None) -> tuple[list[dict], dict | None]:
        result = EnrollmentModel.due.query(shard, EnrollmentModel.due_at <= now_iso, limit=page_size,
                                           last_evaluated_key=start)
        models = list(result)
        rotations = _rotations_for([(m.lead_id, m.doc) for m in models])
        nxt = result.last_evaluated_key
        return ([_enrollment_dict(m.doc, m.version, rotations.get(m.enrollment_id)) for m in models],
                {LEGACY: nxt} if nxt else None)

    def next_due(self) -> datetime | None:
        """The earliest due time in the index (the local clock stops there)."""
        times = [datetime.fromisoformat(m.due_at) for shard in (URGENT_SHARD, DUE_SHARD)
                 for m in ContactModel.by_due.query(shard, limit=1, scan_index_forward=True)]
        if not _plans_drained():
            times += [datetime.fromisoformat(m.due_at) for shard in (URGENT_SHARD, DUE_SHARD)
                      for m in EnrollmentModel.due.query(shard, limit=1, scan_index_forward=True)]
        return min(times) if times else None

    def save_all(self, enrollments: list[dict], lead: dict | None = None, lead_repo: LeadRepo | None = None,
                 touches: list[dict] = (), timeline: list[tuple[dict, str | None]] = (),
                 tasks: list[dict] = ()) -> None:
        """Write what one decision changed (enrollments, the lead, touch decisions, timeline
        items, tasks) in one TransactWriteItems call.

        The lead's plan and bookkeeping are conditioned on the version read, finished
        enrollments' items on theirs (new ones on not existing), so a concurrent exit or a
        second scheduler never loses an update: the loser gets Conflict and recomputes.
        """
        ws = WriteSet(enrollments, lead, list(touches), list(timeline), list(tasks))
        if ws.size(lead_repo) == 0:
            return
        try:
            actions = _actions(ws, lead_repo, _Plans([ws], _plans_on()))
        except _Stale as exc:
            raise Conflict(str(exc)) from None
        if not actions:
            return
        try:
            with TransactWrite(connection=_connection()) as tx:
                _apply(tx, actions)
        except TransactWriteError as exc:
            if _is_conditional(exc):
                raise Conflict(",".join(e["enrollment_id"] for e in enrollments)) from exc
            raise
        _write_rotations(_rotations_changed(enrollments))

    def save_many(self, sets: list["WriteSet"], lead_repo: LeadRepo, max_actions: int = 100) -> set[int]:
        """Write many leads' write sets with as few TransactWriteItems calls as fit (100 actions
        each). A lead whose item changed under us is dropped from its transaction and the rest
        resubmitted; returns the indexes of the dropped sets (the scheduler retries them next
        minute). Each lead's writes stay all-or-nothing."""
        failed: set[int] = set()
        plans = _Plans([ws for ws in sets if ws.size(lead_repo)], _plans_on())
        actions: dict[int, list] = {}
        for i, ws in enumerate(sets):
            if not ws.size(lead_repo):
                continue
            try:
                actions[i] = _actions(ws, lead_repo, plans)
            except _Stale:
                failed.add(i)
        for chunk in _transactions([i for i in actions if actions[i]], lambda i: len(actions[i]), max_actions,
                                   keys=lambda i: _leads_of(sets[i])):
            remaining = chunk
            for _ in range(4):
                if not remaining:
                    break
                try:
                    with TransactWrite(connection=_connection()) as tx:
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
        _write_rotations(_rotations_changed([e for i, ws in enumerate(sets) if i not in failed for e in ws.enrollments]))
        return failed

    def move_into_plans(self, passes: int = 3) -> tuple[int, int, int]:
        """Move every running enrollment still in an item of its own (written before plans) into
        its lead's plan; returns (leads, enrollments moved, enrollments left). Scans, for ``cli
        reindex``: a lead that keeps changing is read again, and a pass that moved anything is
        followed by another, so "left" is what the last Scan still found."""
        moved, leads_seen = 0, set()
        for _ in range(passes):
            stray = self._strays()
            if not stray:
                return len(leads_seen), moved, 0
            leads_seen |= stray
            for lead_id in sorted(stray):
                for _ in range(5):
                    running = [e for e in self.for_lead(lead_id) if is_live(e) and not plan.from_plan(e)]
                    try:
                        self.save_all(running)
                    except Conflict:
                        continue
                    moved += len(running)
                    break
        left = self._strays()
        return len(leads_seen), moved, len(left)

    @staticmethod
    def _strays() -> set[str]:
        return {m.lead_id for m in EnrollmentModel.scan(filter_condition=EnrollmentModel.doc.exists())
                if not m.enrollment_id.endswith(ROTATION_SUFFIX) and is_live(m.doc)}


LEGACY = "items"  # a due cursor's key while it reads live enrollments still in items of their own


def _transactions(items: list, size, max_actions: int = 100, keys=None) -> list[list]:
    """``items`` in order, grouped so each group's ``size`` adds up to at most ``max_actions``
    (TransactWriteItems takes 100 actions); an item larger than that goes alone. With ``keys``,
    items sharing a key go to different groups (a transaction may not write one item twice)."""
    groups, current, used, taken = [], [], 0, set()
    for item in items:
        n, mine = size(item), set(keys(item)) if keys else set()
        if current and (used + n > max_actions or mine & taken):
            groups.append(current)
            current, used, taken = [], 0, set()
        current.append(item)
        used += n
        taken |= mine
    return groups + ([current] if current else [])


def _leads_of(ws: WriteSet) -> set[str]:
    """The leads whose bookkeeping item a write set may write."""
    return set(ws.by_lead()) | ({ws.lead["lead_id"]} if ws.lead else set())


_SENT_ORDER = (("delete",), ("save",), ("update", "replace"))  # PynamoDB: deletes, then puts, then updates


def _owners(actions: dict[int, list[tuple]]) -> list[int]:
    """Which write set each action of a transaction belongs to, in the order the request lists
    them (a cancellation's reasons come in that order)."""
    return [i for kinds in _SENT_ORDER for i, listed in actions.items() for k, _, _ in listed if k in kinds]


def _apply(tx, actions: list[tuple]) -> None:
    """Actions as ``_actions`` lists them: (kind, model, the update's actions or a put's condition)."""
    for kind, model, arg in actions:
        if kind == "update":
            tx.update(model, actions=list(arg))  # a copy: PynamoDB appends the version to it
        elif kind == "replace":  # the whole item, whatever version it had
            tx.update(model, actions=[EnrollmentModel.doc.set(model.doc), EnrollmentModel.due_shard.remove(),
                                      EnrollmentModel.due_at.remove()], add_version_condition=False)
        elif kind == "delete":
            tx.delete(model)
        else:
            tx.save(model, condition=arg)


ORDER_ONLY = ("exit_on_stages",)  # what delivery reads from the queued order; the record would pay for it


def _touch_doc(touch: dict) -> dict:
    """The touch as its record keeps it: without the order's delivery-only fields, so the
    record stays under 1 KB (one write unit per claim and per "sent" mark)."""
    return {k: v for k, v in touch.items() if k not in ORDER_ONLY}


def _history(touch: dict) -> dict:
    return {"status": touch["status"], "at": touch["at"], "reason": touch.get("reason") or ""}


RETRYABLE = ("deferred", "retrying")


class TouchRepo:
    """The touch record is the exactly-once guard of delivery.

    States a delivery moves it through: (none | deferred | retrying) -> sending -> sent, or
    -> failed / retrying; held and suppressed are written instead of sending. Only one
    delivery can move a touch into ``sending`` (a conditional write), and only the holder of
    that claim moves it on (writes conditioned on ``sending``).
    """

    def claim(self, touch: dict, *, history: bool = True) -> bool:
        """Record a touch as being sent, once. False when it was already claimed.

        This conditional write is the exactly-once guard: SQS may deliver a message twice,
        only one delivery wins the write and sends. ``history=False`` writes the status
        without a timeline entry (the in-flight "sending" state).
        """
        model = TouchModel(touch["lead_id"], touch["touch_id"])
        actions = [TouchModel.status.set(touch["status"]), TouchModel.doc.set(_touch_doc(touch))]
        if history:
            actions.append(TouchModel.history.set((TouchModel.history | []).append([_history(touch)])))
        cond = (TouchModel.touch_id.does_not_exist() | TouchModel.status.is_in(*RETRYABLE))
        try:
            model.update(actions=actions, condition=cond)
        except UpdateError as exc:
            if _is_conditional(exc):
                return False
            raise
        return True

    def mark(self, touch: dict, *, expect: str | None = None) -> bool:
        """Record a later status of a claimed touch (sent, failed, retrying).

        With ``expect``, only while the record is still in that status (the claim holder's
        write); returns False when it is not.
        """
        model = TouchModel(touch["lead_id"], touch["touch_id"])
        actions = [TouchModel.status.set(touch["status"]), TouchModel.doc.set(_touch_doc(touch)),
                   TouchModel.history.set((TouchModel.history | []).append([_history(touch)]))]
        try:
            model.update(actions=actions, condition=(TouchModel.status == expect) if expect else None)
        except UpdateError as exc:
            if expect and _is_conditional(exc):
                return False
            raise
        return True

    def claim_sending(self, touch: dict) -> list[dict] | None:
        """Claim a touch for sending (``claim`` without a history entry); returns the history it
        had, for the "sent" record written with ``put_sent``, or None when already claimed."""
        model = TouchModel(touch["lead_id"], touch["touch_id"])
        try:
            model.update(actions=[TouchModel.status.set(touch["status"]), TouchModel.doc.set(_touch_doc(touch))],
                         condition=TouchModel.touch_id.does_not_exist() | TouchModel.status.is_in(*RETRYABLE))
        except UpdateError as exc:
            if _is_conditional(exc):
                return None
            raise
        return [dict(h) for h in (model.history or [])]  # the update's ALL_NEW answer

    def put_sent(self, records: list[tuple[dict, list[dict]]]) -> int:
        """Write a batch's "sent" records (each with the history its claim returned) in
        BatchWriteItem calls of 25: one write unit each, where a transaction costs two.
        Unconditional, and safe so: only the claim's holder writes a claimed touch, and the one
        other writer, the lease's "interrupted" mark, waits SEND_LEASE (two minutes), longer
        than a delivery batch may run (a test holds the lease above the function's timeout)."""
        with TouchModel.batch_write() as batch:
            for touch, prior in records:
                batch.save(TouchModel(touch["lead_id"], touch["touch_id"], status=touch["status"], doc=_touch_doc(touch),
                                      history=list(prior) + [_history(touch)]))
        return len(records)

    def get(self, lead_id: str, touch_id: str, *, consistent: bool = False) -> dict | None:
        try:
            m = TouchModel.get(lead_id, touch_id, consistent_read=consistent)
        except DoesNotExist:
            return None
        return {**m.doc, "status": m.status, "history": list(m.history or [])}

    def for_lead(self, lead_id: str) -> list[dict]:
        return [{**m.doc, "status": m.status, "history": list(m.history or [])}
                for m in TouchModel.query(lead_id)]

    def all(self) -> list[dict]:
        """Every touch: a Scan, for the simulator's audit, never a request path."""
        return [{**m.doc, "status": m.status, "history": list(m.history or [])} for m in TouchModel.scan()]


# -- analytics counters ----------------------------------------------------------------------

class StatsRepo:
    @staticmethod
    def actions(counts: dict[str, int]) -> list:
        from pynamodb.expressions.operand import Path

        from ..domain.analytics import COUNTERS

        # a declared counter by its attribute; a reason counter ("deferred_cap") by its name
        return [(getattr(StatModel, name) if name in COUNTERS else Path(name)).add(n) for name, n in counts.items()]

    # Counter items (pk, sk):
    #   "daily#<seq>", "<day>#<step>"  live: one ADD per (sequence, step) as things happen, so a
    #                                  date range reads the days asked for
    #   "total#<seq>", "<step>"        closed days, summed by the roll-up (``roll_up``)
    #   "rolled", "<seq>"              the last day the roll-up added into the totals (``through``)
    #   "seq#<seq>", "<step>" and "day#<seq>", "<day>#<step>": frozen, what stacks wrote before
    #                                  (each ADD to both), read beside the live items
    # A total is the frozen total + the rolled total + the live days after the roll-up's mark:
    # every ADD counted once, and an all-time view reads at most ROLL_EVERY_DAYS + 1 live days.
    DAILY, TOTAL, ROLLED, LEGACY_TOTAL, LEGACY_DAY = "daily#", "total#", "rolled", "seq#", "day#"
    ROLL_EVERY_DAYS = 7  # the nightly job rolls a sequence up once a week: most nights it reads one partition

    def add(self, sequence: str, step: str, counts: dict[str, int]) -> None:
        from ..clock import now  # the engine's clock: the day is its UTC day

        StatModel(f"{self.DAILY}{sequence}", f"{now().date().isoformat()}#{step}").update(
            actions=self.actions(counts))

    def add_all(self, grouped: dict[tuple[str, str], dict[str, int]]) -> None:
        """Plain ADD updates, outside any transaction: counters are hot items shared by every
        lead, and a transaction on them would conflict with every other lead's."""
        for (sequence, step), counts in grouped.items():
            self.add(sequence, step, counts)

    def rows(self, sequences=None) -> list[dict]:
        """Every counter per (sequence, step) since the stack began, reason counters included:
        the roll-up's marks (one Query), then per sequence its totals, its live days after the
        mark and its frozen totals (three Queries). Without ``sequences``, a Scan finds them
        (the simulator's report, never a request path)."""
        if sequences is None:
            sequences = self._sequences()
        for _ in range(3):
            # Strongly consistent reads, and the marks read again at the end: a roll-up that
            # committed meanwhile (it moves totals and mark together) would count a day twice
            # or not at all, so the rows are read again.
            marks = self._marks()
            out = []
            for seq in sequences:
                totals = list(_counter_items(f"{self.TOTAL}{seq}", consistent=True))
                after = StatModel.sk > (marks[seq] + "#\uffff") if seq in marks else None
                live = [(sk.split("#", 1)[1], nums)
                        for sk, nums in _counter_items(f"{self.DAILY}{seq}", after, consistent=True)]
                frozen = list(_counter_items(f"{self.LEGACY_TOTAL}{seq}"))
                out += [_stat_row(seq, step, nums) for step, nums in sorted(_summed(totals + live + frozen).items())]
            if self._marks() == marks:
                break
        return out

    def _marks(self) -> dict[str, str]:
        return {m.sk: m.through for m in StatModel.query(self.ROLLED, consistent_read=True)}

    def _sequences(self) -> list[str]:
        cond = (StatModel.pk.startswith(self.DAILY) | StatModel.pk.startswith(self.TOTAL)
                | StatModel.pk.startswith(self.LEGACY_TOTAL))
        return sorted({m.pk.split("#", 1)[1] for m in StatModel.scan(filter_condition=cond)})

    def roll_up(self, sequences, today: str) -> dict[str, int]:
        """Add the closed days (before ``today``, UTC) of each sequence whose mark is a week
        behind (or missing) into its totals and move its mark, conditioned on the mark as read:
        a second run, or two at once, adds nothing twice. The sequences share as few
        transactions as fit. Returns the days rolled per sequence whose mark moved."""
        from datetime import date, timedelta

        last = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
        due_by = (date.fromisoformat(today) - timedelta(days=self.ROLL_EVERY_DAYS + 1)).isoformat()
        marks = self._marks()
        plans = []  # (sequence, days rolled, the transaction's actions for it)
        for seq in sequences:
            rolled = marks.get(seq)
            if rolled and rolled > due_by:
                continue
            closed = (StatModel.sk.between((date.fromisoformat(rolled) + timedelta(days=1)).isoformat(), last + "#\uffff")
                      if rolled else StatModel.sk <= last + "#\uffff")
            days = list(_counter_items(f"{self.DAILY}{seq}", closed))
            actions = [(StatModel(f"{self.TOTAL}{seq}", step), self.actions(nums), None)
                       for step, nums in _summed([(sk.split("#", 1)[1], nums) for sk, nums in days]).items()]
            actions.append((StatModel(self.ROLLED, seq), [StatModel.through.set(last)],
                            StatModel.through == rolled if rolled else StatModel.through.does_not_exist()))
            plans.append((seq, len({sk.split("#", 1)[0] for sk, _ in days}), actions))
        out = {}
        for chunk in _transactions(plans, lambda plan: len(plan[2])):
            try:
                self._roll(chunk)
                out.update({seq: n for seq, n, _ in chunk})
                continue
            except TransactWriteError as exc:
                if not _is_conditional(exc):
                    raise
            for plan in chunk:  # a mark moved under us (another roll-up): each alone, that one skipped
                try:
                    self._roll([plan])
                    out[plan[0]] = plan[1]
                except TransactWriteError as exc:
                    if not _is_conditional(exc):
                        raise
        return out

    @staticmethod
    def _roll(plans: list) -> None:
        with TransactWrite(connection=_connection()) as tx:
            for _, _, actions in plans:
                for model, acts, cond in actions:
                    tx.update(model, actions=acts, condition=cond)

    PACE = "pace"  # sends released per scheduler minute: the paced budget's use across runs

    def pace_used(self, minute: str) -> dict[str, int]:
        try:
            m = StatModel.get(self.PACE, minute, consistent_read=True)
        except DoesNotExist:
            return {}
        return {c: int(getattr(m, f"pace_{c}") or 0) for c in ("email", "sms", "voice")}

    def pace_add(self, minute: str, counts: dict[str, int]) -> None:
        actions = [getattr(StatModel, f"pace_{c}").add(n) for c, n in counts.items() if n]
        if actions:
            StatModel(self.PACE, minute).update(actions=actions)

    # -- console (issue 15): a date range of the per-day counters ------------------------------
    def rows_between(self, sequences, first_day: str, last_day: str) -> list[dict]:
        """The counters of ``first_day``..``last_day`` (UTC, inclusive) summed per (sequence,
        step): one Query per sequence over the days asked for."""
        out = []
        days = StatModel.sk.between(first_day, last_day + "#\uffff")
        for seq in sequences:  # the frozen days of an older stack, and the live ones
            summed = _summed([(sk.split("#", 1)[1], nums) for prefix in (self.LEGACY_DAY, self.DAILY)
                              for sk, nums in _counter_items(f"{prefix}{seq}", days)])
            out += [_stat_row(seq, step, nums) for step, nums in sorted(summed.items())]
        return out


def _summed(rows: list[tuple[str, dict]]) -> dict[str, dict[str, int]]:
    """Counters added up per step."""
    out: dict[str, dict[str, int]] = {}
    for step, nums in rows:
        bucket = out.setdefault(step, {})
        for name, n in nums.items():
            bucket[name] = bucket.get(name, 0) + n
    return out


def _counter_names() -> tuple[str, ...]:
    from ..domain.analytics import COUNTERS

    return COUNTERS


def _stat_row(sequence: str, step: str, nums: dict) -> dict:
    return {"sequence": sequence, "step": step, **{n: int(nums.get(n) or 0) for n in _counter_names()},
            **{k: int(v) for k, v in nums.items() if k not in _counter_names() and v}}


def _counter_items(pk: str, sk_condition=None, *, consistent: bool = False):
    """(sort key, every number on the item) for one stats partition, read raw so that reason
    counters, which the model does not declare, come back too."""
    conn = StatModel._get_connection()
    start = None
    while True:
        page = conn.query(pk, range_key_condition=sk_condition, exclusive_start_key=start,
                          consistent_read=consistent)
        for item in page.get("Items", []):
            yield item["sk"]["S"], {k: int(float(v["N"])) for k, v in item.items() if "N" in v}
        start = page.get("LastEvaluatedKey")
        if not start:
            return


# -- rates -----------------------------------------------------------------------------------

class RateRepo:
    """Rate history per product, plus one partition holding each product's latest quote, so the
    nightly sweep and ``GET /rates`` read one item per product instead of scanning history."""
    LATEST = "#latest"  # product codes are [a-z0-9_], so this never collides

    def put(self, product: str, rate: float, as_of: str, source: str) -> None:
        RateModel(product, as_of, rate=rate, source=source).save()
        try:  # a back-filled older day must not replace a newer latest quote
            RateModel(self.LATEST, product, rate=rate, source=source, day=as_of).save(
                RateModel.day.does_not_exist() | (RateModel.day <= as_of))
        except PutError as exc:
            if not _is_conditional(exc):
                raise

    def latest(self, product: str) -> dict | None:
        try:
            return self._quote(RateModel.get(self.LATEST, product))
        except DoesNotExist:  # a product last stored before the latest partition existed
            return next(iter(self.history(product, limit=1)), None)

    def latest_all(self) -> list[dict]:
        return [self._quote(m) for m in RateModel.query(self.LATEST)]

    def history(self, product: str, limit: int = 52) -> list[dict]:
        return [{"product": m.product, "rate": float(m.rate), "as_of": m.as_of, "source": m.source}
                for m in RateModel.query(product, scan_index_forward=False, limit=limit)]

    @staticmethod
    def _quote(m: RateModel) -> dict:
        return {"product": m.as_of, "rate": float(m.rate), "as_of": m.day, "source": m.source}
