"""`exempt` (issue 12): every sent touch says why it did not wait for the frequency cap, decided
by the contact policy and carried with the order to the timeline."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import policy
from chalicelib.domain.decision import EXEMPTIONS
from chalicelib.domain.timeline import assemble
from chalicelib.sequences import engine
from chalicelib.sequences.catalog import SEQUENCES

T0 = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Chicago
CONSENT = [{"channel": ch, "granted": True, "at": "2027-04-01T00:00:00+00:00", "source": "web", "text": "ok"}
           for ch in ("email", "sms", "voice")]
LEAD = {"lead_id": "L", "first_name": "Ana", "email": "ana@example.com", "phone": "+15125550123", "state": "TX",
        "timezone": "America/Chicago", "consent_records": CONSENT, "suppressed": {}}


def _order(channel="email", kind="marketing", **flags):
    return {"channel": channel, "kind": kind, "template": "x", "hot": False, "immediate": False, **flags}


CASES = [
    ("speed-to-lead e-mail", _order(immediate=True), "immediate"),
    ("speed-to-lead text", _order("sms", immediate=True), "immediate"),
    ("immediate answer on a hot sequence", _order(immediate=True, hot=True), "immediate"),
    ("hot signal", _order(hot=True), "hot"),
    ("hot text", _order("sms", hot=True), "hot"),
    ("loan-status update", _order(kind="transactional"), "transactional"),
    ("loan-status text", _order("sms", kind="transactional"), "transactional"),
    ("marketing e-mail", _order(), None),
    ("marketing text", _order("sms"), None),
    ("LO task (not a touch to the borrower)", _order("task"), None),
    ("Realtor update (not capped)", _order("partner_email", kind="transactional"), None),
]


@pytest.mark.parametrize("order,exempt", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_order_kind_sends_with_its_exemption(order, exempt):
    lead = {**LEAD, "realtor": {"email": "sam@realty.example"}}
    decision = policy.decide(order, lead, T0, 48, policy.ContactState())
    assert decision.action == "send" and decision.exempt == exempt
    assert exempt is None or exempt in EXEMPTIONS


@pytest.mark.parametrize("order,exempt", [c[1:] for c in CASES[:7]], ids=[c[0] for c in CASES[:7]])
def test_an_exempt_touch_goes_inside_the_cap_and_says_so(order, exempt):
    state = policy.ContactState(last_capped_at=T0 - timedelta(hours=1))
    decision = policy.decide(order, LEAD, T0, 48, state)
    assert (decision.action, decision.exempt) == ("send", exempt)


def test_a_capped_touch_waits_and_carries_no_exemption():
    state = policy.ContactState(last_capped_at=T0 - timedelta(hours=1))
    decision = policy.decide(_order(), LEAD, T0, 48, state)
    assert (decision.action, decision.reason, decision.exempt) == ("defer", "cap", None)


def _sent_items(outcome, at: datetime) -> list[dict]:
    """The sends recorded as delivery records them ({**order, status sent}), read back as the timeline."""
    touches = [{**o, "status": "sent", "at": at.isoformat(),
                "history": [{"status": "sent", "at": at.isoformat(), "reason": ""}]} for o in outcome.sends]
    return [i for i in assemble([], touches, []) if i["kind"] == "touch"]


def test_the_speed_to_lead_email_and_text_reach_the_timeline_as_immediate():
    seq = SEQUENCES["lead_nurture"]
    e = engine.enroll(seq, LEAD, T0, "enr1", "stage:new_lead").enrollment
    state = policy.ContactState()

    def decide(order):
        return policy.decide(order, LEAD, now, 48, state)

    items = []
    for minutes in (0, 5):
        now = T0 + timedelta(minutes=minutes)
        out = engine.advance(e, seq, LEAD, now, decide)
        e = out.enrollment
        items += _sent_items(out, now)
    assert [(i["step"], i["channel"], i["exempt"]) for i in items] == [
        ("thanks_for_reaching_out", "email", "immediate"), ("hello_text", "sms", "immediate")]


def test_every_touch_item_carries_the_exempt_key_null_unless_sent():
    touches = [{"touch_id": "a.1", "sequence": "s", "step": "x", "channel": "email", "exempt": "hot",
                "status": "sent", "at": "2027-04-13T15:00:00+00:00",
                "history": [{"status": "deferred", "at": "2027-04-13T14:00:00+00:00", "reason": "cap"},
                            {"status": "sent", "at": "2027-04-13T15:00:00+00:00", "reason": ""}]},
               {"touch_id": "b.1", "sequence": "s", "step": "y", "channel": "sms",  # recorded before the field
                "status": "sent", "at": "2027-04-13T16:00:00+00:00", "history": []}]
    enrollments = [{"status": "active", "due_at": "2027-04-14T15:00:00+00:00", "sequence": "s",
                    "next_touch": {"touch_id": "a.2", "step": "z", "channel": "email"}}]
    items = assemble([], touches, enrollments)
    assert [(i["status"], i["exempt"]) for i in items] == [
        ("deferred", None), ("sent", "hot"), ("sent", None), ("scheduled", None)]
