"""The year-round programs on moto, through the real handlers and the virtual clock: a closing's
welcome hands over to the past-client program, an imported past client joins at once, a lead
moves from the 14-day nurture into long-term nurture, and a reply pauses a program that then
carries on by itself a week later."""
import email
from collections import Counter
from datetime import datetime, timedelta
from email import policy as mail_policy

import pytest

from chalicelib.clock import clock
from chalicelib.local import runtime
from tests.helpers import body, drain_events

ACCOUNT, REGION = "123456789012", "us-east-1"
DAY = 86400
CONSENT = {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree to texts"}}


@pytest.fixture(autouse=True)
def held_clock():
    """Months of virtual time in jumps: the clock moves only when the test advances it, so how
    fast this machine runs (a loaded CI run) cannot shift a touch across the cap's 48 hours."""
    clock.hold(clock.now())
    yield
    clock.hold(None)


def _mail_to(address: str) -> list:
    from moto.ses.models import ses_backends

    mails = [email.message_from_string(m.raw_data, policy=mail_policy.default)
             for m in ses_backends[ACCOUNT][REGION].sent_messages]
    return [m for m in mails if str(m["To"]) == address]


def _lead(api, auth, n: int, **extra) -> dict:
    payload = {"first_name": "Maria", "last_name": f"Lopez{n}", "email": f"maria.p{n}@example.com",
               "phone": f"+1512555{2000 + n:04d}", "state": "TX", "consent": CONSENT,
               "loan": {"type": "conventional", "purpose": "purchase", "amount": 320000, "product": "conv30"},
               **extra}
    resp = api.http.post("/leads", body=__import__("json").dumps(payload), headers=auth)
    assert resp.status_code == 201, resp.body
    return body(resp)


def _rate(api, auth, rate: float, day) -> None:
    import json

    resp = api.http.put("/rates", body=json.dumps({"product": "conv30", "rate": rate, "as_of": day.isoformat()}),
                        headers=auth)
    assert resp.status_code == 200, resp.body


def _opened(api, auth, lead_id: str) -> None:
    import json

    api.http.post(f"/leads/{lead_id}/events", body=json.dumps({"type": "email_opened", "data": {}}), headers=auth)
    drain_events()


def _timeline(api, auth, lead_id: str) -> list[dict]:
    return body(api.http.get(f"/leads/{lead_id}/timeline", headers=auth))["items"]


def _sent(items: list[dict], sequence: str) -> list[dict]:
    return [i for i in items if i["kind"] == "touch" and i["status"] == "sent" and i["sequence"] == sequence]


def _enrollments(ctx, lead_id: str) -> dict:
    return {e["sequence"]: e for e in ctx.enrollments.for_lead(lead_id)}


def test_a_closing_moves_from_the_welcome_into_the_past_client_program(api, auth, ctx):
    import json

    start, _rated = clock.now(), []
    _rate(api, auth, 6.5, (start - timedelta(days=28)).date())
    lead = _lead(api, auth, 1)
    for stage in ("application_submitted", "conditional_approval", "clear_to_close", "funded"):
        api.http.post(f"/leads/{lead['lead_id']}/stage", body=json.dumps({"stage": stage}), headers=auth)
    drain_events()
    joined = _enrollments(ctx, lead["lead_id"])
    assert joined["past_client_program"]["step"] == "welcome_runs"  # rests while the welcome runs
    assert joined["post_funded_welcome"]["status"] == "active"

    # the client reads (a person's opens), so the welcome runs at full pace; this week's rate
    # arrives with its last weeks; then the welcome ends and the program begins
    for _ in range(11):
        runtime.advance(10 * DAY)
        _opened(api, auth, lead["lead_id"])
        if clock.now() - start > timedelta(days=75) and not _rated:
            _rate(api, auth, 6.125, clock.now().date())
            _rated.append(True)
    items = _timeline(api, auth, lead["lead_id"])
    welcome, program = _sent(items, "post_funded_welcome"), _sent(items, "past_client_program")
    assert _enrollments(ctx, lead["lead_id"])["post_funded_welcome"]["status"] == "completed"
    assert len(welcome) == 6 and program, "the program takes over after the welcome"
    assert min(t["at"] for t in program) > max(t["at"] for t in welcome)
    assert {t["channel"] for t in program} >= {"email", "sms"}

    # the first touch is the monthly market update, with this week's rate and its APR
    mails = _mail_to(lead["email"])
    update = next(m for m in mails if "rate check" in str(m["Subject"]))
    text = update.get_body(preferencelist=("plain",)).get_content()
    assert "6.125% (" in text and "APR)" in text and "A month earlier: 6.5% (" in text
    assert 'href="' in update.get_body(preferencelist=("html",)).get_content()  # built from the text

    # nothing was sent twice, and the 48-hour cap held across the welcome and the program
    borrower = sorted(datetime.fromisoformat(t["at"]) for t in welcome + program if t["channel"] in ("email", "sms"))
    assert all(b - a >= timedelta(hours=48) for a, b in zip(borrower, borrower[1:])), \
        [(t["touch_id"], t["at"], t.get("status")) for t in sorted(welcome + program, key=lambda t: t["at"])]
    programs = [e for e in ctx.enrollments.for_lead(lead["lead_id"]) if e["sequence"] == "past_client_program"]
    sent_items = [h[0] for h in programs[0]["rotation"]]
    assert len(sent_items) == len(set(sent_items))


def test_an_imported_past_client_joins_at_once_and_gets_the_first_touches(api, auth, ctx):
    funded = (clock.now() - timedelta(days=800)).date().isoformat()
    lead = _lead(api, auth, 2, stage="funded", birthday="1980-01-20",
                 loan={"type": "conventional", "purpose": "purchase", "amount": 350000, "rate": 7.25,
                       "term_months": 360, "funded_on": funded, "product": "conv30", "property_value": 420000})
    drain_events()
    program = _enrollments(ctx, lead["lead_id"])["past_client_program"]
    assert program["step"] == "the_news" and program["trigger"] == "program:imported_past_client"
    runtime.advance(14 * DAY)  # the first fortnight (13 days), its weekend days pushed to business days
    sent = _sent(_timeline(api, auth, lead["lead_id"]), "past_client_program")
    assert Counter(t["channel"] for t in sent) == Counter({"email": 3, "sms": 1, "task": 1})
    tasks = body(api.http.get(f"/tasks?lead_id={lead['lead_id']}", headers=auth))["items"]
    call = next(t for t in tasks if t.get("sequence") == "past_client_program")
    # talking points from the record: the loan, how the client engages, what the program sent
    assert call["title"].startswith("Q2 call") and "30-year conventional loan" in call["body"]
    assert "opens and" in call["body"] and "Recently sent: " in call["body"]
    assert "Recently sent: nothing yet" not in call["body"]


def test_join_program_joins_a_stored_past_client_and_names_a_bad_program(api, auth, ctx):
    import json

    funded = (clock.now() - timedelta(days=800)).date().isoformat()
    lead = _lead(api, auth, 3, stage="funded", loan={"amount": 300000, "rate": 6.0, "funded_on": funded})
    drain_events()
    # the team's import left it out: leave the program, then join it again by event
    api.http.post(f"/leads/{lead['lead_id']}/events", body=json.dumps({"type": "handoff"}), headers=auth)
    drain_events()
    assert _enrollments(ctx, lead["lead_id"])["past_client_program"]["status"] == "exited"
    bad = api.http.post(f"/leads/{lead['lead_id']}/events",
                        body=json.dumps({"type": "join_program", "data": {"program": "weekly_blast"}}), headers=auth)
    assert bad.status_code == 400 and "data.program" in body(bad)["fields"]
    ok = api.http.post(f"/leads/{lead['lead_id']}/events",
                       body=json.dumps({"type": "join_program", "data": {"program": "past_client_program"}}),
                       headers=auth)
    assert ok.status_code == 202
    drain_events()
    live = [e for e in ctx.enrollments.for_lead(lead["lead_id"]) if e["sequence"] == "past_client_program"
            and e["status"] == "active"]
    assert len(live) == 1 and live[0]["trigger"] == "program:joined"


def test_a_lead_moves_from_the_fortnight_nurture_into_long_term_nurture(api, auth, ctx):
    lead = _lead(api, auth, 4)
    drain_events()
    assert _enrollments(ctx, lead["lead_id"])["long_term_nurture"]["step"] == "lead_nurture_runs"
    for _ in range(9):  # a lead who reads now and then (one who never does is sunset: test_reputation)
        runtime.advance(5 * DAY)
        _opened(api, auth, lead["lead_id"])
    items = _timeline(api, auth, lead["lead_id"])
    nurture, program = _sent(items, "lead_nurture"), _sent(items, "long_term_nurture")
    assert program and min(t["at"] for t in program) > max(t["at"] for t in nurture if t["channel"] != "task")
    subjects = [str(m["Subject"]) for m in _mail_to(lead["email"])]
    assert "The home-buying process, start to finish" in subjects  # the education series starts at lesson 1


def test_a_reply_pauses_the_program_which_carries_on_a_week_later(api, auth, ctx):
    funded = (clock.now() - timedelta(days=800)).date().isoformat()
    lead = _lead(api, auth, 5, stage="funded", loan={"amount": 300000, "rate": 6.0, "funded_on": funded})
    runtime.advance(6 * DAY)
    runtime.inbound_sms(lead["phone"], "Thanks! Call me next week")
    program = _enrollments(ctx, lead["lead_id"])["past_client_program"]
    assert program["status"] == "paused" and program.get("resume_at")
    before = len(_sent(_timeline(api, auth, lead["lead_id"]), "past_client_program"))
    runtime.advance(6 * DAY)
    assert len(_sent(_timeline(api, auth, lead["lead_id"]), "past_client_program")) == before
    runtime.advance(8 * DAY)
    assert _enrollments(ctx, lead["lead_id"])["past_client_program"]["status"] == "active"
    assert len(_sent(_timeline(api, auth, lead["lead_id"]), "past_client_program")) > before


def test_the_programs_are_listed_previewed_and_in_the_coverage_audit(api, auth, ctx):
    _rate(api, auth, 6.25, clock.now().date())
    items = {s["id"]: s for s in body(api.http.get("/sequences", headers=auth))["items"]}
    past = items["past_client_program"]
    assert past["program"] and past["enabled"] and past["cadence"]["pace"]["quiet"] == 1.8
    assert {"market", "equity", "seasonal", "articles", "asks", "texts", "notes", "calls", "follow_ups"} == set(past["library"])
    assert past["steps"][0] == {"name": "welcome_runs", "type": "rest", "delay": "89 days after the previous step"}
    assert items["long_term_nurture"]["library"]["education"][0]["id"] == "buying_process_map"

    coverage = body(api.http.get("/analytics/coverage", headers=auth))
    assert coverage["core"] == 7 and [p["id"] for p in coverage["programs"]] == ["past_client_program",
                                                                                 "long_term_nurture"]
    assert all(p["enabled"] and p["templates"] > 50 for p in coverage["programs"])

    lead = _lead(api, auth, 6, stage="funded",
                 loan={"amount": 300000, "rate": 7.0, "funded_on": "2024-03-01", "product": "conv30"})
    import json
    preview = body(api.http.post("/sequences/past_client_program/preview",
                                 body=json.dumps({"lead_id": lead["lead_id"]}), headers=auth))
    planned = preview["touches"]
    assert 10 <= len(planned) <= 40 and not any(t.get("problem") for t in planned)
    first = planned[0]
    assert first["step"] == "the_news" and "6.25% (" in first["text"] and "rate check" in first["subject"]
    assert max(t["planned_at"] for t in planned) < (clock.now() + timedelta(days=92)).isoformat()
