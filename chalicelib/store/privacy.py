"""Erasure in DynamoDB: suppression entries, the lead's removal, and the records around it
reduced to what the engine did (services/privacy.py decides what stays: domain/privacy.py).

| table | what an erasure does |
| --- | --- |
| `leads` | the record and the bookkeeping item (with the plan: nothing runs any more, the due index forgets it) deleted |
| `identities` | the lead's e-mail, phone and loan-number claims deleted; `erased#<HMAC>` entries added |
| `enrollments` | every item of the lead deleted (finished enrollments, library histories) |
| `touches`, `timeline`, `tasks` | rewritten through the given functions; their time to live kept |
| `imports` | job and chunk reports that quote the person redacted (files are dropped once planned) |
"""
from __future__ import annotations

from typing import Callable

from pynamodb.transactions import TransactWrite

from ..domain.privacy import redact, traces
from .ddb import connection
from .keys import identities
from .models import (ContactModel, EnrollmentModel, IdentityModel, LeadModel, SuppressionModel, TaskModel,
                     TimelineModel, TouchModel)
from .split import CONTACT_SUFFIX
from .tasks import task_model
from .timeline import timeline_model


def claims_of(lead: dict) -> list[str]:
    """The identities table's keys a lead may hold: e-mail, phone, LOS loan numbers."""
    return identities(lead.get("email"), lead.get("phone")) + [f"loan#{n}" for n in lead.get("loan_numbers") or []]


class PrivacyRepo:
    def suppress(self, keys: list[str], lead_id: str, at: str) -> None:
        """The suppression entries, before anything is removed: an erasure stopped half way
        still keeps the person out of marketing."""
        with SuppressionModel.batch_write() as batch:
            for key in keys:
                batch.save(SuppressionModel(key, lead_id=lead_id, at=at))

    def suppressed(self, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        return {m.identity: m.lead_id for m in SuppressionModel.batch_get(list(dict.fromkeys(keys)),
                                                                           consistent_read=True)}

    def erase_lead(self, lead: dict, tombstone: dict) -> None:
        """One transaction: the lead's two items and the claims it holds go, the tombstone comes."""
        lead_id = lead["lead_id"]
        held = [m.identity for m in IdentityModel.batch_get(claims_of(lead), consistent_read=True)
                if m.lead_id == lead_id]
        with TransactWrite(connection=connection()) as tx:
            tx.delete(LeadModel(lead_id), add_version_condition=False)
            tx.delete(ContactModel(lead_id + CONTACT_SUFFIX), add_version_condition=False)
            for key in held:
                tx.delete(IdentityModel(key), condition=IdentityModel.lead_id == lead_id)
            tx.save(timeline_model(lead_id, tombstone))

    def scrub(self, lead_id: str, touch: Callable[[dict], dict], item: Callable[[dict], dict],
              task: Callable[[dict], dict]) -> dict[str, int]:
        """Every record of the lead through the given functions (idempotent: run again after a
        failure, it rewrites nothing that is already reduced); its enrollments deleted."""
        counts = {"enrollments": 0, "touches": 0, "timeline": 0, "tasks": 0}
        with EnrollmentModel.batch_write() as batch:
            for m in EnrollmentModel.query(lead_id, attributes_to_get=["lead_id", "enrollment_id"]):
                batch.delete(EnrollmentModel(lead_id, m.enrollment_id))
                counts["enrollments"] += 1
        with TouchModel.batch_write() as batch:
            for m in TouchModel.query(lead_id):
                was = {**m.doc, "status": m.status, "history": list(m.history or [])}
                now = touch(was)
                if now != was:
                    batch.save(TouchModel(lead_id, m.touch_id, status=now["status"], expires_at=m.expires_at,
                                          doc={k: v for k, v in now.items() if k != "history"}, history=now["history"]))
                    counts["touches"] += 1
        with TimelineModel.batch_write() as batch:
            for m in TimelineModel.query(lead_id):
                now = item(m.item)
                if now != m.item:
                    batch.save(TimelineModel(lead_id, m.sk, item=now, expires_at=m.expires_at))
                    counts["timeline"] += 1
        with TaskModel.batch_write() as batch:
            for m in TaskModel.by_lead.query(lead_id):
                now = task(m.doc)
                if now != m.doc:
                    batch.save(task_model(now))
                    counts["tasks"] += 1
        return counts

    def forget_in_imports(self, words: list[str]) -> int:
        """Redact the person from the import reports still kept (90 days): a Scan of the imports
        table, paid once per erasure; returns the items rewritten."""
        from .imports import ImportModel

        if not words:
            return 0
        changed = 0
        for m in ImportModel.scan(attributes_to_get=["pk", "sk", "doc"]):
            if m.doc and traces(m.doc, words):
                ImportModel(m.pk, m.sk).update(actions=[ImportModel.doc.set(redact(m.doc, words))])
                changed += 1
        return changed
