"""The audit's delivery checks (sim/audit.py): ``sent_twice`` and ``lost`` on fabricated records,
outboxes and queues."""
import json
from collections import Counter

from sim.audit import audit

LEADS = {"L": {"state": "TX", "phone": "+15125550100", "timezone": "America/Chicago", "consent_records": [
    {"channel": "sms", "granted": True, "at": "2026-01-01T00:00:00+00:00"}]}}


def touch(touch_id, status="sent", channel="email", at="2026-03-02T15:00:00+00:00", reason="", **extra):
    history = extra.pop("history", None)
    if history is None:
        history = [{"status": status, "at": at, "reason": reason}] if status != "sending" else []
    return {"touch_id": touch_id, "lead_id": "L", "channel": channel, "kind": "transactional", "status": status,
            "reason": reason, "at": at, "history": history, **extra}


def mail(touch_id):
    return {"channel": "email", "touch_id": touch_id, "to": None}


def text(phone="+15125550100"):
    return {"channel": "sms", "touch_id": None, "to": phone}


def run(touches, outbox=(), **kw):
    return audit(touches, LEADS, Counter(m["touch_id"] for m in outbox if m["channel"] == "email"),
                 outbox=list(outbox), **kw)


def test_a_clean_outbox_has_both_keys_at_zero():
    result = run([touch("a"), touch("b", channel="sms")], [mail("a"), text()], queued={"a", "b"})
    assert (result["total"], result["sent_twice"], result["lost"]) == (0, 0, 0)


def test_the_same_touch_mailed_twice_is_caught():
    result = run([touch("a")], [mail("a"), mail("a")])
    assert result["sent_twice"] == 1 and result["violations"] == {"sent_twice": 1}
    assert "a sent 2 times" in result["examples"]["sent_twice"]


def test_a_record_that_says_sent_twice_and_one_step_sent_under_two_ids_are_caught():
    twice = touch("a", history=[{"status": "sent", "at": "2026-03-02T15:00:00+00:00", "reason": ""},
                                {"status": "sent", "at": "2026-03-02T15:05:00+00:00", "reason": ""}])
    step = {"enrollment_id": "e", "sequence": "lead_nurture", "step": "hello", "due_at": "2026-03-03T15:00:00+00:00"}
    one, other = touch("e.1", **step), touch("e.2", **step)
    result = run([twice, one, other], [mail("a"), mail("e.1"), mail("e.2")])
    assert result["sent_twice"] == 2


def test_a_text_more_than_the_sent_text_touches_is_caught_unless_a_failed_one_may_have_gone():
    sms = touch("s", channel="sms")
    assert run([sms], [text(), text()])["sent_twice"] == 1
    unanswered = touch("u", status="failed", channel="sms", reason="no answer from the provider (ReadTimeoutError)")
    assert run([sms, unanswered], [text(), text()])["sent_twice"] == 0
    refused = touch("r", status="failed", channel="sms", reason="InvalidParameter: invalid number")
    assert run([sms, refused], [text(), text()])["sent_twice"] == 1


def test_a_touch_stuck_in_sending_or_retrying_is_lost():
    result = run([touch("a", status="sending"), touch("b", status="retrying", reason="retrying after attempt 1")],
                 queued={"a", "b"})
    assert result["lost"] == 2 and result["total"] == 2
    assert any("left sending" in x for x in result["examples"]["lost"])


def test_a_touch_still_on_the_queue_is_pending_not_lost():
    result = run([touch("a", status="deferred", reason="quiet_hours")], queued={"a", "b"}, pending={"a", "b"})
    assert (result["lost"], result["pending"]) == (0, 2)


def test_queued_and_never_recorded_deferred_on_delivery_and_failed_without_reason_are_lost():
    touches = [touch("d", status="deferred", reason="quiet_hours"), touch("f", status="failed", reason="")]
    result = run(touches, queued={"d", "f", "gone"})
    assert result["lost"] == 3
    # a touch deferred by the scheduler and never queued belongs to its enrollment: not lost
    assert run([touch("d", status="deferred", reason="cap")], queued=set())["lost"] == 0


def test_a_send_recorded_but_never_made_is_lost():
    assert run([touch("a")], [])["lost"] == 1  # no such e-mail left
    assert run([touch("s", channel="sms")], [])["lost"] == 1  # fewer texts than sent text touches


def test_dead_letters_without_a_recorded_failure_and_dropped_sweeps_are_lost():
    order = json.dumps({"touch": {"touch_id": "a", "lead_id": "L"}, "lead": {}})
    failed = touch("a", status="failed", reason="dead-lettered after attempt 5: Throttling")
    assert run([failed], queued={"a"}, dead_letters={"touches": [order], "events": []})["lost"] == 0
    stuck = touch("a", status="retrying", reason="retrying after attempt 4")
    assert run([stuck], queued={"a"}, dead_letters={"touches": [order], "events": []})["lost"] == 2
    event = json.dumps({"event_id": "e1", "type": "sms_inbound"})
    assert run([], dead_letters={"touches": [], "events": [event]})["lost"] == 1
    dropped = [{"function": "sweep_birthdays", "at": "2026-03-02T07:00:00+00:00", "attempts": 3}]
    assert run([], dropped=dropped)["lost"] == 1


def test_a_retried_touch_is_credited_its_retry_delay_against_the_cap_and_no_more():
    def marketing(touch_id, at, **extra):
        return touch(touch_id, at=at, kind="marketing", **extra)

    first = marketing("a", "2026-03-02T15:03:00+00:00", attempt=2, due_at="2026-03-02T15:00:00+00:00")
    second = marketing("b", "2026-03-04T15:00:00+00:00")  # 48 h after the first was due, 47:57 after it went
    assert run([first, second], [mail("a"), mail("b")])["violations"] == {}
    at_once = marketing("a", "2026-03-02T15:03:00+00:00", attempt=1, due_at="2026-03-02T15:00:00+00:00")
    assert run([at_once, second], [mail("a"), mail("b")])["violations"] == {"cap": 1}
    late = marketing("a", "2026-03-02T16:00:00+00:00", attempt=3, due_at="2026-03-02T15:00:00+00:00")
    second_late = marketing("b", "2026-03-04T15:30:00+00:00")
    assert run([late, second_late], [mail("a"), mail("b")])["violations"] == {"cap": 1}  # 15 min at most


def test_a_touch_its_enrollment_numbered_but_never_queued_nor_recorded_is_lost():
    recorded = touch("e.1")
    result = run([recorded], [mail("e.1")], queued={"e.1", "e.3"}, pending={"e.3"}, planned={"e.1", "e.2", "e.3"})
    assert result["lost"] == 1 and "e.2 planned by its enrollment" in result["examples"]["lost"][0]
