"""Issue 26's acceptance on the local stack: 120 new borrowers get their first e-mail; ten hard
bounces played through ``POST /_local/feedback`` brake the sending identity; for the next days no
marketing e-mail goes while a stage change still sends its loan-status e-mail; a resume by ops
lets marketing go again. Its own stack: the brake is team-wide and would hold other tests' mail."""
import email
import json
from email import policy

import pytest

from tests.e2e.conftest import launch_stack

DAY = 86400
IDENTITY = "lonestarhomelending.example"


@pytest.fixture(scope="module")
def own():
    with launch_stack(".e2e-deliverability.log") as running:
        yield running


def _touch_ids(stack, since: int) -> list[str]:
    out = []
    for m in stack.sent_mail()[since:]:
        msg = email.message_from_string(m["raw_data"], policy=policy.default)
        out.append(str(msg["X-Touch-Id"]))
    return out


def _kinds(stack, lead_ids: list[str], touch_ids: set[str]) -> dict[str, str]:
    """touch id -> (sequence, exempt) as the timelines show the sent ones."""
    out = {}
    for lead_id in lead_ids:
        for item in stack.timeline(lead_id):
            if item["kind"] == "touch" and item["touch_id"] in touch_ids and item["status"] == "sent":
                out[item["touch_id"]] = (item["sequence"], item.get("exempt"))
    return out


def _ops_alerts(stack) -> list[dict]:
    topics = {t["name"]: t for t in stack.aws_data()["sns"].get("Topic", [])}
    ops = next((t for name, t in topics.items() if name.endswith("-ops-alerts")), {})
    return [json.loads(n[1]) for n in ops.get("sent_notifications", [])]


def test_ten_hard_bounces_brake_marketing_not_loan_status_until_ops_resumes(own):
    stack = own
    leads = []
    for n in range(120):
        resp = stack.post("/leads", {"first_name": f"Bo{n}", "last_name": "Rower", "state": "TX",
                                     "email": f"bo{n}@example.com", "consent": {"email": True}})
        assert resp.status_code == 201, resp.text
        leads.append(resp.json()["lead_id"])
    stack.settle()
    first = {a for m in stack.sent_mail() for a in m["destinations"]}
    assert all(f"bo{n}@example.com" in first for n in range(120))  # each got its first e-mail
    view = stack.get("/deliverability").json()["identities"][0]
    assert view["identity"] == IDENTITY and view["state"] == "ok" and view["sent_7d"] >= 120

    for n in range(10):
        assert stack.post("/_local/feedback", {"email": f"bo{n}@example.com", "type": "bounce"}).status_code == 202
    view = stack.get("/deliverability").json()["identities"][0]
    assert view["state"] == "braked" and view["hard_bounces_7d"] == 10
    assert "bounce rate" in view["reason"] and view["bounce_rate_7d"] > 0.025
    assert any(a.get("identity") == IDENTITY and "braked" in a["subject"] for a in _ops_alerts(stack))
    # a bounced address is suppressed for the lead that has it
    assert stack.get(f"/leads/{leads[0]}").json()["suppressed"]["email"]["reason"] == "bounced"

    before = len(stack.sent_mail())
    assert stack.post(f"/leads/{leads[50]}/stage", {"stage": "application_submitted"}).status_code == 202
    stack.advance(3 * DAY)
    new = _touch_ids(stack, before)
    kinds = _kinds(stack, leads[10:], set(new))
    assert new and all(seq == "pipeline_progression" for seq, _ in kinds.values()), kinds  # loan status only
    assert any(seq == "pipeline_progression" for seq, _ in kinds.values())
    waiting = [i for i in stack.timeline(leads[20]) if i["kind"] == "touch" and i.get("reason") == "braked"]
    assert waiting and waiting[-1]["status"] == "deferred"

    # a manager reads it; only ops (or an admin key) resumes it
    key = stack.post("/keys", {"name": "dash", "scopes": ["read"]}).json()["key"]
    reader = {"Authorization": f"Bearer {key}"}
    assert stack.session.get(stack.url("/deliverability"), headers=reader, timeout=30).status_code == 200
    assert stack.session.post(stack.url(f"/deliverability/{IDENTITY}/resume"), headers=reader,
                              timeout=30).status_code == 403
    resumed = stack.post(f"/deliverability/{IDENTITY}/resume")
    assert resumed.status_code == 200 and resumed.json()["state"] == "ok"
    assert resumed.json()["resumed_by"] == "key:bootstrap" or resumed.json()["resumed_by"].startswith("key:")
    assert stack.post(f"/deliverability/{IDENTITY}/resume").status_code == 409  # not braked any more
    audit = stack.get("/audit").json()["items"]
    assert any(e["target"] == f"identity:{IDENTITY}" and "resume" in e["action"] for e in audit)

    before = len(stack.sent_mail())
    stack.advance(2 * DAY)
    new = _touch_ids(stack, before)
    kinds = _kinds(stack, leads[10:40], set(new))
    assert any(seq != "pipeline_progression" for seq, _ in kinds.values()), kinds  # marketing goes again
    assert stack.get("/deliverability").json()["identities"][0]["state"] == "ok"


def test_clean_lists_in_refuse_disposable_flag_role_and_suppress_a_bounced_address(own):
    stack = own
    refused = stack.post("/leads", {"first_name": "Tmp", "email": "tmp@mailinator.com"})
    assert refused.status_code == 400 and "disposable" in refused.json()["fields"]["email"]
    role = stack.post("/leads", {"first_name": "Info", "email": "info@brokerage.example"})
    assert role.status_code == 201 and "role account" in role.json()["address_warning"]
    assert stack.post("/_local/feedback", {"email": "gone@example.com", "type": "bounce"}).status_code == 202
    later = stack.post("/leads", {"first_name": "Gone", "email": "gone@example.com"})
    assert later.status_code == 201 and later.json()["suppressed"]["email"]["reason"] == "bounced"
    bad = stack.post("/_local/feedback", {"email": "x", "type": "bounce"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"email"}
