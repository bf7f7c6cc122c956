"""Issue 5's five behaviour rules, each played against the local stack over HTTP."""
import email
import re
from email import policy

import requests

DAY = 86400
IPHONE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
          "Accept": "image/webp,image/png,*/*;q=0.8"}


def _lead(stack, unique, **extra):
    payload = {"first_name": "Dana", "last_name": "Cole", "state": "TX", **unique,
               "consent": {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree."}}}
    payload.update(extra)
    resp = stack.post("/leads", payload)
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def _html(raw: str) -> str:
    return email.message_from_string(raw, policy=policy.default).get_body(preferencelist=("html",)).get_content()


def _email_with_subject(stack, address, fragment, business_days=3):
    """The mail about ``fragment``; marketing mail waits for business hours, so when the shared
    clock sits on a weekend it is given up to ``business_days`` more weekdays to go out."""
    for _ in range(business_days + 3):
        for raw in stack.mail_to(address):
            msg = email.message_from_string(raw, policy=policy.default)
            if fragment in msg["Subject"]:
                return raw
        stack.advance(DAY)
    raise AssertionError(f"no mail to {address} about {fragment!r}")


def _tasks(stack, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return stack.get(f"/tasks?{q}").json()["items"]


def test_rule1_three_opens_of_the_rate_email_make_a_call_task_within_one_cycle(stack, unique):
    lead_id = _lead(stack, unique)
    stack.advance(3 * DAY)
    raw = _email_with_subject(stack, unique["email"], "What actually moves mortgage rates")
    pixel = re.search(r'src="([^"]+/t/o/[^"]+)"', _html(raw)).group(1)
    for _ in range(3):
        assert requests.get(pixel, headers=IPHONE, timeout=30).status_code == 200
    stack.settle()  # one worker cycle
    hot = [t for t in _tasks(stack, lead_id=lead_id, status="open") if t["kind"] == "call"]
    assert len(hot) == 1 and hot[0]["hot"]
    assert any(i["kind"] == "task" and i["task_id"] == hot[0]["task_id"] for i in stack.timeline(lead_id))
    requests.get(pixel, headers=IPHONE, timeout=30)
    stack.settle()
    assert len([t for t in _tasks(stack, lead_id=lead_id) if t["kind"] == "call"]) == 1


def test_rule3_refinance_calculator_click_sends_scenarios_an_hour_later(stack, unique):
    lead_id = _lead(stack, unique, loan={"purpose": "refinance", "type": "conventional", "amount": 300000})
    stack.advance(3 * DAY)
    raw = _email_with_subject(stack, unique["email"], "What actually moves mortgage rates")
    clicks = re.findall(r'href="([^"]+/t/c/[^"]+)"', _html(raw))
    calculator = None
    for link in clicks:
        resp = requests.head(link, headers=IPHONE, allow_redirects=False, timeout=30)  # a scanner's probe
        if "refinance-calculator" in resp.headers.get("Location", ""):
            calculator = link
    assert calculator
    stack.settle()
    assert not [i for i in stack.timeline(lead_id) if i.get("sequence") == "refinance_scenarios"]
    stack.advance(120)
    resp = requests.get(calculator, headers=IPHONE, allow_redirects=False, timeout=30)
    assert resp.status_code == 302 and "refinance-calculator" in resp.headers["Location"]
    stack.settle()
    stack.advance(3600 + 120)
    assert _email_with_subject(stack, unique["email"], "your refinance scenarios")
    clicks = [i for i in stack.timeline(lead_id) if i.get("type") == "link_clicked"]
    assert [c["machine"] for c in clicks][-1] is False and any(c["machine"] for c in clicks)


def test_rule4_silence_after_the_lo_answers_escalates_to_the_manager(stack, unique):
    lead_id = _lead(stack, unique)
    stack.advance(60)
    first = email.message_from_string(stack.mail_to(unique["email"])[0], policy=policy.default)
    stack.post("/_local/inbound/email", {"from": unique["email"], "to": first["Reply-To"],
                                         "subject": "Re: hello", "body": "What would my payment be?"})
    reply_task = next(t for t in _tasks(stack, lead_id=lead_id, status="open") if t["kind"] == "reply")
    assert stack.post(f"/tasks/{reply_task['task_id']}/complete", {"note": "Called and sent numbers"}).status_code == 200
    stack.settle()
    stack.advance(3 * DAY + 3600)
    escalations = [t for t in _tasks(stack, lead_id=lead_id, status="open") if t["lo_id"] == "lo-mgr"]
    assert len(escalations) == 1 and "Escalation" in escalations[0]["title"]


def test_rules2_and_5_silence_switches_email_to_text_then_slows_the_cadence(stack, unique):
    lead_id = _lead(stack, unique, stage="funded",
                    loan={"type": "conventional", "amount": 350000, "rate": 6.75, "term_months": 360,
                          "product": "conv30"})
    stack.advance(47 * DAY)
    items = stack.timeline(lead_id)
    sent = [i for i in items if i["kind"] == "touch" and i["status"] == "sent" and i["sequence"] == "post_funded_welcome"]
    assert sent[0]["channel"] == "email"
    switched = [t for t in sent if t["step"] in ("homestead_and_property_tax", "review_and_referrals")]
    assert switched and all(t["channel"] == "sms" for t in switched)
    assert any(i["kind"] == "enrollment" and i["action"] == "slowed" for i in items)
    sms = stack.aws_data()["sns"]
    assert unique["phone"] in str(sms)
