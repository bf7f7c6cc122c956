"""The local stand-in for EventBridge and the Lambda event sources.

It calls the very Chalice handlers Lambda would call, with Lambda-shaped events: SQS batches
drained from the AWS stand-in's queues (deleting only what the handler did not report as
failed), the schedules when the virtual clock passes them, and SNS notifications for inbound
SMS and e-mail.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta

from ..aws import client
from ..clock import clock
from ..config import settings
from ..observability import logger

_lock = threading.RLock()
_last_night: str | None = None
NIGHTLY_HOUR_UTC = 7  # 07:00 UTC is night in every US zone but Hawaii's evening; touches land at lead-local hours anyway.
SCHEDULE_EVERY = timedelta(minutes=1)  # EventBridge's rate(1 minute): a failed run is followed by the next minute's
# Lambda's asynchronous invocation (EventBridge -> a scheduled function) retries a failed
# invocation twice, one minute and then two minutes later, and then drops the event (the
# functions have no on-failure destination): the waits before each retry.
ASYNC_RETRIES = (timedelta(minutes=1), timedelta(minutes=2))

_around = None                     # see around_invocations
_schedule_not_before: datetime | None = None   # a failed scheduler run: the next one is a minute on
_async_retries: list = []          # [(when, name, function, attempt)] failed scheduled invocations to run again
dropped_invocations: list[dict] = []  # scheduled invocations that failed every attempt (their event is gone)


class LambdaCrash(BaseException):
    """The function's process died in the middle of an invocation (its timeout, out of memory, a
    host failure). Not an error its code can catch: a BaseException, so the engine's ``except
    Exception`` handlers never see it (they would not see the process die either), and nothing
    it had not written stays written. Lambda reports the whole invocation failed: an SQS batch
    comes back whole after its visibility timeout, a scheduled one is retried as asynchronous
    invocations are. Raised by the simulator's fault injector (sim/faults.py)."""


def around_invocations(factory) -> None:
    """``factory(name)`` returns a context manager entered around every Lambda invocation this
    runtime plays (queue batches, the minute scheduler, the nightly sweeps): the simulator's
    fault injector arms itself there, so the worker's own polling and the API are not faulted.
    None removes it."""
    global _around
    _around = factory


def _invoke(name: str, fn, *args):
    with (_around(name) if _around is not None else contextlib.nullcontext()):
        return fn(*args)


class _Context:
    function_name = "local"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def _queues() -> list[tuple[str, object]]:
    from ..api import workers

    s = settings()
    out = [(s.events_queue_url, workers.evaluate_events)]
    if hasattr(workers, "deliver_touch"):
        out.append((s.touches_queue_url, workers.deliver_touch))
    return out


def _sqs_event(queue_url: str, messages: list[dict]) -> dict:
    arn = "arn:aws:sqs:%s:%s:%s" % (settings().region, queue_url.split("/")[-2], queue_url.split("/")[-1])
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "md5OfBody": m.get("MD5OfBody", ""),
        "messageAttributes": {k: {"stringValue": v.get("StringValue"), "dataType": v.get("DataType")}
                              for k, v in (m.get("MessageAttributes") or {}).items()},
        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": settings().region,
    } for m in messages]}


def drain(max_batches: int = 500) -> int:
    """Feed every queue to its handler until all are empty; returns messages handled.

    The events queue is emptied before the next touches batch is taken: an opt-out that has
    arrived is applied before a touch queued in the same virtual second is delivered (deployed,
    both run at once and an in-flight touch can cross an opt-out by seconds; locally the order
    is fixed so a run is repeatable and the simulator's audit is strict)."""
    sqs = client("sqs")
    handled = 0
    with _lock:
        batches = 0
        progressed = True
        while progressed and batches < max_batches:
            progressed = False
            for url, handler in _queues():
                while batches < max_batches:
                    resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                               MessageAttributeNames=["All"], AttributeNames=["All"])
                    messages = resp.get("Messages", [])
                    if not messages:
                        break
                    progressed = True
                    batches += 1
                    _handle(sqs, url, handler, messages)
                    handled += len(messages)
                    if url != settings().events_queue_url:
                        break  # one touches batch, then back to the events that batch may have raised
    return handled


def _handle(sqs, url: str, handler, messages: list[dict]) -> None:
    try:
        result = _invoke(url.rsplit("/", 1)[-1], handler, _sqs_event(url, messages), _Context()) or {}
    except LambdaCrash:
        # the function died: no answer, nothing deleted; every message of the batch shows again
        # when its visibility timeout ends (or at the delay a record set before the crash)
        logger.error("invocation crashed", extra={"queue": url.rsplit("/", 1)[-1], "messages": len(messages)})
        return
    except Exception:
        # Powertools raises when every record failed: Lambda then returns the whole
        # batch to the queue, and so do we (the messages reappear after their timeout)
        logger.exception("batch failed", extra={"queue": url.rsplit("/", 1)[-1]})
        result = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])


def _scheduled_event(now: datetime, rule: str) -> dict:
    """The event EventBridge sends a scheduled Lambda."""
    return {"version": "0", "id": uuid.uuid4().hex, "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": settings().region,
            "resources": [f"arn:aws:events:{settings().region}:123456789012:rule/{rule}"], "detail": {}}


def _scheduled(name: str, fn, now: datetime, rule: str) -> bool:
    """One scheduled invocation; False when it failed (logged, as Lambda records it)."""
    try:
        _invoke(name, fn, _scheduled_event(now, rule), _Context())
        return True
    except (Exception, LambdaCrash):
        logger.exception("scheduled invocation failed", extra={"function": name})
        return False


def _scheduled_async(name: str, fn, now: datetime, attempt: int = 1) -> None:
    """A nightly function, invoked asynchronously by EventBridge: a failure is retried after
    ASYNC_RETRIES, then its event is dropped (recorded in ``dropped_invocations``)."""
    if _scheduled(name, fn, now, "nightly"):
        return
    if attempt <= len(ASYNC_RETRIES):
        _async_retries.append((now + ASYNC_RETRIES[attempt - 1], name, fn, attempt + 1))
    else:
        logger.error("scheduled invocation dropped after its retries", extra={"function": name})
        dropped_invocations.append({"function": name, "at": now.isoformat(), "attempts": attempt})


def run_schedules(now: datetime) -> None:
    """Play EventBridge: the minute scheduler, and the nightly sweeps once per virtual night.

    A failed scheduler run is logged and the next one waits for the next minute, as EventBridge's
    rate(1 minute) would run it (what was due stays due in the index); a failed sweep is retried
    as Lambda retries an asynchronous invocation."""
    global _last_night, _schedule_not_before
    from ..api import sweeps, workers

    with _lock:
        if _schedule_not_before is None or now >= _schedule_not_before:
            _schedule_not_before = None
            if not _scheduled("schedule_due_touches", workers.schedule_due_touches, now, "schedule_due_touches"):
                _schedule_not_before = now + SCHEDULE_EVERY
        for retry in [r for r in _async_retries if r[0] <= now]:
            _async_retries.remove(retry)
            _scheduled_async(retry[1], retry[2], now, retry[3])
        night = (now - timedelta(hours=NIGHTLY_HOUR_UTC)).date().isoformat()
        if _last_night is None:
            _last_night = night
        elif night != _last_night:
            _last_night = night
            for sweep in sweeps.NIGHTLY:
                _scheduled_async(getattr(getattr(sweep, "func", sweep), "__name__", "nightly"), sweep, now)


def reset() -> None:
    """Forget the last nightly run and any pending retry (a new virtual timeline starts, as in
    the simulator)."""
    global _last_night, _schedule_not_before
    with _lock:
        _last_night = None
        _schedule_not_before = None
        _async_retries.clear()
        dropped_invocations.clear()


def cycle() -> None:
    """One worker cycle at the current virtual time: schedules, then queues until quiet."""
    with _lock:
        drain()  # what arrived since the last cycle (opt-outs, replies) before anything is scheduled
        for _ in range(20):
            run_schedules(clock.now())
            if drain() + _await_paced() == 0:
                break
        _release_stand_in_item_copies()


def _await_paced(limit_s: float = 65.0) -> int:
    """Touches the scheduler spread over the minute (pacing) wait on the queue for seconds of
    real time on moto; the virtual clock must not skip past them, or they would go out hours
    late and the cap, counted at scheduling, would no longer hold. Wait for them (at most a
    minute) and deliver them. The in-memory queues keep virtual time: the clock stops there."""
    sqs = client("sqs")
    url = settings().touches_queue_url
    handled, waited = 0, 0.0
    while waited < limit_s:
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
        if int(attrs.get("Attributes", {}).get("ApproximateNumberOfMessagesDelayed", "0") or 0) == 0:
            break
        time.sleep(0.25)
        waited += 0.25
        handled += drain()
    return handled


def _release_stand_in_item_copies() -> None:
    """moto tracks every model object it ever creates, for its dashboard, and its
    TransactWriteItems deep-copies whole tables (to roll back): every copy stayed reachable, so a
    long local session or simulation grew by the size of its tables per transaction (1.4 GB after
    300 e-mails). DynamoDB's objects are not on the dashboard we use (sent mail and SMS are)."""
    try:
        from moto.core.model_instances import model_data
    except ImportError:  # not the local stand-in
        return
    for model in model_data.get("dynamodb", {}).values():
        model.instances_tracked = []


def _next_night(now: datetime) -> datetime:
    boundary = now.replace(hour=NIGHTLY_HOUR_UTC, minute=0, second=0, microsecond=0)
    return boundary if boundary > now else boundary + timedelta(days=1)


def advance(seconds: float) -> datetime:
    """Move the virtual clock forward, running everything that would have run meanwhile.

    The clock stops at every due enrollment (so a touch goes at its minute, the scheduler's
    precision when deployed) and at every nightly sweep. Between two stops nothing is due,
    so crossing that stretch in one step gives the same result as fifteen-minute ticks, and a
    month of virtual time takes seconds.
    """
    from ..services.context import context

    with _lock:
        cycle()
        target = clock.now() + timedelta(seconds=seconds)
        while clock.now() < target:
            now = clock.now()
            due = context().enrollments.next_due()
            if due and _schedule_not_before and due < _schedule_not_before:
                due = _schedule_not_before  # the last run failed: the next minute's runs it
            shows = getattr(client("sqs"), "next_visible", lambda: None)()  # the in-memory queues' delays
            retries = [r[0] for r in _async_retries]
            stops = [target, _next_night(now)] + [max(t, now + timedelta(seconds=1)) for t in (due, shows, *retries) if t]
            clock.advance((min(stops) - now).total_seconds())
            cycle()
        return clock.now()


def settle(max_seconds: float) -> datetime:
    """Let the work in flight finish without starting more: the queues drained on the virtual
    clock (retries, redeliveries, deferrals coming back when their delay ends), no scheduler
    run and no sweep, until every queue is empty or ``max_seconds`` have passed. The end of a
    simulated run: what was queued reaches its final status before it is audited."""
    sqs = client("sqs")
    with _lock:
        end = clock.now() + timedelta(seconds=max_seconds)
        while True:
            drain()
            shows = getattr(sqs, "next_visible", lambda: None)()
            if shows is None or shows > end:
                return clock.now()
            clock.advance(max(1.0, (shows - clock.now()).total_seconds()))


def _sns_event(topic: str, message: dict) -> dict:
    s = settings()
    arn = f"arn:aws:sns:{s.region}:123456789012:{s.table_prefix}-{topic}"
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": arn,
                         "Sns": {"Type": "Notification", "MessageId": uuid.uuid4().hex, "TopicArn": arn,
                                 "Subject": None, "Message": json.dumps(message),
                                 "Timestamp": clock.now().isoformat(), "MessageAttributes": {}}}]}


def inbound_sms(sender: str, body: str) -> None:
    from ..api import workers

    message = {"originationNumber": sender, "destinationNumber": settings().team.sms_origination_number,
               "messageKeyword": body.strip().split(" ")[0].upper() if body.strip() else "",
               "messageBody": body, "inboundMessageId": uuid.uuid4().hex}
    workers.receive_inbound_sms(_sns_event("inbound-sms", message), _Context())
    cycle()


def inbound_email(sender: str, to: str, subject: str, body: str) -> None:
    from ..api import workers

    message = {"notificationType": "Received",
               "mail": {"source": sender, "destination": [to], "messageId": uuid.uuid4().hex,
                        "timestamp": clock.now().isoformat(),
                        "commonHeaders": {"from": [sender], "to": [to], "subject": subject}},
               "content": f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}"}
    workers.receive_inbound_email(_sns_event("inbound-email", message), _Context())
    cycle()


def feedback(address: str, kind: str, soft: bool = False) -> None:
    """Play SES's notification for the latest e-mail to ``address``: a bounce (permanent unless
    ``soft``) or a complaint, through the handler the ses-feedback topic invokes."""
    from ..api import workers

    team = settings().team
    mail = {"source": team.sender_email, "destination": [address], "messageId": uuid.uuid4().hex,
            "timestamp": clock.now().isoformat()}
    if kind == "complaint":
        message = {"notificationType": "Complaint", "mail": mail,
                   "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse",
                                 "timestamp": clock.now().isoformat()}}
    else:
        message = {"notificationType": "Bounce", "mail": mail,
                   "bounce": {"bounceType": "Transient" if soft else "Permanent",
                              "bounceSubType": "MailboxFull" if soft else "General",
                              "bouncedRecipients": [{"emailAddress": address, "diagnosticCode":
                                                     "smtp; 550 5.1.1 user unknown" if not soft else "smtp; 452 4.2.2 mailbox full"}],
                              "timestamp": clock.now().isoformat()}}
    workers.receive_ses_feedback(_sns_event("ses-feedback", message), _Context())
    cycle()


class Loop(threading.Thread):
    """Runs a worker cycle every `interval` real seconds until stopped."""

    def __init__(self, interval: float = 1.0):
        super().__init__(daemon=True, name="touchengine-worker")
        self.interval = interval
        self._stop = threading.Event()

    def run(self) -> None:
        # time.sleep, not Event.wait(timeout): under libfaketime (the suite is run on other dates
        # with Debian's faketime) a timed condition wait never returns and the worker stalls
        while not self._stop.is_set():
            time.sleep(self.interval)
            if self._stop.is_set():
                break
            try:
                cycle()
            except Exception:  # keep the local worker alive; the error is logged with its trace
                logger.exception("local worker cycle failed")

    def stop(self) -> None:
        self._stop.set()
