"""Issue 27's acceptance over HTTP on the local stack: the manager writes new words for the
first nurture e-mail, the checks refuse what breaks a rule, the manager cannot approve their own
draft, compliance can; the next e-mail carries the new words and its timeline touch names the
version; after rollback the next one carries the old words again."""
import email
import os
import time
from email import policy

import requests

TID = "email.lead_nurture.thanks_for_reaching_out"
NEW_WORDS = "Thanks for asking us, {{ borrower.first_name }}: this is the team's own welcome."


def _as(stack, who):
    person = next(p for p in stack.people if who in p["roles"])
    token = requests.post(stack.url("/auth/login"), json={"email": person["email"], "password": stack.password},
                          timeout=30).json()["token"]
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def _mail_text(raw: str) -> str:
    msg = email.message_from_string(raw, policy=policy.default)
    return "\n".join(part.get_content() for part in msg.walk() if part.get_content_maintype() == "text")


def _first_mail(stack, tag: str) -> tuple[str, list[dict]]:
    address = f"words.{tag}.{os.getpid()}@example.com"
    made = stack.post("/leads", {"first_name": "Wren", "last_name": "Words", "email": address, "state": "TX",
                                 "consent": {"email": True}})
    assert made.status_code == 201, made.text
    for _ in range(40):
        stack.settle()
        mail = stack.mail_to(address)
        if mail:
            sent = [i for i in stack.timeline(made.json()["lead_id"]) if i["kind"] == "touch" and i["status"] == "sent"]
            return _mail_text(mail[0]), sent
        time.sleep(0.3)
    raise AssertionError("no e-mail sent")


def test_manager_writes_compliance_approves_the_next_email_uses_it_and_rollback_restores(stack):
    manager, compliance = _as(stack, "manager"), _as(stack, "compliance")
    url = stack.url(f"/templates/{TID}")
    listed = stack.get("/templates").json()["items"]
    assert any(i["template_id"] == TID and i["sequence"] == "lead_nurture" and i["source"] == "built-in" for i in listed)

    unknown = manager.put(url, json={"body": "Hi {{ borrower.nickname }}"}, timeout=30)
    assert unknown.status_code == 400 and "borrower.nickname" in unknown.json()["fields"]["body"]
    rate = manager.put(url, json={"body": "Hi {{ borrower.first_name }}, rates are 5.99% this week."}, timeout=30)
    assert rate.status_code == 400 and "APR" in rate.json()["fields"]["body"]
    assert _as(stack, "lo").put(url, json={"body": NEW_WORDS}, timeout=30).status_code == 403

    draft = manager.put(url, json={"language": "en", "subject": "Welcome, {{ borrower.first_name }}", "body": NEW_WORDS},
                        timeout=30)
    assert draft.status_code == 201, draft.text
    version = draft.json()["version"]
    assert draft.json()["status"] == "draft"
    approve = stack.url(f"/templates/{TID}/versions/{version}/approve")
    assert manager.post(approve, timeout=30).status_code == 403
    approved = compliance.post(approve, timeout=30)
    assert approved.status_code == 200 and approved.json()["status"] == "live", approved.text
    shown = stack.get(f"/templates/{TID}").json()
    assert shown["live_version"] == version
    mine = next(v for v in shown["versions"] if v["version"] == version)
    assert mine["author"] != mine["approved_by"] and mine["approved_at"] and mine["status"] == "live"

    text, sent = _first_mail(stack, "new")
    assert "the team's own welcome" in text and "Equal Housing" in text
    assert sent[0]["template_version"] == f"v{version}"

    back = manager.post(stack.url(f"/templates/{TID}/rollback"), json={}, timeout=30)
    assert back.status_code == 200 and back.json()["source"] == "built-in", back.text
    text, sent = _first_mail(stack, "old")
    assert "the team's own welcome" not in text and sent[0]["template_version"] == "built-in"
    audit = stack.get("/audit?limit=50").json()["items"]
    assert any(a["target"] == f"template:{TID}" and a["by"] == mine["approved_by"] for a in audit)
