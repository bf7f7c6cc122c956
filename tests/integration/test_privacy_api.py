"""Issue 30 on moto, through the real routes, queues and handlers: a borrower's record on request,
erasure on request (every table read afterwards), the suppression it leaves for a lead created or
imported again, and the time to live of touch and timeline records."""
import json
from datetime import datetime, timedelta

import boto3
import pytest

from chalicelib.clock import clock
from chalicelib.local import runtime
from tests.helpers import body, drain_events, readable
from tests.integration.test_delivery import sent_mail

PERSON = {"first_name": "Quintessa", "last_name": "Brightwater", "email": "Quintessa.B@example.com",
          "phone": "+15125550177", "state": "TX", "birthday": "1984-06-02",
          "loan": {"purpose": "purchase", "amount": 412000, "rate": 6.875},
          "consent": {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree to texts"}}}
TRACES = ("quintessa", "brightwater", "5125550177", "512-555-0177")


def _create(api, auth, person=PERSON) -> dict:
    resp = api.http.post("/leads", headers=auth, body=json.dumps(person))
    assert resp.status_code == 201, resp.body
    drain_events()
    return body(resp)


@pytest.fixture
def lead(api, auth):
    made = _create(api, auth)
    runtime.advance(3 * 86400)  # the instant answer, the nurture's first days: mail, texts, an LO call task
    return made["lead_id"]


def _mail_to(address: str) -> list:
    return [m for m in sent_mail() if address.lower() in str(m["To"]).lower()]


def _every_item() -> dict[str, list[dict]]:
    """Every item of every DynamoDB table of the stack, as stored."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    out = {}
    for name in ddb.list_tables()["TableNames"]:
        items, start = [], None
        while True:
            page = ddb.scan(TableName=name, **({"ExclusiveStartKey": start} if start else {}))
            items += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        out[name] = readable(items)
    return out


def test_the_record_holds_the_consent_evidence_each_touch_sent_and_each_decision_not_to(api, auth, lead):
    resp = api.http.get(f"/leads/{lead}/export", headers=auth)
    assert resp.status_code == 200
    record = body(resp)
    assert record["lead_id"] == lead and record["exported_by"] == "key:bootstrap" and record["erased"] is None
    assert record["profile"]["email"] == PERSON["email"] and "consent_records" not in record["profile"]
    sms = [r for r in record["consent"]["records"] if r["channel"] == "sms"]
    assert sms == [{"channel": "sms", "granted": True, "at": sms[0]["at"], "source": "web form",
                    "text": "I agree to texts", "by": "key:bootstrap"}]
    assert record["consent"]["standing"]["sms"]["granted"] is True
    mails = [t for t in record["touches_sent"] if t["channel"] == "email"]
    assert len(mails) == len(_mail_to(PERSON["email"])) >= 1
    first = mails[0]
    assert first["rerendered"] is True and first["template"] and first["sent_at"]
    assert first["subject"] == str(_mail_to(PERSON["email"])[0]["Subject"])  # the subject as sent
    assert "Quintessa" in first["content"]["text"] and "NMLS" in first["content"]["text"]
    assert {t["channel"] for t in record["touches_sent"]} >= {"email", "sms"}
    assert all(d["reason"] for d in record["not_sent"]) and all(d["status"] != "sent" for d in record["not_sent"])
    assert any(i["kind"] == "touch" and i["status"] == "sent" for i in record["timeline"])
    assert record["tasks"] and all(t["lead_id"] == lead for t in record["tasks"])
    timeline = body(api.http.get(f"/leads/{lead}/timeline", headers=auth))["items"]
    assert any(i.get("type") == "record_exported" and i.get("by") == "key:bootstrap" for i in timeline)
    assert api.http.get("/leads/nobody/export", headers=auth).status_code == 404


def test_erasure_leaves_no_trace_of_the_person_in_any_table_and_suppresses_them_for_good(api, auth, ctx, lead):
    assert any(t in json.dumps(_every_item()).lower() for t in TRACES)  # the check can fail: the data was there
    resp = api.http.post(f"/leads/{lead}/erase", headers=auth, body=json.dumps({"reason": "privacy request by phone"}))
    assert resp.status_code == 200, resp.body
    done = body(resp)
    assert done["erased"]["by"] == "key:bootstrap" and done["removed"]["touches"] >= 1 and not done["already"]
    tables = _every_item()
    stored = json.dumps(tables).lower()
    assert [t for t in TRACES + (PERSON["email"].lower(),) if t in stored] == []
    assert api.http.get(f"/leads/{lead}", headers=auth).status_code == 404
    assert api.http.get(f"/leads/{lead}/timeline", headers=auth).status_code == 404
    # what stays: two suppression entries (HMACs, never the address), the tombstone, what the engine did
    erased = [i for i in tables["touchengine-local-identities"] if i["identity"]["S"].startswith("erased#")]
    assert len(erased) == 2 and all(i["lead_id"]["S"] == lead for i in erased)
    assert not [i for i in tables["touchengine-local-identities"] if i.get("lead_id", {}).get("S") == lead
                and not i["identity"]["S"].startswith("erased#")]
    assert not [i for i in tables["touchengine-local-enrollments"] if i["lead_id"]["S"] == lead]
    assert not [i for i in tables["touchengine-local-tasks"] if i["lead_id"]["S"] == lead
                and i["status"]["S"] == "open"]
    record = body(api.http.get(f"/leads/{lead}/export", headers=auth))
    assert record["profile"] is None and record["erased"]["by"] == "key:bootstrap"
    assert record["erased"]["reason"] == "privacy request by phone"
    assert [r["source"] for r in record["consent"]["records"] if r["channel"] == "sms"] == ["web form"]
    assert all(t["content"] is None for t in record["touches_sent"]) and record["touches_sent"]
    assert any(i["kind"] == "erased" for i in record["timeline"])
    again = api.http.post(f"/leads/{lead}/erase", headers=auth)
    assert again.status_code == 200 and body(again)["already"] is True

    # the same person again, by a form: created, suppressed on every channel; no marketing goes
    before = len(_mail_to(PERSON["email"]))
    back = _create(api, auth, {**PERSON, "email": PERSON["email"].upper(), "phone": "+15125550999"})
    assert {ch: s["reason"] for ch, s in back["suppressed"].items()} == {"email": "erased", "sms": "erased",
                                                                         "voice": "erased"}
    runtime.advance(7 * 86400)
    assert len(_mail_to(PERSON["email"])) == before
    touches = ctx.touches.for_lead(back["lead_id"])
    assert touches and all(t["status"] != "sent" for t in touches if t["channel"] in ("email", "sms", "voice"))
    assert any(t["reason"] == "erased" for t in touches)


def test_a_touch_already_queued_for_an_erased_lead_is_dropped_unwritten(ctx, aws):
    from chalicelib.services import privacy
    from chalicelib.services.deliver import deliver
    from tests.integration.test_delivery import make_lead, message, order

    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out")
    privacy.erase(ctx, lead["lead_id"], None, clock.now(), "ops@example.com")
    before = len(sent_mail())
    assert deliver(ctx, message(lead, touch), clock.now()) == "erased"
    assert len(sent_mail()) == before and ctx.touches.get(lead["lead_id"], touch["touch_id"]) is None


def test_an_import_of_an_erased_person_brings_them_back_suppressed(api, auth, ctx):
    made = _create(api, auth)
    assert api.http.post(f"/leads/{made['lead_id']}/erase", headers=auth).status_code == 200
    csv = ("Borrower First Name,Borrower Last Name,Borrower Email,Borrower Cell Phone\n"
           "Quintessa,Brightwater,quintessa.b@example.com,512-555-0177\n").encode()
    resp = api.http.post("/imports?file=back.csv", body=csv, headers={**auth, "Content-Type": "text/csv"})
    assert resp.status_code == 202, resp.body
    drain_events()
    assert body(api.http.get(f"/imports/{body(resp)['import_id']}", headers=auth))["created"] == 1
    back = ctx.leads.get(ctx.leads.find_duplicate("quintessa.b@example.com", None))
    assert back["lead_id"] != made["lead_id"]
    assert {s["reason"] for s in back["suppressed"].values()} == {"erased"} and len(back["suppressed"]) == 3


def test_erase_names_a_bad_field_and_answers_404_for_a_lead_that_never_was(api, auth, lead):
    resp = api.http.post(f"/leads/{lead}/erase", headers=auth, body=json.dumps({"reason": "x" * 501}))
    assert resp.status_code == 400 and set(body(resp)["fields"]) == {"reason"}
    resp = api.http.post(f"/leads/{lead}/erase", headers=auth, body=json.dumps({"confirm": True}))
    assert resp.status_code == 400 and set(body(resp)["fields"]) == {"confirm"}
    assert api.http.get(f"/leads/{lead}", headers=auth).status_code == 200  # nothing erased by a bad request
    assert api.http.post("/leads/nobody/erase", headers=auth).status_code == 404


def test_touch_and_timeline_records_expire_after_the_teams_retention_and_the_tombstone_never(api, auth, lead):
    tables = _every_item()

    def years_after(item: dict, at: str) -> float:
        expires = datetime.fromtimestamp(int(item["expires_at"]["N"]), tz=clock.now().tzinfo)
        return (expires - datetime.fromisoformat(at)) / timedelta(days=365.25)

    touches = [i for i in tables["touchengine-local-touches"] if i["lead_id"]["S"] == lead]
    assert touches and all(round(years_after(i, json.loads(i["doc"]["S"])["at"]), 2) == 5.0 for i in touches)
    items = [i for i in tables["touchengine-local-timeline"] if i["lead_id"]["S"] == lead]
    assert items and all(round(years_after(i, json.loads(i["item"]["S"])["at"]), 2) == 5.0 for i in items)
    api.http.post(f"/leads/{lead}/erase", headers=auth)
    tomb = [i for i in _every_item()["touchengine-local-timeline"]
            if i["lead_id"]["S"] == lead and json.loads(i["item"]["S"])["kind"] == "erased"]
    assert len(tomb) == 1 and "expires_at" not in tomb[0]


def test_a_stage_without_an_erasure_key_says_so_and_erases_nothing(api, auth, monkeypatch):
    from chalicelib.services import privacy

    lead = json.loads(api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": "Nora", "email": "nora.key@example.com", "consent": {"email": True}})).body)["lead_id"]
    monkeypatch.setattr(privacy, "_secret", lambda: None)
    resp = api.http.post(f"/leads/{lead}/erase", headers=auth, body="{}")
    assert resp.status_code == 503 and json.loads(resp.body)["error"] == "not_configured"
    assert api.http.get(f"/leads/{lead}", headers=auth).status_code == 200
