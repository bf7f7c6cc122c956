"""The year simulator, cut short: the real engine on the virtual clock for a few dozen synthetic
borrowers, then the audit of every send against the contact rules (sim/audit.py).

Its figures (how many opens, which sequences) depend on the seeded people; the audit must be
clean whatever they do."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.clock import clock
from sim.audit import audit
from sim.run import simulate


@pytest.fixture
def timeline_reset():
    yield
    from chalicelib.local import runtime

    runtime.reset()


def test_four_weeks_of_synthetic_borrowers_break_no_contact_rule(aws, timeline_reset):
    # from late February: crosses a month end and the March DST change (8 March 2026)
    result = simulate(leads=16, days=28, seed=5, start_at=datetime(2026, 2, 23, 15, 0, tzinfo=timezone.utc))
    assert result["audit"]["total"] == 0, result["audit"]
    sent = result["sent_by_channel"]
    assert sent.get("email", 0) > 20 and sent.get("sms", 0) > 5 and sent.get("task", 0) > 0
    people = result["people"]
    assert people["human_opens"] > 0 and people["apple_proxy_fetches"] > 0
    # Apple's proxy fetches are recorded, as machine opens, and never as human ones
    assert result["opens_recorded"]["machine"] >= people["apple_proxy_fetches"]
    assert result["opens_recorded"]["human"] <= people["human_opens"]
    assert "lead_nurture" in result["sent_by_sequence"]
    assert not any(status in ("sending", "retrying") for status in result["touches_by_final_status"])
    # every touch put on the (moto) queue was followed to a final status
    assert result["audit"]["queued"] > 20 and (result["audit"]["sent_twice"], result["audit"]["lost"]) == (0, 0)


def _touch(touch_id, channel, at, kind="marketing", **extra):
    return {"touch_id": touch_id, "lead_id": "L", "channel": channel, "kind": kind, **extra,
            "history": [{"status": "sent", "at": at}]}


def test_the_audit_catches_what_it_looks_for():
    lead = {"L": {"state": "FL", "phone": "+13055550100", "timezone": "America/New_York",
                  "consent_records": [{"channel": "sms", "granted": True, "at": "2026-01-01T00:00:00+00:00"},
                                      {"channel": "sms", "granted": False, "at": "2026-03-05T00:00:00+00:00"}],
                  "suppressed": {"email": {"reason": "opted_out", "at": "2026-03-01T00:00:00+00:00"}}}}
    touches = [
        _touch("night", "sms", "2026-03-02T02:30:00+00:00"),                     # 21:30 in Miami
        _touch("e1", "email", "2026-03-02T15:00:00+00:00"),                      # after the unsubscribe
        _touch("s1", "sms", "2026-03-03T15:00:00+00:00", hot=True),              # a day after e1: hot, fine
        _touch("s2", "sms", "2026-03-03T16:00:00+00:00", hot=True),
        _touch("s3", "sms", "2026-03-03T17:00:00+00:00", hot=True),
        _touch("s4", "sms", "2026-03-03T18:00:00+00:00", hot=True),              # a fourth in 24 h in Florida
        _touch("s5", "sms", "2026-03-06T18:00:00+00:00"),                        # after STOP; 3 days on
        _touch("kw", "sms", "2026-03-05T00:00:05+00:00", kind="transactional", sequence="system"),  # STOP reply
    ]
    from collections import Counter

    found = audit(touches, lead, Counter({"e1": 2}))["violations"]
    assert found == {"calling_hours": 1, "opted_out_email": 1, "state_daily_limit": 1, "consent": 1,
                     "cap": 1, "sent_twice": 1}


def test_the_same_seed_gives_the_same_year(timeline_reset):
    """The in-memory run twice: ids, jitter and the held clock come from the seed, not the machine."""
    from sim.run import simulate_in_memory

    start = datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)
    runs = [simulate_in_memory(leads=10, days=40, seed=11, start_at=start) for _ in range(2)]
    for run in runs:
        run.pop("wall_seconds")
    assert runs[0] == runs[1]
    assert runs[0]["sent_by_channel"].get("email", 0) > 10


def test_two_sends_at_the_same_instant_are_audited_not_compared_as_dicts():
    lead = {"L": {"state": "TX", "timezone": "America/Chicago", "consent_records": []}}
    touches = [_touch("a", "email", "2026-03-02T15:00:00+00:00", kind="transactional"),
               _touch("b", "email", "2026-03-02T15:00:00+00:00", kind="transactional")]
    from collections import Counter

    assert audit(touches, lead, Counter())["total"] == 0


# -- a season with faults (sim/faults.py) ------------------------------------------------------

def test_a_faulted_season_sends_nothing_twice_and_loses_nothing(timeline_reset):
    """Throttling, timeouts after commit, crashes between claim and send, duplicate deliveries and
    lost leases, each injected on the way; the audit still finds every touch sent at most once
    and none lost (the engine bugs these faults found are the tests below)."""
    from sim.run import simulate_in_memory

    result = simulate_in_memory(leads=30, days=60, seed=17, start_at=datetime(2027, 1, 4, 15, 0, tzinfo=timezone.utc),
                                fault_rate=0.05)
    faults = result["faults"]
    assert faults["injected"] > 100 and all(faults["by_kind"].values()), faults["by_kind"]
    assert (result["audit"]["sent_twice"], result["audit"]["lost"], result["audit"]["total"]) == (0, 0, 0), \
        result["audit"]
    assert result["sent_by_channel"].get("email", 0) > 100 and result["sent_by_channel"].get("sms", 0) > 10
    assert "sending" not in result["touches_by_final_status"] and "retrying" not in result["touches_by_final_status"]


def test_the_same_seed_gives_the_same_faulted_year(timeline_reset):
    from sim.run import simulate_in_memory

    start = datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)
    runs = [simulate_in_memory(leads=8, days=30, seed=11, start_at=start, fault_rate=0.05) for _ in range(2)]
    for run in runs:
        run.pop("wall_seconds")
    assert runs[0] == runs[1] and runs[0]["faults"]["injected"] > 0


class _Always:
    """The injector's rng, made to inject the kind at ``index`` at every call."""

    def __init__(self, index: int):
        self.index = index

    def random(self) -> float:
        return 0.0

    def randrange(self, n: int) -> int:
        return self.index % n


@pytest.fixture
def memory():
    """The in-memory store and AWS stand-ins, as the fast simulator runs them."""
    from types import SimpleNamespace

    from chalicelib import aws
    from chalicelib.local.memory_aws import MemoryAWS
    from chalicelib.services import context as composition

    stand_in, ctx = MemoryAWS(), composition.Context.in_memory()
    aws.use_stand_ins(stand_in.clients())
    composition.use(ctx)
    yield SimpleNamespace(ctx=ctx, aws=stand_in)
    aws.use_stand_ins(None)
    composition.use(None)


def _faulty(memory, service: str, kind: str):
    from chalicelib import aws
    from sim.faults import SEND_KINDS, Faults, SendFaults

    faults = Faults(0.5, _Always(SEND_KINDS.index(kind)))
    target = memory.aws.ses if service == "sesv2" else memory.aws.sns
    aws.use_stand_ins({**memory.aws.clients(), service: SendFaults(target, faults, service)})
    return faults


def test_an_email_the_provider_took_without_answering_is_failed_not_sent_again(memory):
    """Found by the faulted year: SES took the message, the answer timed out, the touch was
    retried and the borrower got the e-mail twice. SES has no idempotency key: failed, not resent."""
    from chalicelib.services.deliver import deliver
    from tests.integration.test_delivery import make_lead, message, order

    ctx = memory.ctx
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out")
    faults = _faulty(memory, "sesv2", "timeout_after_commit")
    faults.armed = True
    assert deliver(ctx, message(lead, touch), clock.now(), attempt=1) == "failed"
    faults.armed = False
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "failed" and record["reason"].startswith("no answer from the provider (ReadTimeoutError)")
    # the message's redelivery sends nothing
    assert deliver(ctx, message(lead, touch), clock.now() + timedelta(minutes=1), attempt=2) == "duplicate"
    assert len(memory.aws.ses.sent) == 1


def test_sent_marks_that_cannot_be_written_bring_the_message_back_and_the_lease_settles_it(memory, monkeypatch):
    """Found by the faulted year: the batch's "sent" marks were throttled, the message was
    acknowledged all the same, and the touch stayed "sending" for good."""
    import json

    from chalicelib.api import workers
    from chalicelib.config import settings
    from chalicelib.local.runtime import _sqs_event
    from tests.integration.test_delivery import make_lead, message, order

    ctx = memory.ctx
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out")
    record = {"MessageId": "m1", "ReceiptHandle": "h1", "Body": json.dumps(message(lead, touch)),
              "Attributes": {"ApproximateReceiveCount": "1"}}
    calls = []

    def throttled(marks):
        calls.append(len(marks))
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(ctx.touches, "put_sent", throttled)
    event = _sqs_event(settings().touches_queue_url, [record])
    assert workers.deliver_touches_batch(event) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert calls == [1, 1, 1]  # tried, then handed back
    assert ctx.touches.get(lead["lead_id"], touch["touch_id"])["status"] == "sending"
    monkeypatch.undo()

    clock.advance(180)  # the queue's visibility timeout: the message comes back
    again = _sqs_event(settings().touches_queue_url, [{**record, "Attributes": {"ApproximateReceiveCount": "2"}}])
    assert workers.deliver_touches_batch(again) == {"batchItemFailures": []}
    settled = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert settled["status"] == "failed" and settled["reason"].startswith("interrupted")
    assert len(memory.aws.ses.sent) == 1  # never resent


def test_a_stop_answer_is_recorded_sent_only_once_it_went(memory):
    """Found by the faulted year: the STOP confirmation was recorded "sent" before the text went;
    a process that died there (or a claim whose answer was lost, the redelivered STOP then
    skipped as a duplicate) left a record of a text never sent."""
    from chalicelib import bus
    from chalicelib.local.runtime import LambdaCrash
    from chalicelib.services.evaluate import handle_event
    from tests.integration.test_delivery import make_lead

    ctx = memory.ctx
    stop_lead, help_lead = make_lead(ctx, 1), make_lead(ctx, 2)

    def inbound(lead, body):
        return bus.make_event(None, "sms_inbound", {"from": lead["phone"], "body": body, "message_id": body}, clock.now(),
                              "sns")

    def answers(lead):
        return [t for t in ctx.touches.for_lead(lead["lead_id"]) if t.get("sequence") == "system"]

    faults = _faulty(memory, "sns", "crash")
    stop = inbound(stop_lead, "STOP")
    with faults.invocation("events"), pytest.raises(LambdaCrash):
        handle_event(ctx, stop, clock.now())
    assert [t["status"] for t in answers(stop_lead)] == ["sending"] and memory.aws.sns.sms == []
    sms_consent = [r for r in ctx.leads.get(stop_lead["lead_id"])["consent_records"] if r["channel"] == "sms"]
    assert sms_consent[-1]["granted"] is False  # the opt-out itself holds

    clock.advance(180)  # the event comes back after its visibility timeout, the claim's lease is over
    assert handle_event(ctx, stop, clock.now()) == "duplicate"
    [answer] = answers(stop_lead)
    assert answer["status"] == "failed" and answer["reason"].startswith("interrupted") and memory.aws.sns.sms == []

    help_ = inbound(help_lead, "HELP")  # no fault: answered once, recorded with the provider's id
    assert handle_event(ctx, help_, clock.now()) == "processed"
    assert handle_event(ctx, help_, clock.now()) == "duplicate"
    [answer] = answers(help_lead)
    assert answer["status"] == "sent" and answer["provider_id"] == memory.aws.sns.sms[0]["id"]
    assert [h["status"] for h in answer["history"]] == ["sent"] and len(memory.aws.sns.sms) == 1


def _enrolled(memory, n: int = 0):
    """A new lead, enrolled by its lead_created event: its first e-mail due now."""
    from chalicelib.local import runtime
    from tests.integration.test_delivery import make_lead

    lead = make_lead(memory.ctx, n)
    runtime.drain()
    return lead


def test_a_scheduler_write_whose_answer_was_lost_still_queues_its_touches(memory, monkeypatch):
    """Found by the faulted year: the scheduler's write went in, its answer was lost, and the
    touches it had numbered were never queued (a hundred in 120 days at 5 %)."""
    from chalicelib.local import runtime
    from chalicelib.services.schedule import schedule_due
    from sim.faults import dynamodb_timeout

    ctx = memory.ctx
    _enrolled(memory)
    commit_many = ctx.uow.commit_many

    def committed_then_timed_out(*args, **kwargs):
        commit_many(*args, **kwargs)
        raise dynamodb_timeout("commit_many")

    monkeypatch.setattr(ctx.uow, "commit_many", committed_then_timed_out)
    assert schedule_due(ctx, clock.now())["queued"] == 1
    monkeypatch.undo()
    runtime.drain()
    assert len(memory.aws.ses.sent) == 1


def test_a_scheduler_write_that_did_not_go_in_queues_nothing_and_the_next_minute_sends_once(memory, monkeypatch):
    from chalicelib.local import runtime
    from chalicelib.services.schedule import schedule_due
    from sim.faults import dynamodb_throttled

    ctx = memory.ctx
    _enrolled(memory)

    def throttled(*args, **kwargs):
        raise dynamodb_throttled("commit_many")

    monkeypatch.setattr(ctx.uow, "commit_many", throttled)
    assert schedule_due(ctx, clock.now())["queued"] == 0
    monkeypatch.undo()
    assert schedule_due(ctx, clock.now() + timedelta(minutes=1))["queued"] == 1
    runtime.drain()
    assert len(memory.aws.ses.sent) == 1


def test_a_queue_call_that_raises_is_tried_again_then_its_touches_are_recorded_failed(memory, monkeypatch):
    from botocore.exceptions import ReadTimeoutError

    from chalicelib.local import runtime
    from chalicelib.services.schedule import schedule_due

    ctx = memory.ctx
    lead = _enrolled(memory)
    send = memory.aws.sqs.send_message_batch
    calls = []

    def once_then(*args, **kwargs):  # the first call went but its answer was lost; the second goes too
        calls.append(1)
        out = send(*args, **kwargs)
        if len(calls) == 1:
            raise ReadTimeoutError(endpoint_url="https://sqs.us-east-1.amazonaws.com/")
        return out

    monkeypatch.setattr(memory.aws.sqs, "send_message_batch", once_then)
    assert schedule_due(ctx, clock.now())["queue_failures"] == 0
    monkeypatch.undo()
    runtime.drain()
    assert len(calls) == 2 and len(memory.aws.ses.sent) == 1  # two copies queued, one e-mail

    def refused(*args, **kwargs):
        raise ReadTimeoutError(endpoint_url="https://sqs.us-east-1.amazonaws.com/")

    other = _enrolled(memory, 1)
    monkeypatch.setattr(memory.aws.sqs, "send_message_batch", refused)
    assert schedule_due(ctx, clock.now() + timedelta(minutes=1))["queue_failures"] == 1
    [record] = ctx.touches.for_lead(other["lead_id"])
    assert record["status"] == "failed" and record["reason"] == "the touches queue refused it twice"
    assert [t["status"] for t in ctx.touches.for_lead(lead["lead_id"])] == ["sent"]


def test_the_last_attempt_settles_a_claim_left_by_a_delivery_that_stopped(memory, monkeypatch):
    """Found by the faulted year: a claim whose answer was lost, then retries that failed before the
    lease check, and the touch went to the dead-letter queue still "sending"."""
    from chalicelib.channels.errors import TransientFailure
    from chalicelib.services.deliver import MAX_ATTEMPTS, deliver
    from sim.faults import dynamodb_throttled
    from tests.integration.test_delivery import message

    ctx = memory.ctx
    lead, touch, claimed = _claimed(ctx, "thanks_for_reaching_out")

    def throttled(record):
        raise dynamodb_throttled("claim_sending")

    get, reads = ctx.touches.get, []

    def first_read_fails(*args, **kwargs):  # the claim's read-back fails too: the last attempt settles it
        reads.append(1)
        if len(reads) == 1:
            raise dynamodb_throttled("get")
        return get(*args, **kwargs)

    monkeypatch.setattr(ctx.touches, "claim_sending", throttled)
    monkeypatch.setattr(ctx.touches, "get", first_read_fails)
    with pytest.raises(TransientFailure):
        deliver(ctx, message(lead, touch), claimed + timedelta(minutes=10), attempt=MAX_ATTEMPTS)
    monkeypatch.undo()
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "failed" and record["reason"].startswith("interrupted")
    assert memory.aws.ses.sent == []


def test_a_failed_claim_read_back_to_a_stale_claim_settles_it_at_once(memory, monkeypatch):
    """Found by the faulted year (at 10 %): a crashed delivery's claim, then claims that failed at
    every later attempt; the read-back of a failed claim now answers as a refused claim would."""
    from chalicelib.services.deliver import deliver
    from sim.faults import dynamodb_throttled
    from tests.integration.test_delivery import make_lead, message, order

    ctx = memory.ctx
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out")
    claimed = clock.now()
    ctx.touches.claim({**touch, "status": "sending", "reason": "", "at": claimed.isoformat(), "attempt": 1,
                       "claim": "crashed"}, history=False)

    def throttled(record):
        raise dynamodb_throttled("claim_sending")

    monkeypatch.setattr(ctx.touches, "claim_sending", throttled)
    assert deliver(ctx, message(lead, touch), claimed + timedelta(minutes=3), attempt=2) == "interrupted"
    assert ctx.touches.get(lead["lead_id"], touch["touch_id"])["status"] == "failed"


def test_a_sweep_walk_that_fails_continues_on_the_events_queue(memory, monkeypatch):
    """Found by the faulted year: a rate sweep failed three times and its night was dropped."""
    import json

    from chalicelib.config import settings
    from chalicelib.local import runtime
    from chalicelib.services import sweeps

    def failing(*args, **kwargs):
        raise RuntimeError("RequestThrottled")

    monkeypatch.setattr(sweeps, "walk", failing)
    assert sweeps.birthdays(memory.ctx, clock.now())["continued"] == 1
    monkeypatch.undo()
    [body] = memory.aws.sqs.bodies(settings().events_queue_url)
    assert json.loads(body)["type"] == "sweep_page"
    runtime.drain()
    assert memory.aws.sqs.bodies(settings().events_queue_url) == []
    assert memory.aws.sqs.dead_letters(settings().events_queue_url) == []


def test_a_claim_whose_answer_was_lost_is_read_back_and_the_touch_sent_once(memory, monkeypatch):
    """Found by the faulted year: the claim went in, its answer was lost, and the touch waited out
    its own claim's lease to be failed "interrupted", never sent (158 touches in the year)."""
    from chalicelib.channels.errors import TransientFailure
    from chalicelib.services.deliver import deliver
    from sim.faults import dynamodb_throttled, dynamodb_timeout
    from tests.integration.test_delivery import make_lead, message, order

    ctx = memory.ctx
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out")
    claim_sending = ctx.touches.claim_sending

    def committed_then_timed_out(record):
        claim_sending(record)
        raise dynamodb_timeout("claim_sending")

    monkeypatch.setattr(ctx.touches, "claim_sending", committed_then_timed_out)
    assert deliver(ctx, message(lead, touch), clock.now(), attempt=1) == "sent"
    monkeypatch.undo()
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "sent" and [h["status"] for h in record["history"]] == ["sent"]
    assert deliver(ctx, message(lead, touch), clock.now() + timedelta(minutes=1), attempt=2) == "duplicate"
    assert len(memory.aws.ses.sent) == 1

    # another delivery's claim, and ours failing: not taken for ours, nothing sent
    other = order(lead, "lead_nurture", "how_rates_are_set", 2)
    ctx.touches.claim({**other, "status": "sending", "reason": "", "at": clock.now().isoformat(), "attempt": 1,
                       "claim": "another"}, history=False)

    def throttled(record):
        raise dynamodb_throttled("claim_sending")

    monkeypatch.setattr(ctx.touches, "claim_sending", throttled)
    with pytest.raises(TransientFailure):
        deliver(ctx, message(lead, other), clock.now(), attempt=1)
    assert ctx.touches.get(lead["lead_id"], other["touch_id"])["status"] == "sending"
    assert len(memory.aws.ses.sent) == 1


def test_a_copy_that_comes_back_after_a_crash_to_an_opted_out_borrower_settles_the_claim(memory):
    """Found by the faulted year: a text went, the batch crashed before its "sent" mark, the
    borrower answered STOP; the copy that came back was suppressed, found the touch claimed, and
    left it "sending" for good."""
    from chalicelib.services.deliver import SEND_LEASE, deliver
    from tests.integration.test_delivery import message

    ctx = memory.ctx
    lead, touch, claimed = _claimed(ctx, "hello_text")
    stopped = ctx.leads.get(lead["lead_id"])
    stopped["consent_records"] = stopped["consent_records"] + [
        {"channel": "sms", "granted": False, "at": claimed.isoformat(), "source": "sms keyword", "text": "STOP"}]
    ctx.leads.save(stopped)
    assert deliver(ctx, message(stopped, touch), claimed + SEND_LEASE + timedelta(seconds=60), attempt=2) == "interrupted"
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "failed" and record["reason"].startswith("interrupted")
    assert memory.aws.sns.sms == []


def _claimed(ctx, step: str):
    """A lead, its touch of lead_nurture's ``step``, claimed ("sending") now as a delivery would."""
    from tests.integration.test_delivery import make_lead, order

    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", step)
    claimed = clock.now()
    ctx.touches.claim({**touch, "status": "sending", "reason": "", "at": claimed.isoformat(), "attempt": 1},
                      history=False)
    return lead, touch, claimed
