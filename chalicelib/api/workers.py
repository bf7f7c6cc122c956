"""Lambda event sources: the events queue consumer, the minute scheduler, the touch sender.

Each is thin: parse the records, call a plain service function per record, map failures to
a partial batch response so only the failed messages come back.
"""
from __future__ import annotations

import json

from chalice import Blueprint

from ..clock import now
from ..config import settings
from ..observability import logger, metrics
from ..services.context import context

bp = Blueprint(__name__)
_S = settings()


def _record_handler(fn):
    def handle(record) -> None:
        body = json.loads(record.body)
        attrs = record.message_attributes or {}
        cid = (attrs.get("correlation_id") or {}).get("stringValue") or body.get("correlation_id")
        logger.set_correlation_id(cid)
        fn(body)
    return handle


def process_sqs_batch(raw_event: dict, fn, lambda_context=None) -> dict:
    """Powertools batch: one record handler per message, failures reported per item."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=raw_event, record_handler=_record_handler(fn),
                                    processor=processor, context=lambda_context)


def evaluate_events_batch(raw_event: dict, lambda_context=None) -> dict:
    from ..services.evaluate import handle_event

    ctx = context()
    return process_sqs_batch(raw_event, lambda body: handle_event(ctx, body, now()), lambda_context)


@bp.on_sqs_message(queue=f"{_S.table_prefix}-events", batch_size=10)
def evaluate_events(event):
    with metrics_flushed():
        return evaluate_events_batch(event.to_dict(), event.context)


class metrics_flushed:
    """Flush EMF metrics at the end of an invocation (Chalice handlers are not decorated)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an invocation that counted nothing publishes nothing
            metrics.flush_metrics()
        return False


def _publish_from_sns(type_: str, data: dict, lead_id: str | None = None) -> None:
    from .. import bus

    bus.publish(bus.make_event(lead_id, type_, data, now(), "sns"))


@bp.on_sns_message(topic=f"{_S.table_prefix}-inbound-sms")
def receive_inbound_sms(event):
    """Two-way SMS: the carrier's inbound message becomes an event matched by phone."""
    message = json.loads(event.message)
    _publish_from_sns("sms_inbound", {"from": message.get("originationNumber"),
                                      "body": message.get("messageBody", ""),
                                      "message_id": message.get("inboundMessageId")})


@bp.on_sns_message(topic=f"{_S.table_prefix}-inbound-email")
def receive_inbound_email(event):
    """SES receiving: a reply to a touch's reply address becomes an event."""
    from email import message_from_string, policy

    message = json.loads(event.message)
    mail = message.get("mail", {})
    headers = mail.get("commonHeaders", {})
    body = ""
    if message.get("content"):
        parsed = message_from_string(message["content"], policy=policy.default)
        part = parsed.get_body(preferencelist=("plain", "html")) if parsed.is_multipart() else parsed
        body = part.get_content() if part is not None else ""
    _publish_from_sns("email_inbound", {"from": mail.get("source"), "to": (mail.get("destination") or [""])[0],
                                        "subject": headers.get("subject", ""), "body": body[:5000]})


@bp.on_sns_message(topic=f"{_S.table_prefix}-ses-feedback")
def receive_ses_feedback(event):
    """SES bounce and complaint notifications: counted against the sending identity (the brake,
    services/reputation.py), and each hard-bounced or complaining address becomes an event."""
    from ..services.reputation import record_feedback

    message = json.loads(event.message)
    kind = message.get("notificationType") or message.get("eventType")
    source = (message.get("mail") or {}).get("source")
    if kind == "Bounce":
        bounce = message.get("bounce", {})
        addresses = [r.get("emailAddress") for r in bounce.get("bouncedRecipients", [])]
        if bounce.get("bounceType") != "Permanent":  # soft: SES retries it itself; counted only
            record_feedback(context(), "soft_bounce", addresses, now(), source)
            return
        record_feedback(context(), "hard_bounce", addresses, now(), source)
        for r in bounce.get("bouncedRecipients", []):
            _publish_from_sns("email_bounced", {"address": r.get("emailAddress"), "reason": r.get("diagnosticCode", "")})
    elif kind == "Complaint":
        recipients = message.get("complaint", {}).get("complainedRecipients", [])
        record_feedback(context(), "complaint", [r.get("emailAddress") for r in recipients], now(), source)
        for r in recipients:
            _publish_from_sns("email_complained", {"address": r.get("emailAddress")})


def touch_orders(body: dict) -> list[dict]:
    """The orders ({"touch", "lead"}) a touches-queue message carries: the scheduler packs the
    touches of one second together (``{"orders": [...]}``); a re-queued or older message has one."""
    return body["orders"] if "orders" in body else [body]


def deliver_touches_batch(raw_event: dict, lambda_context=None) -> dict:
    """One record handler per message, each touch of it delivered in turn; the batch shares one
    lead read and one "sent" write.

    A packed message's touches keep their own attempts: when some went and others failed, the
    failed ones come back as a message of their own (carrying the attempts they used), so a
    throttled touch never spends its neighbours' retries. A touch at its last attempt goes to the
    dead-letter queue alone. An invocation short of time stops starting touches and puts the
    rest back on the queue (the sent marks still get written).

    The "sent" marks are the only record that a message went: if they cannot be written (tried
    ``MARK_TRIES`` times), the records that carried those touches are reported failed, so their
    messages come back and the claim's lease settles each touch ("interrupted", never resent).
    Acknowledged, they would stay "sending" for good: nothing else ever looks at them again."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from ..services import requeue
    from ..services.deliver import MAX_ATTEMPTS, DeliveryBatch, InFlight, deliver, retry_later

    ctx = context()
    lead_ids = []
    for raw in raw_event.get("Records", []):
        try:
            lead_ids += [o["touch"]["lead_id"] for o in touch_orders(json.loads(raw["body"]))]
        except (ValueError, KeyError, TypeError):
            pass  # a malformed body fails in its own record handler, alone
    # a consistent read: a STOP processed a moment ago must stop a touch already queued
    time_left = getattr(lambda_context, "get_remaining_time_in_millis", None)
    batch = DeliveryBatch(ctx.leads.get_many(lead_ids, consistent=True) if lead_ids else {}, [], time_left_ms=time_left)

    carried_by: dict[str, str] = {}  # touch id -> the message id of the record that carried it

    def one(record) -> None:
        received = int((record.attributes or {}).get("ApproximateReceiveCount", "1") or 1)
        orders = touch_orders(json.loads(record.body))
        failed, dead, left = [], [], []
        for order in orders:
            carried_by.setdefault(order["touch"]["touch_id"], record.message_id)
        for n, order in enumerate(orders):
            if time_left is not None and time_left() < requeue.MIN_TIME_LEFT_MS:
                left = orders[n:]
                break
            attempt = int(order.get("attempts") or 0) + received
            try:
                logger.set_correlation_id(order["touch"]["touch_id"])
                deliver(ctx, order, now(), attempt, batch)
            except Exception as exc:
                if attempt >= MAX_ATTEMPTS and not isinstance(exc, InFlight):
                    dead.append(order)  # recorded "dead-lettered" on the timeline by deliver
                else:
                    failed.append((order, attempt, exc))
        arn = record.event_source_arn
        requeue.dead_letter(arn, dead)
        requeue.back(arn, left, 0)  # not attempted: their attempts unchanged
        if not failed:
            return
        exc = requeue.first([e for _, _, e in failed], min(a for _, a, _ in failed))
        if len(failed) < len(orders):  # the rest went or settled: only these come back
            requeue.back(arn, [{**o, "attempts": a} for o, a, _ in failed], requeue.delay(exc, failed[0][1]))
            return
        # exponential backoff through the queue (the queue's own timeout is the fallback)
        retry_later(arn, record.receipt_handle, min(a for _, a, _ in failed), exc)
        raise exc

    response = None
    try:
        response = process_partial_response(event=raw_event, record_handler=one,
                                            processor=BatchProcessor(event_type=EventType.SQS), context=lambda_context)
    finally:
        unmarked = _write_marks(ctx, batch.marks)
    if unmarked:  # back on the queue: the lease settles them when they return
        ids = {carried_by[t] for t in unmarked if t in carried_by}
        known = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        response = {**response, "batchItemFailures": list(response.get("batchItemFailures", [])) + [
            {"itemIdentifier": i} for i in sorted(ids - known)]}
    return response


MARK_TRIES = 3


def _write_marks(ctx, marks: list) -> list[str]:
    """Write the batch's "sent" marks (an unconditional put of each: safe to repeat); returns the
    touch ids whose marks could not be written."""
    for attempt in range(MARK_TRIES if marks else 0):
        try:
            ctx.touches.put_sent(marks)
            return []
        except Exception:
            logger.exception("could not record sent touches", extra={"touches": len(marks), "attempt": attempt + 1})
    return [sent["touch_id"] for sent, _ in marks]


@bp.on_sqs_message(queue=f"{_S.table_prefix}-touches", batch_size=10)
def deliver_touch(event):
    with metrics_flushed():
        return deliver_touches_batch(event.to_dict(), event.context)


@bp.schedule("rate(1 minute)")
def schedule_due_touches(event):
    from ..services.schedule import schedule_due

    with metrics_flushed():
        return schedule_due(context(), now())
