"""Issue 2's acceptance, over HTTP against a local stack the tests start themselves."""
import requests


def test_create_read_stage_duplicate_and_validation(stack, unique):
    payload = {"first_name": "Maria", "last_name": "Lopez", "state": "TX", **unique,
               "consent": {"email": True}}
    created = stack.post("/leads", payload)
    assert created.status_code == 201, created.text
    lead_id = created.json()["lead_id"]

    got = stack.get(f"/leads/{lead_id}")
    assert got.status_code == 200 and got.json()["email"] == unique["email"]

    moved = stack.post(f"/leads/{lead_id}/stage", {"stage": "application_submitted"})
    assert moved.status_code == 202
    stack.settle()
    changes = [i for i in stack.timeline(lead_id) if i["kind"] == "event" and i["type"] == "stage_changed"]
    assert changes and changes[-1]["data"]["to"] == "application_submitted"

    anonymous = requests.post(stack.url("/leads"), json=payload, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json() == {"error": "unauthorized"}

    again = stack.post("/leads", payload)
    assert again.status_code == 409 and again.json() == {"error": "duplicate", "lead_id": lead_id}

    bad = stack.post("/leads", {"first_name": "Bad", "phone": "12"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "validation" and "phone" in bad.json()["fields"]


def test_local_routes_validate_their_input(stack):
    assert stack.post("/_local/clock", {"advance_seconds": -5}).status_code == 400
    assert stack.post("/_local/inbound/sms", {"body": "hi"}).status_code == 400
    assert "now" in stack.get("/_local/clock").json()
