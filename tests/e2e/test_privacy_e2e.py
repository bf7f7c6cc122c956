"""Issue 30's done-when lines on the local stack over HTTP: a lead's record holds its consent
ledger with evidence and each e-mail it was sent; after erase, GET /leads/{id} answers 404, no
table of the stack holds the person's e-mail, phone or name, and the same person created again
is sent no marketing."""
import json

import boto3

from tests.helpers import readable


def _stored(stack) -> str:
    """Every item of every table of the stack's AWS stand-in, as text."""
    ddb = boto3.client("dynamodb", endpoint_url=stack.aws, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    out = []
    for name in ddb.get_paginator("list_tables").paginate().build_full_result()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=name):
            out += readable(page["Items"])
    return json.dumps(out).lower()


def test_a_borrowers_record_then_their_erasure_leaves_no_trace_and_no_marketing(stack, unique):
    n = unique["phone"][-4:]
    person = {"first_name": "Zephyrine", "last_name": f"Oakhollow{n}", "state": "TX", "timezone": "America/Chicago",
              **unique, "consent": {"email": True, "sms": {"granted": True, "source": "web form",
                                                           "text": "I agree to texts."}}}
    resp = stack.post("/leads", person)
    assert resp.status_code == 201, resp.text
    lead_id = resp.json()["lead_id"]
    stack.settle()
    sent = stack.mail_to(unique["email"])
    assert sent, "the speed-to-lead e-mail went"

    record = stack.get(f"/leads/{lead_id}/export")
    assert record.status_code == 200, record.text
    record = record.json()
    evidence = [r for r in record["consent"]["records"] if r["channel"] == "sms"][0]
    assert (evidence["source"], evidence["text"], evidence["by"]) == ("web form", "I agree to texts.", "key:bootstrap")
    mails = [t for t in record["touches_sent"] if t["channel"] == "email"]
    assert len(mails) == len(sent) and mails[0]["rerendered"] is True and "Zephyrine" in mails[0]["content"]["text"]

    words = ("zephyrine", f"oakhollow{n}", unique["email"].lower(), unique["phone"][2:])
    assert all(w in _stored(stack) for w in words)  # the search below can fail: the person was stored
    erased = stack.post(f"/leads/{lead_id}/erase", {"reason": "privacy request"})
    assert erased.status_code == 200, erased.text
    assert stack.get(f"/leads/{lead_id}").status_code == 404
    assert [w for w in words if w in _stored(stack)] == []
    assert stack.get(f"/leads/{lead_id}/export").json()["erased"]["by"] == "key:bootstrap"

    again = stack.post("/leads", {**person, "last_name": "Someone"})
    assert again.status_code == 201, again.text
    assert {s["reason"] for s in again.json()["suppressed"].values()} == {"erased"}
    stack.advance(86400)
    assert len(stack.mail_to(unique["email"])) == len(sent)
    timeline = stack.timeline(again.json()["lead_id"])
    assert any(i["kind"] == "touch" and i["status"] == "suppressed" and i["reason"] == "erased" for i in timeline)
