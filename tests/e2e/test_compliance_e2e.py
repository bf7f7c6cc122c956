"""Issue 7's acceptance on the local stack: STOP words, HELP, and what every marketing email carries."""
import email
from email import policy

STOP_VARIANTS = ["STOP", "stop", "Stop.", "QUIT", "END", "revoke", "OPT OUT", "opt-out", "CANCEL", "Unsubscribe",
                 "STOPALL", "ARRET", "OptOut", "REMOVE", "TD", "please stop texting me", "STOP!!!"]


def _lead(stack, unique):
    resp = stack.post("/leads", {"first_name": "Lena", "state": "NY", "timezone": "America/New_York", **unique,
                                 "consent": {"email": True, "sms": {"granted": True, "source": "web form",
                                                                    "text": "I agree to texts."}}})
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def _texts_to(stack, phone):
    data = stack.aws_data()["sns"]
    messages = []
    for model, rows in data.items():
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and phone in str(row):
                messages.append(row)
    return messages


def test_every_stop_variant_stops_texts_at_once(stack, contacts):
    # one lead per word, one stretch of ten days for all of them (the shared stack's clock is costly)
    leads = {}
    for word in STOP_VARIANTS:
        unique = contacts()
        leads[word] = (_lead(stack, unique), unique["phone"])
    stack.settle()
    before = {}
    for word, (lead_id, phone) in leads.items():
        resp = stack.post("/_local/inbound/sms", {"from": phone, "body": word})
        assert resp.status_code == 202, word
        assert stack.get(f"/leads/{lead_id}").json()["consent"]["sms"]["granted"] is False, word
        before[word] = len(_texts_to(stack, phone))
    stack.advance(10 * 86400)
    for word, (lead_id, phone) in leads.items():
        items = stack.timeline(lead_id)
        later_sms = [i for i in items if i["kind"] == "touch" and i["channel"] == "sms" and i["status"] == "sent"
                     and i["sequence"] != "system"]
        assert later_sms == [], word
        suppressed = [i for i in items if i["kind"] == "touch" and i["channel"] == "sms" and i["status"] == "suppressed"]
        assert suppressed and all(i["reason"] for i in suppressed), word
        confirmations = [i for i in items if i["kind"] == "touch" and i["sequence"] == "system"]
        assert len(confirmations) == 1, word
        assert len(_texts_to(stack, phone)) == before[word], word


def test_help_answers_and_opts_nothing_out(stack, unique):
    lead_id = _lead(stack, unique)
    stack.post("/_local/inbound/sms", {"from": unique["phone"], "body": "HELP"})
    lead = stack.get(f"/leads/{lead_id}").json()
    assert lead["consent"]["sms"]["granted"] is True and "sms" not in lead.get("suppressed", {})
    assert any(i.get("step") == "keyword_help" for i in stack.timeline(lead_id))


def test_start_resubscribes(stack, unique):
    lead_id = _lead(stack, unique)
    stack.post("/_local/inbound/sms", {"from": unique["phone"], "body": "STOP"})
    stack.post("/_local/inbound/sms", {"from": unique["phone"], "body": "START"})
    lead = stack.get(f"/leads/{lead_id}").json()
    assert lead["consent"]["sms"]["granted"] is True and "sms" not in lead.get("suppressed", {})
    assert [r["granted"] for r in lead["consent_history"] if r["channel"] == "sms"] == [True, False, True]


def test_every_marketing_email_carries_the_required_content(stack, unique):
    _lead(stack, unique)
    stack.advance(12 * 86400)
    team = stack.get("/team").json()
    # every message the stand-in holds for the borrowers these tests created (not Realtor updates)
    mails = [email.message_from_string(m["raw_data"], policy=policy.default) for m in stack.sent_mail()
             if any(d.startswith("borrower") for d in m["destinations"])]
    assert len(mails) >= 3
    for msg in mails:
        assert msg["List-Unsubscribe"] and "/u/" in msg["List-Unsubscribe"]
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        for part in (text, html):
            assert team["postal_address"] in part
            assert "Equal Housing Opportunity" in part
            assert any(f"NMLS #{lo['nmls_id']}" in part for lo in team["los"])
