"""One consent ledger (issue 12), on moto through the real routes and handlers: every way out of
e-mail shows as consent.email.granted false with its source in GET /leads/{id}, the delivery
path reads the same ledger, and a later grant lifts it (never a bounce)."""
import json

import pytest

from chalicelib.clock import clock
from chalicelib.tracking.links import TouchTracker
from tests.helpers import body, drain_events
from tests.integration.test_delivery import message, order, sent_mail

CONSENT = {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree to texts"}}


@pytest.fixture
def lead(api, auth):
    resp = api.http.post("/leads", headers=auth, body=json.dumps({
        "first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com", "phone": "+15125550123",
        "state": "TX", "consent": CONSENT}))
    assert resp.status_code == 201
    drain_events()
    return body(resp)["lead_id"]


def _shown(api, auth, lead_id) -> dict:
    resp = api.http.get(f"/leads/{lead_id}", headers=auth)
    assert resp.status_code == 200
    return body(resp)


def _unsubscribe(api, lead_id, form: str):
    token = TouchTracker("lead_nurture.x.1", lead_id).unsubscribe_url().rsplit("/", 1)[1]
    if "via=page" in form:  # what the page's button posts
        page = api.http.get(f"/u/{token}").body.decode()
        assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in page
        assert '<input type="hidden" name="via" value="page">' in page
    resp = api.http.post(f"/u/{token}", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200


def _inbound_email(api, auth, to: str, subject: str, text: str):
    resp = api.http.post("/_local/inbound/email", headers=auth, body=json.dumps(
        {"from": "maria@example.com", "to": to, "subject": subject, "body": text}))
    assert resp.status_code == 202


def _complaint(api, auth, lead_id):
    from chalicelib.api import workers
    from chalicelib.local.runtime import _Context, _sns_event

    workers.receive_ses_feedback(_sns_event("ses-feedback", {
        "notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "maria@example.com"}],
                                                       "complaintFeedbackType": "abuse"}}), _Context())


WAYS_OUT = {
    "one-click unsubscribe": lambda api, auth, lead_id: _unsubscribe(api, lead_id, "List-Unsubscribe=One-Click"),
    "unsubscribe page": lambda api, auth, lead_id: _unsubscribe(api, lead_id, "List-Unsubscribe=One-Click&via=page"),
    "mailto unsubscribe": lambda api, auth, lead_id: _inbound_email(
        api, auth, TouchTracker("x.1", lead_id).unsubscribe_mailto()[len("mailto:"):], "unsubscribe", ""),
    "reply asking to stop": lambda api, auth, lead_id: _inbound_email(
        api, auth, TouchTracker("x.1", lead_id).reply_address(), "Re: your rate", "Please stop emailing me.\n"),
    "complaint": _complaint,
}


@pytest.mark.parametrize("source", list(WAYS_OUT))
def test_each_way_out_shows_consent_email_revoked_with_its_source_and_stops_marketing_mail(
        api, auth, ctx, lead, source):
    assert _shown(api, auth, lead)["consent"]["email"]["granted"] is True
    WAYS_OUT[source](api, auth, lead)
    drain_events()
    shown = _shown(api, auth, lead)
    assert shown["consent"]["email"]["granted"] is False
    assert shown["consent"]["email"]["source"] == source
    assert shown["consent"]["sms"]["granted"] is True  # the other channels keep theirs
    assert [r["granted"] for r in shown["consent_history"] if r["channel"] == "email"] == [True, False]
    # the delivery path reads the same ledger
    from chalicelib.services.deliver import deliver

    stored = ctx.leads.get(lead)
    assert deliver(ctx, message(stored, order(stored, "lead_nurture", "how_rates_are_set", 5)), clock.now()) \
        == "suppressed"
    assert sent_mail() == []


@pytest.mark.parametrize("source", ["one-click unsubscribe", "reply asking to stop", "complaint"])
def test_a_later_grant_lifts_the_revocation_and_mail_goes_again(api, auth, ctx, lead, source):
    from chalicelib.services.deliver import deliver

    WAYS_OUT[source](api, auth, lead)
    drain_events()
    clock.advance(3600)
    resp = api.http.post(f"/leads/{lead}/consent", headers=auth, body=json.dumps(
        {"channel": "email", "granted": True, "source": "phone call", "text": "Yes, e-mail me again."}))
    assert resp.status_code == 200
    assert body(resp)["consent"]["email"]["granted"] is True and "email" not in body(resp)["suppressed"]
    shown = _shown(api, auth, lead)
    assert (shown["consent"]["email"]["granted"], shown["consent"]["email"]["source"]) == (True, "phone call")
    stored = ctx.leads.get(lead)
    assert deliver(ctx, message(stored, order(stored, "lead_nurture", "how_rates_are_set", 5)), clock.now()) == "sent"


def test_a_grant_never_lifts_a_bounce(api, auth, ctx, lead):
    from chalicelib.api import workers
    from chalicelib.local.runtime import _Context, _sns_event

    workers.receive_ses_feedback(_sns_event("ses-feedback", {"notificationType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "maria@example.com"}]}}), _Context())
    drain_events()
    assert _shown(api, auth, lead)["consent"]["email"]["granted"] is True  # a broken address is no one's choice
    api.http.post(f"/leads/{lead}/consent", headers=auth, body=json.dumps({"channel": "email", "granted": True}))
    assert _shown(api, auth, lead)["suppressed"]["email"]["reason"] == "bounced"


def test_an_older_lead_stored_with_only_the_suppression_reads_as_revoked_and_is_not_mailed(api, auth, ctx, lead):
    from chalicelib.services.deliver import deliver

    clock.advance(86400)
    stored = ctx.leads.get(lead)
    at = clock.now().isoformat()
    stored["suppressed"] = {"email": {"reason": "opted_out", "at": at, "source": "one_click"}}  # as written before
    ctx.leads.save(stored)
    assert [r["channel"] for r in ctx.leads.get(lead)["consent_records"]] == ["email", "sms"]  # no revocation record
    shown = _shown(api, auth, lead)["consent"]["email"]
    assert (shown["granted"], shown["source"], shown["at"]) == (False, "one_click", at)
    stored = ctx.leads.get(lead)
    touch = order(stored, "lead_nurture", "how_rates_are_set", 5)
    assert deliver(ctx, message(stored, touch), clock.now()) == "suppressed"
    assert ctx.touches.get(lead, touch["touch_id"])["reason"] == "opted_out"


def test_consent_revoked_through_the_api_stops_marketing_mail_in_the_scheduler(api, auth, ctx, lead):
    from chalicelib.local import runtime

    api.http.post(f"/leads/{lead}/consent", headers=auth,
                  body=json.dumps({"channel": "email", "granted": False, "source": "phone call"}))
    before = len(sent_mail())
    runtime.advance(3 * 86400)
    mails = [t for t in ctx.touches.for_lead(lead) if t["channel"] == "email" and t["sequence"] == "lead_nurture"]
    assert len(sent_mail()) == before
    assert any(t["status"] == "suppressed" and t["reason"] == "opted_out" for t in mails)


def test_the_consent_routes_fields_are_named_and_control_characters_refused(api, auth, lead):
    resp = api.http.post(f"/leads/{lead}/consent", headers=auth, body=json.dumps(
        {"channel": "email", "granted": False, "source": "call\r\ncenter", "at": "yesterday"}))
    assert resp.status_code == 400 and set(body(resp)["fields"]) == {"source"}
    resp = api.http.post(f"/leads/{lead}/consent", headers=auth, body=json.dumps(
        {"channel": "email", "granted": False, "at": "yesterday"}))
    assert resp.status_code == 400 and set(body(resp)["fields"]) == {"at"}

