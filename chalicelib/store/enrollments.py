"""Enrollments in DynamoDB, read side: the running ones from their lead's plan (on its
bookkeeping item, store/plan.py), the finished ones from items of their own, and a program's
library history from the item beside its enrollment. Writes go through the unit of work."""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from . import plan
from .history import pack as pack_history, unpack as unpack_history
from .models import ContactModel, EnrollmentModel, RotationModel
from .plan import DUE_SHARD, URGENT_SHARD
from .split import CONTACT_SUFFIX, digest

ROTATION_SUFFIX = "#rotation"  # enrollment ids have no "#": the history item never collides
ROTATION_KEPT = "rotation_kept"  # on the enrollment: its history is in the item beside it
NOT_IN_DOC = ("_version", "_rotation", "_home", "rotation", "market")  # sequences.engine.TRANSIENT; a test holds them equal


def stored_doc(enrollment: dict) -> dict:
    doc = {k: v for k, v in enrollment.items() if k not in NOT_IN_DOC}
    if enrollment.get("rotation"):
        doc[ROTATION_KEPT] = True
    return doc


def enrollment_model(enrollment: dict) -> EnrollmentModel:
    """The item of a finished enrollment (it left its lead's plan)."""
    model = EnrollmentModel(enrollment["lead_id"], enrollment["enrollment_id"], doc=stored_doc(enrollment))
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
    return out


def _planned(version: int | None, docs: list[dict], rotations: dict) -> list[dict]:
    return [_enrollment_dict(d, version, rotations.get(d["enrollment_id"]), plan.HOME) for d in docs]


def _rotations_for(docs: list[tuple[str, dict]]) -> dict[str, list]:
    """The library histories of the program enrollments among (lead_id, doc): one BatchGetItem."""
    keys = [(lead_id, d["enrollment_id"] + ROTATION_SUFFIX) for lead_id, d in docs if d.get(ROTATION_KEPT)]
    if not keys:
        return {}
    return {r.enrollment_id[:-len(ROTATION_SUFFIX)]: unpack_history(r.history) for r in RotationModel.batch_get(keys)}


def rotations_changed(enrollments: list[dict]) -> list[RotationModel]:
    """The history items to write: those of enrollments whose rotation changed since read."""
    return [RotationModel(e["lead_id"], e["enrollment_id"] + ROTATION_SUFFIX, history=pack_history(e["rotation"]))
            for e in enrollments if e.get("rotation") and e.get("_rotation") != digest({"r": e["rotation"]})]


def write_rotations(models: list[RotationModel]) -> None:
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


class EnrollmentRepo:
    def for_lead(self, lead_id: str, lead: dict | None = None, consistent: bool = False) -> list[dict]:
        """Every enrollment of the lead: the live ones from its plan (from ``lead`` when it was
        read with it, else one GetItem), the finished ones from their items (one Query); with
        ``consistent``, both read what the last write left (a write whose answer was lost)."""
        models = list(EnrollmentModel.query(lead_id, consistent_read=consistent))
        rotations = {m.enrollment_id[:-len(ROTATION_SUFFIX)]: unpack_history(m.history) for m in models
                     if m.enrollment_id.endswith(ROTATION_SUFFIX)}
        if lead is not None and "_plan" in lead:
            version, docs = lead.get("_contact_version"), lead["_plan"]
        else:
            try:
                contact = ContactModel.get(lead_id + CONTACT_SUFFIX, consistent_read=consistent)
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
        BatchGetItem."""
        result = ContactModel.by_due.query(URGENT_SHARD if urgent else DUE_SHARD, ContactModel.due_at <= now_iso,
                                           limit=page_size, last_evaluated_key=start)
        found = []
        for m in result:
            lead_id = m.lead_id[:-len(CONTACT_SUFFIX)]
            found += [(lead_id, m.version, d) for d in plan.due_by(plan.unpack(m.plan, lead_id), now_iso)]
        rotations = _rotations_for([(lead_id, d) for lead_id, _, d in found])
        return [e for _, version, d in found for e in _planned(version, [d], rotations)], result.last_evaluated_key

    def next_due(self) -> datetime | None:
        """The earliest due time in the index (the local clock stops there)."""
        times = [datetime.fromisoformat(m.due_at) for shard in (URGENT_SHARD, DUE_SHARD)
                 for m in ContactModel.by_due.query(shard, limit=1, scan_index_forward=True)]
        return min(times) if times else None
