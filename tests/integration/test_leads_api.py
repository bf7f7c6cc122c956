"""The management API through Chalice's test client, on moto."""
import json

from tests.helpers import body, drain_events

MARIA = {"first_name": "Maria", "last_name": "Lopez", "email": "maria@example.com", "phone": "(512) 555-0123",
         "state": "TX", "consent": {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree"}}}


def post(api, path, payload, headers):
    return api.http.post(path, body=json.dumps(payload), headers=headers)


def test_create_normalises_and_reads_back(api, auth):
    resp = post(api, "/leads", MARIA, auth)
    assert resp.status_code == 201
    lead = body(resp)
    assert lead["phone"] == "+15125550123"
    assert lead["timezone"] == "America/Chicago"
    assert lead["stage"] == "new_lead" and lead["lo_id"] == "lo-1"
    assert lead["consent"]["sms"]["granted"] is True
    got = api.http.get(f"/leads/{lead['lead_id']}", headers=auth)
    assert got.status_code == 200 and body(got)["email"] == "maria@example.com"


def test_every_management_route_needs_the_token(api, auth):
    assert api.http.post("/leads", body=json.dumps(MARIA)).status_code == 401
    assert body(api.http.get("/leads", headers={"Authorization": "Bearer wrong"})) == {"error": "unauthorized"}
    assert api.http.get("/team", headers={"Authorization": "Basic x"}).status_code == 401
    assert api.http.get("/tasks").status_code == 401


def test_bad_fields_are_named(api, auth):
    resp = post(api, "/leads", {"first_name": "", "email": "nope", "phone": "12", "stage": "won",
                                "timezone": "Mars/Base", "loan": {"rate": "high"}, "colour": "red"}, auth)
    assert resp.status_code == 400
    fields = body(resp)["fields"]
    assert set(fields) == {"first_name", "email", "phone", "stage", "timezone", "loan.rate", "colour"}
    assert post(api, "/leads", {"last_name": "X"}, auth).status_code == 400
    raw = api.http.post("/leads", body="{not json", headers=auth)
    assert raw.status_code == 400 and "body" in body(raw)["fields"]


def test_duplicate_email_or_phone_answers_409_with_first_id(api, auth):
    first = body(post(api, "/leads", MARIA, auth))["lead_id"]
    again = post(api, "/leads", {**MARIA, "phone": None}, auth)
    assert again.status_code == 409 and body(again) == {"error": "duplicate", "lead_id": first}
    by_phone = post(api, "/leads", {"first_name": "M", "phone": "+1 512 555 0123"}, auth)
    assert by_phone.status_code == 409 and body(by_phone)["lead_id"] == first
    by_case = post(api, "/leads", {"first_name": "M", "email": "MARIA@Example.com"}, auth)
    assert by_case.status_code == 409


def test_a_losing_create_leaves_nothing_behind(ctx):
    """The identity items are claimed in the lead's own transaction: the loser of a race
    writes no lead and no claim on its other contact point."""
    import pytest

    from chalicelib.store.errors import Duplicate
    from chalicelib.store.models import IdentityModel, LeadModel

    base = {"stage": "new_lead", "lo_id": "lo-1", "created_at": "2026-11-29T10:00:00+00:00", "first_name": "M"}
    ctx.leads.create({**base, "lead_id": "a", "email": "maria@example.com", "phone": "+15125550123"})
    with pytest.raises(Duplicate) as lost:
        ctx.leads.create({**base, "lead_id": "b", "email": "Maria@Example.com", "phone": "+15125550199"})
    assert lost.value.lead_id == "a"
    assert ctx.leads.get("b") is None and LeadModel.count() == 1
    assert {i.identity: i.lead_id for i in IdentityModel.scan()} == {
        "email#maria@example.com": "a", "phone#+15125550123": "a"}


def test_patch_moves_the_claim_and_refuses_a_taken_address(api, auth, monkeypatch):
    first = body(post(api, "/leads", MARIA, auth))["lead_id"]
    other = body(post(api, "/leads", {"first_name": "Sam", "email": "sam@example.com"}, auth))["lead_id"]
    moved = api.http.patch(f"/leads/{first}", body=json.dumps({"email": "maria.l@example.com"}), headers=auth)
    assert moved.status_code == 200
    # the old address is free again, the new one is taken
    assert post(api, "/leads", {"first_name": "New", "email": "maria@example.com"}, auth).status_code == 201
    assert body(post(api, "/leads", {"first_name": "X", "email": "maria.l@example.com"}, auth))["lead_id"] == first

    # A create that lands between the patch's check and its write: the write itself refuses.
    from chalicelib.store.leads import LeadRepo

    real, calls = LeadRepo.find_duplicate, []

    def late(self, email, phone, exclude=None):
        calls.append(email)
        return None if len(calls) == 1 else real(self, email, phone, exclude)

    monkeypatch.setattr(LeadRepo, "find_duplicate", late)
    taken = api.http.patch(f"/leads/{other}", body=json.dumps({"email": "maria.l@example.com"}), headers=auth)
    assert taken.status_code == 409 and body(taken)["lead_id"] == first
    assert body(api.http.get(f"/leads/{other}", headers=auth))["email"] == "sam@example.com"


def test_stage_change_is_queued_then_recorded_on_the_timeline(api, auth):
    lead_id = body(post(api, "/leads", MARIA, auth))["lead_id"]
    resp = post(api, f"/leads/{lead_id}/stage", {"stage": "application_submitted"}, auth)
    assert resp.status_code == 202
    assert body(api.http.get(f"/leads/{lead_id}", headers=auth))["stage"] == "new_lead"  # not inline
    drain_events()
    assert body(api.http.get(f"/leads/{lead_id}", headers=auth))["stage"] == "application_submitted"
    items = body(api.http.get(f"/leads/{lead_id}/timeline", headers=auth))["items"]
    changes = [i for i in items if i["kind"] == "event" and i["type"] == "stage_changed"]
    assert changes[-1]["data"] == {"from": "new_lead", "to": "application_submitted"}
    assert all("at" in i for i in items)
    assert post(api, f"/leads/{lead_id}/stage", {"stage": "won"}, auth).status_code == 400
    assert post(api, "/leads/nope/stage", {"stage": "funded"}, auth).status_code == 404


def test_patch_merges_and_validates(api, auth):
    lead_id = body(post(api, "/leads", {**MARIA, "loan": {"type": "fha", "amount": 250000}}, auth))["lead_id"]
    resp = api.http.patch(f"/leads/{lead_id}", body=json.dumps({"loan": {"rate": 6.5}, "last_name": "Lopez-Diaz"}),
                          headers=auth)
    assert resp.status_code == 200
    lead = body(resp)
    assert lead["loan"] == {"type": "fha", "amount": 250000, "rate": 6.5} and lead["last_name"] == "Lopez-Diaz"
    bad = api.http.patch(f"/leads/{lead_id}", body=json.dumps({"email": "x"}), headers=auth)
    assert bad.status_code == 400 and "email" in body(bad)["fields"]
    assert api.http.patch("/leads/missing", body="{}", headers=auth).status_code == 404


def test_consent_is_history_not_overwritten(api, auth):
    lead_id = body(post(api, "/leads", MARIA, auth))["lead_id"]
    resp = post(api, f"/leads/{lead_id}/consent", {"channel": "sms", "granted": False, "source": "phone call"}, auth)
    assert resp.status_code == 200
    lead = body(resp)
    assert lead["consent"]["sms"]["granted"] is False
    assert [r["granted"] for r in lead["consent_history"] if r["channel"] == "sms"] == [True, False]
    assert post(api, f"/leads/{lead_id}/consent", {"channel": "fax", "granted": True}, auth).status_code == 400


def test_list_pages_with_a_cursor(api, auth):
    for i in range(5):
        post(api, "/leads", {"first_name": f"L{i}", "email": f"l{i}@example.com"}, auth)
    seen, cursor = [], None
    for _ in range(10):
        path = "/leads?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = body(api.http.get(path, headers=auth))
        seen += [i["lead_id"] for i in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    by_lo = body(api.http.get("/leads?lo_id=lo-1&limit=10", headers=auth))["items"]
    assert len(by_lo) == 5
    assert api.http.get("/leads?cursor=garbage!", headers=auth).status_code == 400
    assert api.http.get("/leads?limit=0", headers=auth).status_code == 400


def test_events_are_validated_and_queued(api, auth):
    lead_id = body(post(api, "/leads", MARIA, auth))["lead_id"]
    assert post(api, f"/leads/{lead_id}/events", {"type": "credit_pull", "data": {"bureau": "equifax"}}, auth).status_code == 202
    bad = post(api, f"/leads/{lead_id}/events", {"type": "teleport"}, auth)
    assert bad.status_code == 400 and "type" in body(bad)["fields"]
    drain_events()
    types = [i.get("type") for i in body(api.http.get(f"/leads/{lead_id}/timeline", headers=auth))["items"]]
    assert "credit_pull" in types


def test_team_settings(api, auth):
    team = body(api.http.get("/team", headers=auth))
    assert team["nmls_id"] and team["postal_address"] and team["los"][0]["nmls_id"]
    assert team["cap_hours"] == 48
