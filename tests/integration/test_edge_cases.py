"""Edges a loan officer or integrator would hit: late queues, offsets, cursors, double clicks."""
import base64
import json
from datetime import datetime, timezone

import pytest

from chalicelib.clock import clock
from chalicelib.services import deliver as deliver_mod
from tests.helpers import body, drain_events
from tests.integration.test_delivery import make_lead, message, order


def test_a_text_that_reaches_delivery_at_night_waits_even_on_its_first_attempt(ctx):
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "hello_text")
    night = datetime(2026, 12, 2, 5, 0, tzinfo=timezone.utc)  # 23:00 in Chicago
    with pytest.raises(deliver_mod.Deferred):
        deliver_mod.deliver(ctx, message(lead, touch), night, attempt=1)
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "deferred" and record["reason"] == "quiet_hours"


def test_consent_records_order_by_time_not_by_how_the_offset_was_written(api, auth, ctx):
    lead_id = body(api.http.post("/leads", headers=auth, body=json.dumps({
        "first_name": "Ana", "phone": "+15125550111",
        "consent": {"sms": {"granted": True, "at": "2026-11-01T13:00:00+00:00", "source": "form", "text": "ok"}}})))["lead_id"]
    # a revocation at 09:30 in New York is 14:30 UTC: later than the grant
    resp = api.http.post(f"/leads/{lead_id}/consent", headers=auth, body=json.dumps(
        {"channel": "sms", "granted": False, "at": "2026-11-01T09:30:00-05:00", "source": "phone call"}))
    assert body(resp)["consent"]["sms"]["granted"] is False


def test_consent_changes_only_through_its_route(api, auth):
    lead_id = body(api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": "Ana", "email": "ana@example.com"})))["lead_id"]
    resp = api.http.patch(f"/leads/{lead_id}", headers=auth, body=json.dumps({"consent": {"sms": True}}))
    assert resp.status_code == 400 and "consent" in body(resp)["fields"]


def test_a_foreign_cursor_is_a_400_not_a_500(api, auth):
    api.http.post("/leads", headers=auth, body=json.dumps({"first_name": "Ana", "email": "ana@example.com"}))
    forged = base64.urlsafe_b64encode(json.dumps({"a": {"S": "x"}}).encode()).decode().rstrip("=")
    resp = api.http.get(f"/leads?cursor={forged}", headers=auth)
    assert resp.status_code == 400 and "cursor" in body(resp)["fields"]


def test_completing_a_task_twice_records_it_once(api, auth, ctx):
    lead_id = body(api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": "Ana", "email": "ana@example.com", "phone": "+15125550112"})))["lead_id"]
    drain_events()
    api.http.post("/_local/inbound/sms", headers=auth, body=json.dumps({"from": "+15125550112", "body": "call me?"}))
    task = next(t for t in ctx.tasks.list(None, "open", lead_id=lead_id) if t["kind"] == "reply")
    for _ in range(2):
        assert api.http.post(f"/tasks/{task['task_id']}/complete", headers=auth, body="{}").status_code == 200
    drain_events()
    done = [i for i in ctx.timeline.list(lead_id) if i.get("kind") == "task" and i.get("status") == "done"]
    assert len(done) == 1
    assert len([e for e in ctx.enrollments.for_lead(lead_id) if e["sequence"] == "escalation_watch"]) == 1


def test_patching_a_time_zone_makes_it_the_one_the_policy_uses(api, auth, ctx):
    lead_id = body(api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": "Ana", "email": "ana@example.com", "state": "TX"})))["lead_id"]
    assert ctx.leads.get(lead_id)["timezone_derived"] is True
    api.http.patch(f"/leads/{lead_id}", headers=auth, body=json.dumps({"timezone": "America/Denver"}))
    lead = ctx.leads.get(lead_id)
    assert lead["timezone"] == "America/Denver" and not lead.get("timezone_derived")



def test_a_bouncing_realtor_address_stops_partner_updates_on_every_lead_it_serves(api, auth, ctx):

    from chalicelib.api import workers
    from chalicelib.domain import policy
    from chalicelib.local.runtime import _Context, _sns_event

    realtor = {"name": "Sam Agent", "email": "Sam@Realty.example"}
    ids = [body(api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": f"B{i}", "email": f"b{i}@example.com", "realtor": realtor})))["lead_id"] for i in range(2)]
    drain_events()
    workers.receive_ses_feedback(_sns_event("ses-feedback", {"notificationType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "sam@realty.example"}]}}), _Context())
    drain_events()
    for lead_id in ids:
        lead = ctx.leads.get(lead_id)
        assert lead["suppressed"]["partner_email"]["reason"] == "bounced"
        assert "email" not in lead["suppressed"]  # the borrower's own address is fine
        d = policy.decide({"channel": "partner_email", "kind": "transactional"}, lead, clock.now(), 48,
                          policy.ContactState())
        assert d.action == "suppress" and d.reason == "suppressed_address"
