"""Issue 6's acceptance on the local stack: the nightly sweeps on the virtual clock.

A past client funded a year ago tomorrow gets ``annual_review`` once the clock passes the next
nightly run (07:00 UTC); ``PUT /rates`` one point under a past client's note rate produces the
refinance email that leads with their savings after the nightly run, and not again the next night.
"""
import email
from datetime import datetime, timedelta, timezone
from email import policy
from zoneinfo import ZoneInfo

HOUR, DAY = 3600, 86400
CHICAGO = ZoneInfo("America/Chicago")


def _now(stack) -> datetime:
    return datetime.fromisoformat(stack.get("/_local/clock").json()["now"])


def _next_run(now: datetime) -> datetime:
    run = now.astimezone(timezone.utc).replace(hour=7, minute=0, second=0, microsecond=0)
    return run if now < run else run + timedelta(days=1)


def _past_client(stack, unique, **loan) -> str:
    resp = stack.post("/leads", {
        "first_name": "Aisha", "last_name": "Khan", "state": "TX", "stage": "funded", **unique,
        "consent": {"email": True},
        "loan": {"type": "conventional", "purpose": "purchase", "amount": 400000, "term_months": 360,
                 "property_value": 500000, **loan}})
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def _subjects(stack, address: str) -> list[str]:
    """What went to the address, but the year-round program's mail (a past client joins it on import)."""
    mails = [email.message_from_string(raw, policy=policy.default) for raw in stack.mail_to(address)]
    return [str(m["Subject"]) for m in mails if not str(m["X-Touch-Id"]).startswith("past_client_program.")]


def _enrollments_but_the_program(items: list[dict]) -> list[dict]:
    return [i for i in items if i["kind"] == "enrollment" and i["sequence"] != "past_client_program"]


def test_a_funding_anniversary_tomorrow_enrolls_annual_review_after_the_nightly_run(stack, unique):
    now = _now(stack)
    run = _next_run(now)
    while (run.month, run.day) == (2, 29):  # Feb 29 anniversaries are kept on Feb 28: take the next night
        run += timedelta(days=1)
    funded_on = run.date().replace(year=run.year - 1)
    lead_id = _past_client(stack, unique, rate=6.0, funded_on=funded_on.isoformat())
    stack.settle()
    # imported as funded a year ago: a past client, not a closing to celebrate; it joins the
    # year-round program (its first touch days away), and nothing else
    assert [(i["sequence"], i["reason"]) for i in stack.timeline(lead_id) if i["kind"] == "enrollment"] == [
        ("past_client_program", "program:imported_past_client")]

    stack.advance(max((run - now).total_seconds() - 5 * 60, 0))  # just before the run: nothing yet
    assert not _enrollments_but_the_program(stack.timeline(lead_id))
    stack.advance(30 * 60)                                  # past it
    items = stack.timeline(lead_id)
    assert [(i["sequence"], i["action"], i["reason"]) for i in _enrollments_but_the_program(items)] == [
        ("annual_review", "enrolled", "time:funding_anniversary")]
    assert [i["data"]["years"] for i in items if i.get("type") == "sweep_funding_anniversary"] == [1]
    # the review email waits for 10:00 in the client's zone, not the sweep's 07:00 UTC
    planned = [i for i in items if i["kind"] == "touch" and i["step"] == "annual_review_email"]
    assert planned and planned[0]["status"] == "scheduled"
    local = datetime.fromisoformat(planned[0]["at"]).astimezone(CHICAGO)
    assert (local.date(), local.hour, local.minute) == (run.date(), 10, 0)


def test_a_rate_one_point_under_the_note_rate_sends_the_savings_email_once(stack, unique):
    product = f"e2e{unique['phone'][-4:]}"  # a product of its own: the stack is shared by the session
    now = _now(stack)
    funded_on = (now.date() - timedelta(days=700)).isoformat()
    lead_id = _past_client(stack, unique, rate=7.125, funded_on=funded_on, product=product)
    resp = stack.session.put(stack.url("/rates"), json={"product": product, "rate": 6.125,
                                                        "as_of": now.date().isoformat()}, timeout=60)
    assert resp.status_code == 200, f"PUT /rates: {resp.status_code} {resp.text}"

    # the nightly run enrolls; the email waits for business hours in Chicago (a weekend: Monday)
    run = _next_run(now)
    stack.advance((run - now).total_seconds() + 60)
    assert [i["reason"] for i in _enrollments_but_the_program(stack.timeline(lead_id))] == ["external:rate_drop"]
    for _ in range(16):
        if stack.mail_to(unique["email"]):
            break
        stack.advance(6 * HOUR)
    lead = stack.get(f"/leads/{lead_id}").json()
    savings = lead["refi_snapshot"]["monthly_savings_fmt"]
    assert savings.startswith("$") and float(savings[1:].replace(",", "")) > 100
    subjects = _subjects(stack, unique["email"])
    assert subjects == [f"Aisha, you could save about {savings} a month"]
    raw = next(r for r in stack.mail_to(unique["email"])
               if "save about" in str(email.message_from_string(r, policy=policy.default)["Subject"]))
    text = email.message_from_string(raw, policy=policy.default).get_body(preferencelist=("plain",)).get_content()
    assert f"lower your monthly payment by about {savings}" in text
    assert f"{lead['refi_snapshot']['new_rate_fmt']} ({lead['refi_snapshot']['new_apr_fmt']} APR)" in text
    sent = [i for i in stack.timeline(lead_id) if i["kind"] == "touch" and i["status"] == "sent"
            and i["sequence"] != "past_client_program"]
    assert [(i["sequence"], i["step"]) for i in sent] == [("refinance_opportunity", "savings_email")]
    local = datetime.fromisoformat(sent[0]["at"]).astimezone(CHICAGO)
    assert local.weekday() < 5 and 9 <= local.hour < 17

    # the next night the rate is unchanged: the client is cooling down, nothing new
    stack.advance(DAY)
    items = stack.timeline(lead_id)
    assert len([i for i in items if i.get("type") == "rate_sweep_match"]) == 1
    assert len([i for i in _enrollments_but_the_program(items) if i["action"] == "enrolled"]) == 1
    assert _subjects(stack, unique["email"]) == subjects
