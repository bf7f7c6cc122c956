"""Issue 12's done-when lines on the local stack over HTTP: a one-click unsubscribe (the POST a
mailbox provider makes to the message's List-Unsubscribe URL) revokes consent.email; every
sent touch on a timeline carries `exempt`, the speed-to-lead e-mail and text `immediate`; the
issue's header injection is a 400 naming first_name."""
import email
import re
from email import policy

import requests

from chalicelib.domain.decision import EXEMPTIONS


def _lead(stack, unique) -> str:
    resp = stack.post("/leads", {"first_name": "Lena", "state": "TX", "timezone": "America/Chicago", **unique,
                                 "consent": {"email": True, "sms": {"granted": True, "source": "web form",
                                                                    "text": "I agree to texts."}}})
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def test_a_one_click_unsubscribe_revokes_consent_email(stack, unique):
    lead_id = _lead(stack, unique)
    stack.settle()
    raw = stack.mail_to(unique["email"])
    assert raw, "the speed-to-lead e-mail went"
    header = email.message_from_string(raw[0], policy=policy.default)["List-Unsubscribe"]
    url = re.search(r"<(https?://[^>]+)>", header).group(1)
    # RFC 8058: the provider POSTs the body below, with no cookie and no token of ours
    resp = requests.post(url, data="List-Unsubscribe=One-Click", timeout=60,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200
    stack.settle()
    lead = stack.get(f"/leads/{lead_id}").json()
    assert lead["consent"]["email"]["granted"] is False
    assert lead["consent"]["email"]["source"] == "one-click unsubscribe"
    assert lead["consent"]["sms"]["granted"] is True


def test_every_sent_touch_carries_exempt_and_speed_to_lead_is_immediate(stack, unique):
    lead_id = _lead(stack, unique)
    stack.advance(4 * 86400)
    touches = [i for i in stack.timeline(lead_id) if i["kind"] == "touch"]
    sent = [i for i in touches if i["status"] == "sent"]
    assert len(sent) >= 4  # e-mail, text, the LO's call task, the rate e-mail
    assert all("exempt" in i and i["exempt"] in EXEMPTIONS + (None,) for i in sent)
    first = {i["step"]: i for i in sent if i["sequence"] == "lead_nurture"}
    assert first["thanks_for_reaching_out"]["channel"] == "email"
    assert first["thanks_for_reaching_out"]["exempt"] == "immediate"
    assert (first["hello_text"]["channel"], first["hello_text"]["exempt"]) == ("sms", "immediate")
    assert first["how_rates_are_set"]["exempt"] is None  # a marketing e-mail that waited for the cap


def test_a_header_injection_in_a_name_is_refused_naming_first_name(stack, unique):
    resp = stack.post("/leads", {"first_name": "Bob\r\nBcc: x@example.net", **unique})
    assert resp.status_code == 400
    assert resp.json()["error"] == "validation" and list(resp.json()["fields"]) == ["first_name"]
