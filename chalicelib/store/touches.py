"""Touch records in DynamoDB: the exactly-once guard of delivery and each touch's history."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from ..domain.retention import DEFAULT_YEARS, expires_at
from .ddb import is_conditional
from .keys import RETRYABLE, history_entry, touch_doc
from .models import TouchModel


def touch_model(t: dict, years: int = DEFAULT_YEARS) -> TouchModel:
    """A touch decided in a write set (scheduled, deferred, suppressed, held): its first record."""
    return TouchModel(t["lead_id"], t["touch_id"], status=t["status"], doc=touch_doc(t), history=[history_entry(t)],
                      expires_at=expires_at(t["at"], years))


def _dict(m: TouchModel) -> dict:
    return {**m.doc, "status": m.status, "history": list(m.history or [])}


class TouchRepo:
    """The touch record is the exactly-once guard of delivery.

    States a delivery moves it through: (none | deferred | retrying) -> sending -> sent, or
    -> failed / retrying; held and suppressed are written instead of sending. Only one
    delivery can move a touch into ``sending`` (a conditional write), and only the holder of
    that claim moves it on (writes conditioned on ``sending``).

    Every write sets the record's time to live: ``retention_years`` after that decision.
    """

    def __init__(self, retention_years: int = DEFAULT_YEARS):
        self._years = retention_years

    def _expiry(self, touch: dict):
        return TouchModel.expires_at.set(expires_at(touch["at"], self._years))

    def claim(self, touch: dict, *, history: bool = True) -> bool:
        """Record a touch as being sent, once. False when it was already claimed.

        This conditional write is the exactly-once guard: SQS may deliver a message twice,
        only one delivery wins the write and sends. ``history=False`` writes the status
        without a timeline entry (the in-flight "sending" state).
        """
        model = TouchModel(touch["lead_id"], touch["touch_id"])
        actions = [TouchModel.status.set(touch["status"]), TouchModel.doc.set(touch_doc(touch)), self._expiry(touch)]
        if history:
            actions.append(TouchModel.history.set((TouchModel.history | []).append([history_entry(touch)])))
        cond = (TouchModel.touch_id.does_not_exist() | TouchModel.status.is_in(*RETRYABLE))
        try:
            model.update(actions=actions, condition=cond)
        except UpdateError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def mark(self, touch: dict, *, expect: str | None = None) -> bool:
        """Record a later status of a claimed touch (sent, failed, retrying).

        With ``expect``, only while the record is still in that status (the claim holder's
        write); returns False when it is not.
        """
        model = TouchModel(touch["lead_id"], touch["touch_id"])
        actions = [TouchModel.status.set(touch["status"]), TouchModel.doc.set(touch_doc(touch)), self._expiry(touch),
                   TouchModel.history.set((TouchModel.history | []).append([history_entry(touch)]))]
        try:
            model.update(actions=actions, condition=(TouchModel.status == expect) if expect else None)
        except UpdateError as exc:
            if expect and is_conditional(exc):
                return False
            raise
        return True

    def claim_sending(self, touch: dict) -> list[dict] | None:
        """Claim a touch for sending (``claim`` without a history entry); returns the history it
        had, for the "sent" record written with ``put_sent``, or None when already claimed."""
        model = TouchModel(touch["lead_id"], touch["touch_id"])
        try:
            model.update(actions=[TouchModel.status.set(touch["status"]), TouchModel.doc.set(touch_doc(touch)),
                                  self._expiry(touch)],
                         condition=TouchModel.touch_id.does_not_exist() | TouchModel.status.is_in(*RETRYABLE))
        except UpdateError as exc:
            if is_conditional(exc):
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
                batch.save(TouchModel(touch["lead_id"], touch["touch_id"], status=touch["status"], doc=touch_doc(touch),
                                      history=list(prior) + [history_entry(touch)],
                                      expires_at=expires_at(touch["at"], self._years)))
        return len(records)

    def get(self, lead_id: str, touch_id: str, *, consistent: bool = False) -> dict | None:
        try:
            return _dict(TouchModel.get(lead_id, touch_id, consistent_read=consistent))
        except DoesNotExist:
            return None

    def for_lead(self, lead_id: str) -> list[dict]:
        return [_dict(m) for m in TouchModel.query(lead_id)]

    def all(self) -> list[dict]:
        """Every touch: a Scan, for the simulator's audit, never a request path."""
        return [_dict(m) for m in TouchModel.scan()]
