"""Issue 4's acceptance on moto: exactly once, retries, dead letters, bounces and replies.

Touches go through the real path: Lambda-shaped SQS batches drained from the touches queue into
the deliver_touch handler (chalicelib.local.runtime.drain, which deletes only what the handler
did not report as failed), SES v2 / SNS on moto, Connect through botocore's Stubber.
"""
import base64
import email
import json
import random
import uuid
from datetime import datetime, timedelta, timezone
from email import policy as mail_policy
from types import SimpleNamespace

import pytest
from botocore.stub import ANY, Stubber

from chalicelib.aws import client
from chalicelib.clock import clock
from chalicelib.config import settings
from chalicelib.sequences import engine
from chalicelib.sequences.catalog import SEQUENCES
from chalicelib.services import deliver as deliver_mod
from chalicelib.services.schedule import LEAD_FIELDS_FOR_DELIVERY
from tests.helpers import drain_events

ACCOUNT, REGION = "123456789012", "us-east-1"
CONSENT = {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree to texts"},
           "voice": {"granted": True, "source": "web form", "text": "I agree to calls"}}


# -- helpers shared with test_channels.py -----------------------------------------------------

def make_lead(ctx, n: int = 0, **extra) -> dict:
    from chalicelib.services.leads import create_lead

    body = {"first_name": "Maria", "last_name": f"Lopez{n}", "email": f"maria{n}@example.com",
            "phone": f"+1512555{1000 + n:04d}", "state": "TX", "consent": CONSENT,
            "loan": {"type": "conventional", "purpose": "purchase", "amount": 320000}, **extra}
    return create_lead(ctx, body, clock.now(), "test")


def order(lead: dict, sequence: str, step: str, n: int = 1) -> dict:
    """A touch order exactly as the scheduler builds it (engine.touch_order)."""
    seq = SEQUENCES[sequence]
    enrollment = {"enrollment_id": f"{sequence}.{lead['lead_id'][:8]}", "lead_id": lead["lead_id"], "touch_no": n - 1}
    return engine.touch_order(enrollment, seq, seq.step(step), lead, clock.now())


def message(lead: dict, touch: dict) -> dict:
    return {"touch": touch, "lead": {k: lead[k] for k in LEAD_FIELDS_FOR_DELIVERY if k in lead}}


def queue_url(name: str = "touches") -> str:
    return client("sqs").get_queue_url(QueueName=f"{settings().table_prefix}-{name}")["QueueUrl"]


def enqueue(messages: list[dict]) -> None:
    sqs = client("sqs")
    for m in messages:
        sqs.send_message(QueueUrl=queue_url(), MessageBody=json.dumps(m))


def sent_mail() -> list:
    from moto.ses.models import ses_backends

    return [email.message_from_string(m.raw_data, policy=mail_policy.default)
            for m in ses_backends[ACCOUNT][REGION].sent_messages]


def sent_sms() -> list[tuple[str, str]]:
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


def topic_messages(name: str) -> list[dict]:
    from moto.sns.models import sns_backends

    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    topic = sns_backends[ACCOUNT][REGION].topics.get(arn)
    return [json.loads(n[1]) for n in topic.sent_notifications] if topic else []


def history(ctx, lead_id: str, touch_id: str) -> list[str]:
    return [h["status"] for h in (ctx.touches.get(lead_id, touch_id) or {}).get("history", [])]


class Calls:
    """The parameters of every call a cached client makes to one operation (the call still goes on)."""

    def __init__(self, service: str, operation: str):
        self.params: list[dict] = []
        self._client, self._event = client(service), f"before-parameter-build.{service}.{operation}"
        self._client.meta.events.register(self._event, self._record)

    def _record(self, params, **_):
        self.params.append(dict(params))

    def close(self):
        self._client.meta.events.unregister(self._event, self._record)


def request_body(params: dict) -> dict:
    """The API parameters inside a serialized request (JSON or query protocol)."""
    body = params.get("body")
    if isinstance(body, (bytes, str)):
        return json.loads(body or "{}")
    return dict(body or {})


def ses_raw(body: dict) -> str:
    return base64.b64decode(body["Content"]["Raw"]["Data"]).decode()


class _Failed(list):
    unfail = None


def fail_calls(service: str, operation: str, code: str, status: int, when, message: str = "") -> list:
    """Make a cached client answer ``code`` (as AWS would) whenever ``when(body)`` says so.

    The client raises the modelled exception, exactly as for a real error response. Returns
    the list of failed request bodies; unregister with ``unfail()``.
    """
    failed = _Failed()
    parsed = {"Error": {"Code": code, "Message": message or code}, "ResponseMetadata": {"HTTPStatusCode": status}}

    def hook(params, **_):
        body = request_body(params)
        if when(body):
            failed.append(body)
            return SimpleNamespace(status_code=status, headers={}, content=b""), parsed
        return None

    c = client(service)
    c.meta.events.register(f"before-call.{service}.{operation}", hook)
    failed.unfail = lambda: c.meta.events.unregister(f"before-call.{service}.{operation}", hook)
    return failed


@pytest.fixture
def connect_stub(monkeypatch):
    """Voice goes to Amazon Connect (not the local stand-in), answered by botocore's Stubber."""
    from chalicelib.channels import voice

    monkeypatch.setattr(voice, "_use_stand_in", lambda: False)
    stub = Stubber(client("connect"))
    stub.activate()
    yield stub
    stub.deactivate()


@pytest.fixture
def fast_retries(monkeypatch):
    """Failed messages come back at once (the queue's visibility timeout is the backoff), and a
    handler that raises fails its whole batch, as Lambda does (Powertools raises when every
    record of a batch failed; the local drain would let that escape)."""
    from chalicelib.api import workers

    client("sqs").set_queue_attributes(QueueUrl=queue_url(), Attributes={"VisibilityTimeout": "0"})
    monkeypatch.setattr(deliver_mod, "backoff_seconds", lambda attempt, rand=None: 0)
    handler = workers.deliver_touch

    def like_lambda(event, context=None):
        try:
            return handler(event, context)
        except Exception:
            return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    monkeypatch.setattr(workers, "deliver_touch", like_lambda)


AFTERNOON = datetime(2026, 12, 1, 21, 0, tzinfo=timezone.utc)  # a Tuesday, 15:00 in Austin


@pytest.fixture(autouse=True)
def virtual_clock():
    """Run every test on a weekday afternoon in Texas, whatever the wall clock says: retries
    re-check the calling window, so a test must not depend on when it runs."""
    clock.start_at(AFTERNOON)
    yield clock


def _sns_event(topic: str, payload: dict) -> dict:
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{settings().table_prefix}-{topic}"
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": arn + ":sub",
                         "Sns": {"Type": "Notification", "MessageId": uuid.uuid4().hex, "TopicArn": arn,
                                 "Subject": None, "Message": json.dumps(payload),
                                 "Timestamp": "2026-11-28T15:04:05.000Z", "MessageAttributes": {}}}]}


class _LambdaContext:
    function_name, memory_limit_in_mb, aws_request_id = "test", 256, "test"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test"

    @staticmethod
    def get_remaining_time_in_millis():
        return 60_000


def sns_notify(handler, topic: str, payload: dict) -> None:
    handler(_sns_event(topic, payload), _LambdaContext())


# -- exactly once ----------------------------------------------------------------------------

def _mixed_batch(ctx) -> tuple[list[dict], dict]:
    """Two leads x (email, SMS, voice call, LO task): 8 touches, one SQS batch."""
    touches, leads = [], {}
    for n in range(2):
        lead = make_lead(ctx, n)
        leads[lead["lead_id"]] = lead
        touches += [order(lead, "lead_nurture", "thanks_for_reaching_out", 1),
                    order(lead, "lead_nurture", "hello_text", 2),
                    order(lead, "application_incomplete", "finish_reminder_call", 1),
                    order(lead, "lead_nurture", "first_call", 3)]
    return touches, leads


def _expect_calls(stub, touches, leads):
    team = settings().team
    for t in touches:
        if t["channel"] == "voice":
            stub.add_response("start_outbound_voice_contact", {"ContactId": "contact-" + t["touch_id"]}, {
                "DestinationPhoneNumber": leads[t["lead_id"]]["phone"], "ContactFlowId": team.connect_contact_flow_id,
                "InstanceId": team.connect_instance_id, "SourcePhoneNumber": team.connect_source_phone,
                "ClientToken": t["touch_id"], "Attributes": ANY})


def _assert_each_sent_once(ctx, touches, leads, stub):
    mail = sent_mail()
    assert sorted(m["X-Touch-Id"] for m in mail) == sorted(t["touch_id"] for t in touches if t["channel"] == "email")
    assert sorted(p for p, _ in sent_sms()) == sorted(leads[t["lead_id"]]["phone"] for t in touches
                                                      if t["channel"] == "sms")
    stub.assert_no_pending_responses()  # every expected call made; an extra one would have raised
    task_ids = sorted(t["task_id"] for t in ctx.tasks.list(None, None))
    assert task_ids == sorted("t-" + t["touch_id"] for t in touches if t["channel"] == "task")
    for t in touches:
        assert history(ctx, t["lead_id"], t["touch_id"]) == ["sent"], t["touch_id"]


def test_every_message_three_times_out_of_order_sends_each_touch_once(ctx, connect_stub):
    touches, leads = _mixed_batch(ctx)
    _expect_calls(connect_stub, touches, leads)
    copies = [message(leads[t["lead_id"]], t) for t in touches] * 3
    random.Random(4).shuffle(copies)
    enqueue(copies)
    drain_events()

    _assert_each_sent_once(ctx, touches, leads, connect_stub)
    assert not client("sqs").receive_message(QueueUrl=queue_url()).get("Messages")
    assert not client("sqs").receive_message(QueueUrl=queue_url("touches-dlq")).get("Messages")
    notes = topic_messages(f"{settings().table_prefix}-lo-notifications")
    assert sorted(n["task_id"] for n in notes) == sorted("t-" + t["touch_id"] for t in touches
                                                         if t["channel"] == "task")


def test_duplicates_inside_one_lambda_batch_send_once(ctx, connect_stub):
    """The same touch twice in one event (and once more later): one send, no failure reported."""
    from chalicelib.api import workers
    from chalicelib.local.runtime import _sqs_event

    touches, leads = _mixed_batch(ctx)
    _expect_calls(connect_stub, touches, leads)
    msgs = [message(leads[t["lead_id"]], t) for t in touches]
    first = [{"MessageId": uuid.uuid4().hex, "ReceiptHandle": uuid.uuid4().hex, "Body": json.dumps(m),
              "Attributes": {"ApproximateReceiveCount": "1"}} for m in msgs[:5] + msgs[:5]]
    random.Random(7).shuffle(first)
    second = [{"MessageId": uuid.uuid4().hex, "ReceiptHandle": uuid.uuid4().hex, "Body": json.dumps(m),
               "Attributes": {"ApproximateReceiveCount": "2"}} for m in reversed(msgs)]
    for batch in (first, second):
        result = workers.deliver_touches_batch(_sqs_event(queue_url(), batch), _LambdaContext())
        assert result == {"batchItemFailures": []}
    _assert_each_sent_once(ctx, touches, leads, connect_stub)


def test_a_claim_held_by_a_live_delivery_is_left_alone_and_a_dead_one_is_reported(ctx):
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out")
    now = clock.now()
    ctx.touches.claim({**touch, "status": "sending", "reason": "", "at": now.isoformat(), "attempt": 1},
                      history=False)
    with pytest.raises(deliver_mod.InFlight):  # its holder may still fail and release it: look again later
        deliver_mod.deliver(ctx, message(lead, touch), now + timedelta(seconds=20), attempt=2)
    assert deliver_mod.deliver(ctx, message(lead, touch), now + deliver_mod.SEND_LEASE + timedelta(seconds=1),
                               attempt=3) == "interrupted"
    assert sent_mail() == []  # never resent: the provider may have taken it already
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "failed" and record["reason"].startswith("interrupted")
    assert deliver_mod.deliver(ctx, message(lead, touch), now + timedelta(minutes=10), attempt=4) == "duplicate"


# -- faults ----------------------------------------------------------------------------------

def test_throttling_is_retried_until_each_touch_is_sent_once_and_a_poison_message_is_dead_lettered(
        ctx, fast_retries):
    leads = [make_lead(ctx, n) for n in range(4)]
    poison = make_lead(ctx, 99, email="poison@example.com")
    touches = [order(lead, "lead_nurture", step, i + 1) for lead in leads
               for i, step in enumerate(("thanks_for_reaching_out", "how_rates_are_set", "payment_angle"))]
    calls = {"n": 0}

    def throttled(params):  # every third SendEmail, and every one to the poison address
        calls["n"] += 1
        return calls["n"] % 3 == 0 or "To: poison@example.com" in ses_raw(params)

    failed = fail_calls("sesv2", "SendEmail", "TooManyRequestsException", 429, throttled,
                        "Maximum sending rate exceeded.")
    try:
        poison_touch = order(poison, "lead_nurture", "thanks_for_reaching_out")
        enqueue([message(next(x for x in leads if x["lead_id"] == t["lead_id"]), t) for t in touches]
                + [message(poison, poison_touch)])
        drain_events()
    finally:
        failed.unfail()

    assert len(failed) >= 5 + len(touches) // 3  # throttling happened: the poison's 5 and a share of the rest
    mail = sent_mail()
    assert sorted(m["X-Touch-Id"] for m in mail) == sorted(t["touch_id"] for t in touches)  # each exactly once
    retried = [t for t in touches if "retrying" in history(ctx, t["lead_id"], t["touch_id"])]
    assert retried  # some were throttled first and still went, once
    for t in touches:
        assert history(ctx, t["lead_id"], t["touch_id"])[-1] == "sent"
        assert history(ctx, t["lead_id"], t["touch_id"]).count("sent") == 1

    dead = client("sqs").receive_message(QueueUrl=queue_url("touches-dlq"), MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["touch"]["touch_id"] for m in dead] == [poison_touch["touch_id"]]
    assert history(ctx, poison["lead_id"], poison_touch["touch_id"]) == ["retrying"] * 4 + ["failed"]
    from chalicelib.services.leads import timeline

    shown = [i for i in timeline(ctx, poison["lead_id"]) if i.get("touch_id") == poison_touch["touch_id"]]
    assert shown[-1]["status"] == "failed"
    assert shown[-1]["reason"].startswith("dead-lettered after attempt 5: TooManyRequestsException")
    failures = {(r["sequence"], r["step"]): r["failed"] for r in ctx.stats.rows() if r["failed"]}
    assert failures == {("lead_nurture", "thanks_for_reaching_out"): 1}  # analytics: the step that lost it


def test_a_packed_message_sends_each_of_its_touches_once_and_comes_back_only_for_the_throttled(
        ctx, fast_retries):
    """The scheduler packs the touches of one second ten to a message: a throttled touch brings
    the message back, and the retry sends it while the others, claimed, go no second time."""
    from chalicelib.services.schedule import pack

    leads = [make_lead(ctx, n) for n in range(12)]
    touches = [order(lead, "lead_nurture", "thanks_for_reaching_out") for lead in leads]
    orders = [message(lead, t) for lead, t in zip(leads, touches)]
    packed = pack(orders, [0] * len(orders))
    assert [len(group) for group, _, _ in packed] == [10, 2]
    calls = {"n": 0}

    def throttled(params):  # the 4th and 11th SendEmail
        calls["n"] += 1
        return calls["n"] in (4, 11)

    failed = fail_calls("sesv2", "SendEmail", "TooManyRequestsException", 429, throttled, "Maximum sending rate exceeded.")
    try:
        sqs = client("sqs")
        for _, _, body in packed:
            sqs.send_message(QueueUrl=queue_url(), MessageBody=body)
        drain_events()
    finally:
        failed.unfail()

    assert len(failed) == 2
    assert sorted(m["X-Touch-Id"] for m in sent_mail()) == sorted(t["touch_id"] for t in touches)
    for t in touches:
        assert history(ctx, t["lead_id"], t["touch_id"]).count("sent") == 1
    assert sum("retrying" in history(ctx, t["lead_id"], t["touch_id"]) for t in touches) == 2


def test_a_touch_that_keeps_failing_in_a_packed_message_spends_only_its_own_attempts(ctx, fast_retries):
    """Its neighbours go once, at once; it comes back alone, five attempts of its own, then sits
    in the dead-letter queue alone, as a message of one."""
    from chalicelib.services.schedule import pack

    leads = [make_lead(ctx, n) for n in range(3)] + [make_lead(ctx, 99, email="poison@example.com")]
    touches = [order(lead, "lead_nurture", "thanks_for_reaching_out") for lead in leads]
    [(_, _, body)] = pack([message(lead, t) for lead, t in zip(leads, touches)], [0] * 4)
    failed = fail_calls("sesv2", "SendEmail", "TooManyRequestsException", 429,
                        lambda params: "To: poison@example.com" in ses_raw(params), "Maximum sending rate exceeded.")
    try:
        client("sqs").send_message(QueueUrl=queue_url(), MessageBody=body)
        drain_events()
    finally:
        failed.unfail()

    poison = touches[-1]
    assert len(failed) == 5
    assert sorted(m["X-Touch-Id"] for m in sent_mail()) == sorted(t["touch_id"] for t in touches[:3])
    assert history(ctx, poison["lead_id"], poison["touch_id"]) == ["retrying"] * 4 + ["failed"]
    dead = client("sqs").receive_message(QueueUrl=queue_url("touches-dlq"), MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["touch"]["touch_id"] for m in dead] == [poison["touch_id"]]


def test_an_invocation_short_of_time_puts_the_touches_it_did_not_start_back_on_the_queue(ctx):
    from chalicelib.api import workers
    from chalicelib.local.runtime import _sqs_event
    from chalicelib.services.schedule import pack

    leads = [make_lead(ctx, n) for n in range(4)]
    touches = [order(lead, "lead_nurture", "thanks_for_reaching_out") for lead in leads]
    [(_, _, body)] = pack([message(lead, t) for lead, t in zip(leads, touches)], [0] * 4)
    class Short(_LambdaContext):
        @staticmethod
        def get_remaining_time_in_millis():  # time runs short after two sends
            return 60_000 if len(sent_mail()) < 2 else 5_000

    event = _sqs_event(queue_url(), [{"MessageId": "m1", "ReceiptHandle": "r1", "Body": body,
                                      "Attributes": {"ApproximateReceiveCount": "1"}}])
    assert workers.deliver_touches_batch(event, Short()) == {"batchItemFailures": []}
    assert [m["X-Touch-Id"] for m in sent_mail()] == [t["touch_id"] for t in touches[:2]]
    [back] = client("sqs").receive_message(QueueUrl=queue_url(), MaxNumberOfMessages=10)["Messages"]
    assert [o["touch"]["touch_id"] for o in json.loads(back["Body"])["orders"]] == [t["touch_id"] for t in touches[2:]]
    assert all("attempts" not in o for o in json.loads(back["Body"])["orders"])  # not attempted: nothing spent


@pytest.mark.parametrize("service,operation,code,status,channel", [
    ("sesv2", "SendEmail", "MessageRejected", 400, "email"),
    ("sns", "Publish", "InvalidParameter", 400, "sms"),
])
def test_a_permanent_refusal_fails_the_touch_with_its_reason_and_is_not_retried(
        ctx, fast_retries, service, operation, code, status, channel):
    lead = make_lead(ctx)
    step = "thanks_for_reaching_out" if channel == "email" else "hello_text"
    touch = order(lead, "lead_nurture", step)
    failed = fail_calls(service, operation, code, status, lambda body: "PhoneNumber" in body or channel == "email",
                        "Invalid parameter: PhoneNumber Reason: not valid to publish to" if channel == "sms"
                        else "Email address is not verified.")
    try:
        enqueue([message(lead, touch)])
        drain_events()
    finally:
        failed.unfail()
    assert len(failed) == 1  # tried once, never again
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "failed" and record["reason"].startswith(code)
    assert history(ctx, lead["lead_id"], touch["touch_id"]) == ["failed"]
    assert not client("sqs").receive_message(QueueUrl=queue_url("touches-dlq")).get("Messages")
    assert sent_mail() == [] and sent_sms() == []


def test_retries_back_off_through_the_queue(ctx):
    sqs = client("sqs")
    waits = [deliver_mod.backoff_seconds(a, rand=lambda: 1.0) for a in range(1, 8)]
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    assert all(15 <= deliver_mod.backoff_seconds(1, rand=random.Random(s).random) <= 30 for s in range(20))

    sqs.send_message(QueueUrl=queue_url(), MessageBody="{}")
    msg = sqs.receive_message(QueueUrl=queue_url(), AttributeNames=["All"])["Messages"][0]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{settings().table_prefix}-touches"
    delay = deliver_mod.retry_later(arn, msg["ReceiptHandle"], 2, deliver_mod.TransientFailure("Throttling"))
    assert 30 <= delay <= 60
    assert not sqs.receive_message(QueueUrl=queue_url()).get("Messages")  # hidden for the backoff...
    # ...a deferral waits for its own time, and the last attempt is released for the dead-letter queue at once
    assert deliver_mod.retry_later(arn, msg["ReceiptHandle"], 3,
                                   deliver_mod.Deferred("quiet_hours", retry_after=7200)) == 7200
    assert deliver_mod.retry_later(arn, msg["ReceiptHandle"], deliver_mod.MAX_ATTEMPTS,
                                   deliver_mod.TransientFailure("Throttling")) == 0
    assert sqs.receive_message(QueueUrl=queue_url())["Messages"][0]["MessageId"] == msg["MessageId"]


def test_a_retry_that_runs_into_quiet_hours_waits_for_the_morning(ctx):
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "hello_text")
    night = datetime(2026, 11, 28, 4, 30, tzinfo=timezone.utc)  # 22:30 in Austin
    with pytest.raises(deliver_mod.TransientFailure) as raised:
        deliver_mod.deliver(ctx, message(lead, touch), night, attempt=2)
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert (record["status"], record["reason"]) == ("deferred", "quiet_hours")
    opens = datetime.fromisoformat(record["deferred_until"])  # the calling window (Texas rules) opens
    assert raised.value.retry_after == (opens - night).total_seconds() > 9 * 3600
    assert sent_sms() == []
    assert deliver_mod.deliver(ctx, message(lead, touch), opens, attempt=3) == "sent"
    assert len(sent_sms()) == 1


# -- feedback: bounces, complaints, replies --------------------------------------------------

def _deliver_now(ctx, lead, touch):
    return deliver_mod.deliver(ctx, message(lead, touch), clock.now())


def _bounce(address: str) -> dict:
    return {"notificationType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-11-28T15:04:05Z",
                       "feedbackId": uuid.uuid4().hex,
                       "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                              "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]},
            "mail": {"timestamp": "2026-11-28T15:04:00Z", "source": settings().team.sender_email,
                     "messageId": uuid.uuid4().hex, "destination": [address]}}


def test_a_bounce_stops_email_to_that_address(ctx, virtual_clock):
    from chalicelib.api import workers
    from chalicelib.local import runtime

    lead = make_lead(ctx)
    runtime.cycle()  # enrolled in the nurture sequence, and its first e-mail goes at once
    assert [m["To"] for m in sent_mail()] == [lead["email"]]
    queued = order(lead, "lead_nurture", "how_rates_are_set", 5)  # already on the queue when the bounce lands

    sns_notify(workers.receive_ses_feedback, "ses-feedback", _bounce(lead["email"]))
    drain_events()
    assert (ctx.leads.get(lead["lead_id"]).get("suppressed") or {}).get("email", {}).get("reason") == "bounced"

    assert _deliver_now(ctx, lead, queued) == "suppressed"
    runtime.advance(6 * 86400)  # the rest of the sequence's e-mail days
    assert [m["To"] for m in sent_mail()] == [lead["email"]]  # nothing more went to the bounced address
    suppressed = [t for t in ctx.touches.for_lead(lead["lead_id"]) if t["channel"] == "email"
                  and t["status"] == "suppressed"]
    assert suppressed and all(t["reason"] == "suppressed_address" for t in suppressed)


def test_a_complaint_stops_email_too(ctx):
    from chalicelib.api import workers

    lead = make_lead(ctx)
    drain_events()
    complaint = {"notificationType": "Complaint",
                 "complaint": {"complainedRecipients": [{"emailAddress": lead["email"]}],
                               "complaintFeedbackType": "abuse", "timestamp": "2026-11-28T15:04:05Z"},
                 "mail": {"source": settings().team.sender_email, "destination": [lead["email"]]}}
    sns_notify(workers.receive_ses_feedback, "ses-feedback", complaint)
    drain_events()
    assert _deliver_now(ctx, lead, order(lead, "lead_nurture", "how_rates_are_set", 5)) == "suppressed"
    assert sent_mail() == []


def _paused_with_task(ctx, lead_id: str, kind_word: str) -> None:
    enrollments = ctx.enrollments.for_lead(lead_id)
    assert [e["status"] for e in enrollments if e["sequence"] == "lead_nurture"] == ["paused"]
    tasks = ctx.tasks.list(None, "open", lead_id=lead_id)
    replies = [t for t in tasks if t["kind"] == "reply"]
    assert len(replies) == 1 and replies[0]["lo_id"] == "lo-1" and kind_word in replies[0]["title"]


def test_an_email_reply_pauses_the_enrollment_and_creates_an_lo_task(ctx):
    from chalicelib.api import workers

    lead = make_lead(ctx)
    drain_events()
    assert _deliver_now(ctx, lead, order(lead, "lead_nurture", "thanks_for_reaching_out")) == "sent"
    reply_to = sent_mail()[0]["Reply-To"]
    content = (f"From: Maria Lopez <{lead['email']}>\r\nTo: {reply_to}\r\nSubject: Re: thanks\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\nCan we talk Thursday?\r\n")
    sns_notify(workers.receive_inbound_email, "inbound-email", {
        "notificationType": "Received", "content": content,
        "mail": {"source": lead["email"], "destination": [reply_to], "messageId": uuid.uuid4().hex,
                 "commonHeaders": {"from": [lead["email"]], "to": [reply_to], "subject": "Re: thanks"}}})
    drain_events()
    _paused_with_task(ctx, lead["lead_id"], "e-mail")


def test_an_sms_reply_pauses_the_enrollment_and_creates_an_lo_task(ctx):
    from chalicelib.api import workers

    lead = make_lead(ctx)
    drain_events()
    sns_notify(workers.receive_inbound_sms, "inbound-sms", {
        "originationNumber": lead["phone"], "destinationNumber": settings().team.sms_origination_number,
        "messageKeyword": "SOUNDS", "messageBody": "Sounds good, call me after 5", "inboundMessageId": uuid.uuid4().hex})
    drain_events()
    _paused_with_task(ctx, lead["lead_id"], "text")


def test_stop_after_scheduling_still_stops_the_queued_text(ctx):
    from chalicelib.api import workers

    lead = make_lead(ctx)
    drain_events()
    queued = order(lead, "lead_nurture", "hello_text", 2)
    sns_notify(workers.receive_inbound_sms, "inbound-sms", {
        "originationNumber": lead["phone"], "messageBody": "STOP", "inboundMessageId": uuid.uuid4().hex})
    drain_events()
    before = len(sent_sms())  # the one STOP confirmation
    assert _deliver_now(ctx, lead, queued) == "suppressed"
    assert len(sent_sms()) == before
    assert ctx.touches.get(lead["lead_id"], queued["touch_id"])["reason"] == "opted_out"


def test_a_nurture_email_queued_before_the_borrower_applied_is_not_sent_after(ctx):
    """The borrower applies while the scheduler's touch waits its second on the queue: the
    application's own update goes, the nurture e-mail does not (its sequence ends there)."""
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "how_rates_are_set", 2)
    applied = {**ctx.leads.get(lead["lead_id"]), "stage": "application_submitted"}
    ctx.leads.save(applied)
    assert deliver_mod.deliver(ctx, message(lead, touch), clock.now() + timedelta(seconds=1)) == "suppressed"
    assert sent_mail() == []
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["reason"] == "exited: the lead moved to application_submitted after this touch was planned"
