"""The consent ledger (issue 12): every way out revokes its channel with its source, a later
grant lifts it, and an older lead stored with only an opt-out suppression reads as revoked,
in the API's reading and in the contact policy's alike (both read ``consent.ledger``)."""
from datetime import datetime, timezone

import pytest

from chalicelib.domain import consent, policy
from chalicelib.domain.events import apply_event

T0 = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Chicago
GRANTED = {"channel": "email", "granted": True, "at": "2027-04-01T12:00:00+00:00", "source": "web form", "text": ""}


def _lead(**extra):
    return {"lead_id": "L", "first_name": "Ana", "email": "ana@example.com", "phone": "+15125550123",
            "state": "TX", "timezone": "America/Chicago", "consent_records": [dict(GRANTED)], "suppressed": {},
            **extra}


def _event(type_, **data):
    return {"event_id": "e1", "lead_id": "L", "type": type_, "at": "2027-04-10T12:00:00+00:00", "data": data}


EXITS = [
    (_event("email_unsubscribed", via="page"), "unsubscribe page", "opted_out"),
    (_event("email_unsubscribed", via="one_click"), "one-click unsubscribe", "opted_out"),
    (_event("email_unsubscribed", via="mailto"), "mailto unsubscribe", "opted_out"),
    (_event("email_unsubscribed", via="reply"), "reply asking to stop", "opted_out"),
    (_event("email_complained", address="ana@example.com"), "complaint", "complained"),
]


@pytest.mark.parametrize("event,source,reason", EXITS, ids=[s for _, s, _ in EXITS])
def test_every_way_out_of_email_revokes_consent_with_its_source(event, source, reason):
    lead, _ = apply_event(_lead(), event, T0)
    email = consent.ledger(lead)["email"]
    assert (email["granted"], email["source"], email["at"]) == (False, source, event["at"])
    assert lead["suppressed"]["email"]["reason"] == reason
    marketing = {"channel": "email", "kind": "marketing", "template": "x"}
    assert policy.decide(marketing, lead, T0, 48, policy.ContactState()).action == "suppress"


def test_a_bounce_suppresses_the_address_but_revokes_nothing():
    lead, _ = apply_event(_lead(), _event("email_bounced", address="ana@example.com"), T0)
    assert consent.ledger(lead)["email"]["granted"] is True
    assert lead["suppressed"]["email"]["reason"] == "bounced"
    regrant = consent.grant(lead, "email", "2027-04-11T12:00:00+00:00", "phone call")
    assert regrant["suppressed"]["email"]["reason"] == "bounced"  # no grant mends a broken address


@pytest.mark.parametrize("event,source,reason", EXITS, ids=[s for _, s, _ in EXITS])
def test_a_later_grant_lifts_the_revocation_and_the_persons_own_suppression(event, source, reason):
    lead, _ = apply_event(_lead(), event, T0)
    lead = consent.grant(lead, "email", "2027-04-11T12:00:00+00:00", "phone call", "Yes, e-mail me again")
    assert consent.ledger(lead)["email"]["granted"] is True
    assert "email" not in lead["suppressed"]
    marketing = {"channel": "email", "kind": "marketing", "template": "x"}
    assert policy.decide(marketing, lead, T0, 48, policy.ContactState()).action == "send"


def test_a_backdated_grant_older_than_the_unsubscribe_changes_nothing():
    lead, _ = apply_event(_lead(), _event("email_unsubscribed", via="one_click"), T0)
    lead = consent.grant(lead, "email", "2027-04-05T12:00:00+00:00", "paper form")
    assert consent.revoked(lead, "email") and lead["suppressed"]["email"]["reason"] == "opted_out"


def test_sms_stop_revokes_texts_and_calls_and_start_lifts_texts_only():
    lead = _lead(consent_records=[{**GRANTED, "channel": ch} for ch in ("email", "sms", "voice")])
    lead, _ = apply_event(lead, _event("sms_opt_out", body="STOP"), T0)
    assert [consent.ledger(lead)[ch]["source"] for ch in ("sms", "voice")] == ["sms keyword"] * 2
    assert consent.revoked(lead, "sms") and consent.revoked(lead, "voice") and not consent.revoked(lead, "email")
    lead, _ = apply_event(lead, {**_event("sms_opt_in", body="START"), "at": "2027-04-12T12:00:00+00:00"}, T0)
    assert consent.granted(lead, "sms") and "sms" not in lead["suppressed"]
    assert consent.revoked(lead, "voice") and lead["suppressed"]["voice"]["reason"] == "opted_out"


LEGACY = {"reason": "opted_out", "at": "2027-04-10T12:00:00+00:00", "source": "one_click"}


def test_an_older_lead_with_only_the_suppression_reads_as_revoked_in_the_api_and_the_policy():
    lead = _lead(suppressed={"email": dict(LEGACY)})  # stored before e-mail opt-outs reached the ledger
    assert lead["consent_records"][0]["granted"] is True
    shown = consent.ledger(lead)["email"]  # what GET /leads/{id} shows (services/leads.py public_lead)
    assert (shown["granted"], shown["source"], shown["at"]) == (False, "one_click", LEGACY["at"])
    assert consent.revoked(lead, "email")
    decided = policy.decide({"channel": "email", "kind": "marketing", "template": "x"}, lead, T0, 48,
                            policy.ContactState())
    assert (decided.action, decided.reason) == ("suppress", "opted_out")


def test_an_older_lead_with_no_record_at_all_reads_as_revoked_and_a_later_grant_wins():
    lead = _lead(consent_records=[], suppressed={"email": {**LEGACY, "reason": "unsubscribed"}})
    assert consent.ledger(lead)["email"]["granted"] is False
    lead = consent.grant(lead, "email", "2027-04-11T00:00:00+00:00", "api")
    assert consent.ledger(lead)["email"]["source"] == "api" and lead["suppressed"] == {}


def test_a_bounce_is_never_read_as_a_revocation():
    lead = _lead(suppressed={"email": {"reason": "bounced", "at": LEGACY["at"], "source": "ses"}})
    assert consent.ledger(lead)["email"]["granted"] is True


def test_consent_revoked_at_creation_stops_marketing_email_but_not_a_loan_update():
    """A lead created with consent.email false carries no suppression: the policy reads the ledger."""
    lead = _lead(consent_records=[{**GRANTED, "granted": False, "source": "web form"}])
    assert lead["suppressed"] == {}
    marketing = policy.decide({"channel": "email", "kind": "marketing", "template": "x"}, lead, T0, 48,
                              policy.ContactState())
    update = policy.decide({"channel": "email", "kind": "transactional", "template": "x"}, lead, T0, 48,
                           policy.ContactState())
    assert (marketing.action, marketing.reason) == ("suppress", "opted_out")
    assert update.action == "send"


def test_transactional_email_rules_as_before_an_opt_out_lets_it_through_a_complaint_does_not():
    update = {"channel": "email", "kind": "transactional", "template": "x"}
    unsubscribed, _ = apply_event(_lead(), _event("email_unsubscribed", via="one_click"), T0)
    complained, _ = apply_event(_lead(), _event("email_complained"), T0)
    assert policy.decide(update, unsubscribed, T0, 48, policy.ContactState()).action == "send"
    refused = policy.decide(update, complained, T0, 48, policy.ContactState())
    assert (refused.action, refused.reason) == ("suppress", "suppressed_address")


def test_a_complaint_after_an_unsubscribe_strengthens_the_suppression_and_not_the_reverse():
    lead, _ = apply_event(_lead(), _event("email_unsubscribed", via="one_click"), T0)
    lead, _ = apply_event(lead, {**_event("email_complained"), "event_id": "e2"}, T0)
    assert lead["suppressed"]["email"]["reason"] == "complained"
    lead, _ = apply_event(lead, {**_event("email_unsubscribed", via="reply"), "event_id": "e3",
                                 "at": "2027-04-11T00:00:00+00:00"}, T0)
    assert lead["suppressed"]["email"]["reason"] == "complained"
    assert consent.ledger(lead)["email"]["source"] == "reply asking to stop"


def test_a_bare_opt_out_at_the_very_instant_of_a_grant_reads_as_revoked():
    lead = _lead(suppressed={"email": {**LEGACY, "at": GRANTED["at"]}})
    assert consent.revoked(lead, "email")
