"""The year-round programs in the pure core: entry rules, rests and library slots in the engine,
pace by tier, a reply's pause that carries on, and a whole year played through the engine and
the contact policy (touch counts and distinct templates per tier)."""
import random
from copy import deepcopy
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import policy
from chalicelib.sequences import engine
from chalicelib.sequences.catalog import SEQUENCES
from chalicelib.sequences.dsl import Rest
from chalicelib.services.engine_runner import apply_decisions
from chalicelib.triggers import registry
from chalicelib.triggers.behavioral import adapt_enrollment, adapt_touch
from chalicelib.triggers.programs import first_content_step
from chalicelib.triggers.registry import Enroll, Pause, Repace, TriggerInput

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)  # Tuesday, 10:00 in Chicago
PAST, LEADS = SEQUENCES["past_client_program"], SEQUENCES["long_term_nurture"]
SMS = {"channel": "sms", "granted": True, "at": "2027-01-01T00:00:00+00:00", "source": "web", "text": "ok"}


def past_client(**kw) -> dict:
    return {"lead_id": "L1", "first_name": "Maria", "email": "m@example.com", "phone": "+15125550123", "state": "TX",
            "timezone": "America/Chicago", "stage": "funded", "lo_id": "lo-1", "consent_records": [SMS],
            "loan": {"type": "conventional", "purpose": "purchase", "amount": 400000, "rate": 7.0, "term_months": 360,
                     "funded_on": "2024-05-10", "product": "conv30", "property_value": 460000}, **kw}


def new_lead(**kw) -> dict:
    return {**past_client(stage="new_lead", loan={"type": "fha", "purpose": "purchase", "amount": 300000}), **kw}


class Board:
    """The rates feed as the rules read it: this week's quote (a new one every Thursday)."""

    def __init__(self):
        self.today = NOW.date()

    def get(self, product, default=None):
        thursday = self.today - timedelta(days=(self.today.weekday() - 3) % 7)
        return {"product": product, "rate": "6.25", "as_of": thursday.isoformat(),
                "previous": {"rate": "6.5", "as_of": (thursday - timedelta(days=28)).isoformat()}}


def team(**programs) -> dict:
    return {"cap_hours": 48, "refi": {}, "behavior": {}, "managers": {}, "links": {}, "programs": programs,
            "market": Board()}


def run(event_type, the_lead, before=None, enrollments=(), settings=None, data=None):
    inp = TriggerInput(lead=the_lead, before=before or the_lead, now=NOW, settings=settings or team(),
                       event={"type": event_type, "event_id": "e1", "data": data or {}}, enrollments=tuple(enrollments))
    return [d for d in registry.evaluate(inp) if getattr(d, "sequence", None) in (PAST.id, LEADS.id)]


# -- who joins, and where they start ------------------------------------------------------------

def test_a_closing_joins_at_funding_and_rests_while_the_welcome_runs():
    funded = past_client(loan={**past_client()["loan"], "funded_on": NOW.date().isoformat()})
    decisions = run("stage_change_requested", funded, before={**funded, "stage": "clear_to_close"})
    assert decisions == [Enroll(PAST.id, reason="program:after_welcome", start_step=None)]
    out = engine.enroll(PAST, funded, NOW, "p.1", "program:after_welcome")
    assert isinstance(PAST.steps[0], Rest) and out.enrollment["step"] == "welcome_runs"
    assert datetime.fromisoformat(out.enrollment["due_at"]) == NOW + timedelta(days=89)


def test_a_second_closing_starts_at_once_the_welcome_ran_before():
    funded = past_client()
    welcome = {"sequence": "post_funded_welcome", "status": "completed", "enrollment_id": "w.1"}
    decisions = run("stage_change_requested", funded, before={**funded, "stage": "clear_to_close"},
                    enrollments=[welcome])
    assert decisions == [Enroll(PAST.id, reason="stage:funded", start_step="the_news")]


def test_an_imported_past_client_joins_at_once_unless_the_team_says_not_on_import():
    assert run("lead_created", past_client()) == [
        Enroll(PAST.id, reason="program:imported_past_client", start_step="the_news")]
    off = team(past_client_program={"join_on_import": False})
    assert run("lead_created", past_client(), settings=off) == []


def test_a_new_lead_joins_long_term_nurture_behind_the_fortnight_plan():
    assert run("lead_created", new_lead()) == [Enroll(LEADS.id, reason="program:after_lead_nurture", start_step=None)]
    nurtured = {"sequence": "lead_nurture", "status": "completed", "enrollment_id": "n.1"}
    reopened = run("stage_change_requested", new_lead(), before=new_lead(stage="lost"), enrollments=[nurtured])
    assert reopened == [Enroll(LEADS.id, reason="stage:new_lead", start_step="the_news")]


def test_a_team_can_turn_a_program_off():
    off = team(long_term_nurture={"enabled": False}, past_client_program={"enabled": False})
    assert run("lead_created", new_lead(), settings=off) == []
    assert run("lead_created", past_client(), settings=off) == []
    assert run("join_program", past_client(), settings=off, data={"program": PAST.id}) == []
    e = engine.enroll(PAST, past_client(), NOW, "p.1", "x", start_step="the_news").enrollment
    assert adapt_enrollment(e, past_client(), NOW, off)["status"] == "exited"  # already in: it ends


def test_join_program_and_the_anniversary_backfill():
    assert run("join_program", past_client(), data={"program": PAST.id}) == [
        Enroll(PAST.id, reason="program:joined", start_step="the_news")]
    assert run("join_program", new_lead()) == [Enroll(LEADS.id, reason="program:joined", start_step="the_news")]
    anniversary = past_client(loan={**past_client()["loan"], "funded_on": "2024-04-13"})
    assert run("sweep_funding_anniversary", anniversary, data={"day": "2027-04-13"}) == [
        Enroll(PAST.id, reason="program:anniversary", start_step="the_news")]
    left = {"sequence": PAST.id, "status": "exited", "exit_reason": "handoff", "enrollment_id": "p.0"}
    assert run("sweep_funding_anniversary", anniversary, data={"day": "2027-04-13"}, enrollments=[left]) == []


def test_exits_like_every_sequence():
    assert set(PAST.exit_on) >= {"opted_out", "handoff"} and {"application_started", "lost"} <= set(PAST.exit_on_stages)
    assert {"application_started", "funded", "lost"} <= set(LEADS.exit_on_stages)


# -- the engine: slots, pace, pauses ------------------------------------------------------------

def _decide_all(order):
    return policy.SEND


def _due(e) -> datetime:
    return datetime.fromisoformat(e["due_at"])


def test_a_slot_sends_the_chosen_item_and_remembers_it():
    lead = past_client()
    e = adapt_enrollment(engine.enroll(PAST, lead, NOW, "p.1", "x", start_step="the_news").enrollment, lead,
                         NOW + timedelta(days=6), team())
    out = engine.advance(e, PAST, lead, _due(e), _decide_all)
    (order,) = out.sends
    assert order["template"] == "library/past_client/market_update" and order["item"] == "market_update"
    assert order["data"]["market"]["rate_fmt"] == "6.25%" and order["program"] is True
    assert out.enrollment["rotation"][0][0] == "market_update"
    assert out.enrollment["step"] == "check_in_text"


def test_a_slot_with_nothing_fit_passes_without_a_touch():
    lead = past_client(consent_records=[])  # no SMS consent: the text check-in passes
    e = engine.enroll(PAST, lead, NOW, "p.1", "x", start_step="check_in_text").enrollment
    out = engine.advance(e, PAST, lead, _due(e), _decide_all)
    assert out.sends == [] and out.decisions == [] and out.enrollment["step"] == "home_and_money"
    assert out.enrollment["touch_no"] == 0


@pytest.mark.parametrize("level,pace,day", [("hot", 0.75, date(2027, 4, 21)), ("engaged", 1.0, date(2027, 4, 22)),
                                            ("quiet", 1.8, date(2027, 4, 26))])
def test_the_pace_stretches_or_shrinks_the_delays(level, pace, day):
    """3 days x pace after Monday's touch, then 10:00 lead-local that day or the next business
    day: Wednesday when hot, Thursday at full cadence, the Monday after when quiet."""
    lead = past_client()
    monday = datetime(2027, 4, 19, 15, 0, tzinfo=timezone.utc)
    e = {**engine.enroll(PAST, lead, monday, "p.1", "x", start_step="the_news").enrollment, "pace": pace,
         "tier": level}
    due = engine.due_time(e, PAST.step("home_and_money"), lead, monday)
    assert due.astimezone(ZoneInfo("America/Chicago")).date() == day


def test_adapt_sets_the_tier_and_the_market_figures():
    quiet = past_client(first_email_at=(NOW - timedelta(days=60)).isoformat())
    e = adapt_enrollment(engine.enroll(PAST, quiet, NOW, "p.1", "x", start_step="the_news").enrollment, quiet, NOW,
                         team())
    assert (e["tier"], e["pace"], e["market"]["rate_fmt"]) == ("quiet", 1.8, "6.25%")
    hot = past_client(activity=[{"type": "link_clicked", "at": NOW.isoformat(), "machine": False}])
    assert adapt_enrollment(e, hot, NOW, team())["pace"] == 0.75


def test_the_opening_rest_slows_with_the_series_it_waits_out():
    lead = past_client(first_email_at=(NOW - timedelta(days=80)).isoformat())  # silent for 80 days
    e = engine.enroll(PAST, lead, NOW - timedelta(days=89), "p.1", "x").enrollment
    adapted = adapt_enrollment(e, lead, NOW, team())
    assert adapted["stretch"] == 2.0
    out = engine.advance(adapted, PAST, lead, NOW, _decide_all)
    assert out.sends == [] and out.enrollment["step"] == "welcome_runs"
    assert _due(out.enrollment) == NOW + timedelta(days=89)  # 178 days from funding, like the slowed welcome
    later = engine.advance(out.enrollment, PAST, lead, NOW + timedelta(days=89), _decide_all).enrollment
    assert later["step"] == "the_news" and later["stretch"] == 1  # then the program keeps its own pace


def test_a_program_switches_only_the_news_written_for_a_text():
    quiet = past_client(first_email_at=(NOW - timedelta(days=60)).isoformat())
    article = {"channel": "email", "template": "library/past_client/rate_watch", "program": True}
    assert adapt_touch(article, quiet, NOW, team()) is article  # an article stays an e-mail
    e = adapt_enrollment(engine.enroll(PAST, quiet, NOW, "p.1", "x", start_step="the_news").enrollment, quiet, NOW,
                         team())
    news = engine.advance(e, PAST, quiet, _due(e), _decide_all).sends[0]
    assert news["item"] == "market_update" and news["text"] == "library/past_client/market_update_text"
    switched = adapt_touch(news, quiet, _due(e), team())
    assert (switched["channel"], switched["template"], switched["switch_reason"]) == (
        "sms", "library/past_client/market_update_text", "no human open in 14 days")


def test_a_hot_signal_brings_the_next_touch_forward():
    lead = past_client()
    e = engine.enroll(PAST, lead, NOW, "p.1", "x", start_step="the_news").enrollment
    clicked = past_client(activity=[{"type": "link_clicked", "at": NOW.isoformat(), "machine": False}])
    decisions = run("link_clicked", clicked, enrollments=[e])
    assert decisions == [Repace(PAST.id, 0.75, "hot")]
    result = apply_decisions(clicked, [e], decisions, "e1", NOW, team())
    assert _due(result.enrollments[0]) < _due(e)
    assert run("link_clicked", clicked, enrollments=[e], data={"machine": True}) == []  # a scanner is not a signal
    assert run("credit_pull", lead, enrollments=[e]) == [Repace(PAST.id, 0.75, "hot")]  # shopping elsewhere


def test_a_reply_pauses_the_program_and_it_carries_on_after_seven_days():
    lead = past_client()
    e = engine.enroll(PAST, lead, NOW, "p.1", "x", start_step="the_news").enrollment
    paused = apply_decisions(lead, [e], [Pause("sms_replied")], "e1", NOW, team()).enrollments[0]
    assert paused["status"] == "paused" and _due(paused) == NOW + timedelta(days=7)
    again = apply_decisions(lead, [paused], [Pause("sms_replied")], "e2", NOW + timedelta(days=5), team())
    paused = again.enrollments[0]
    assert _due(paused) == NOW + timedelta(days=12)  # a second reply: later
    assert engine.advance(paused, PAST, lead, NOW + timedelta(days=10), _decide_all).sends == []
    out = engine.advance(paused, PAST, lead, NOW + timedelta(days=12), _decide_all)
    assert out.enrollment["status"] == "active" and len(out.sends) == 1
    assert [i["action"] for i in out.timeline] == ["resumed"]


def test_joining_again_remembers_what_was_sent():
    lead = past_client()
    old = {**engine.exit_(engine.enroll(PAST, lead, NOW - timedelta(days=30), "p.0", "x").enrollment, NOW,
                          "handoff").enrollment, "rotation": [["rate_watch", "2027-03-20", None]]}
    result = apply_decisions(lead, [old], [Enroll(PAST.id, "program:joined", start_step="the_news")], "e9", NOW, team())
    new = next(e for e in result.enrollments if e["status"] == "active")
    assert new["rotation"] == [["rate_watch", "2027-03-20", None]]


# -- a year, played through the engine and the contact policy -----------------------------------

def play_year(seq, lead: dict, engaged: bool, days: int = 365, seed: int = 3) -> list[dict]:
    """One program alone for a year: every due step adapted and advanced as the scheduler does,
    the contact policy deciding each touch; an engaged person opens half the e-mail (a day later)
    and clicks one in five of those, a disengaged one never opens."""
    rng, lead, settings = random.Random(seed), deepcopy(lead), team()
    e = engine.enroll(seq, lead, NOW, "p.1", "x", start_step=first_content_step(seq)).enrollment
    state, sent, end = policy.ContactState(), [], NOW + timedelta(days=days)
    while e.get("due_at") and _due(e) < end:
        now = _due(e)
        settings["market"].today = now.date()
        e = adapt_enrollment(e, lead, now, settings)
        out = engine.advance(e, seq, lead, now,
                             lambda o: policy.decide(o, lead, now, 48, state, policy.SCHEDULING_MARGIN))
        for order in out.sends:
            sent.append(order)
            if order["channel"] == "email":
                lead.setdefault("first_email_at", now.isoformat())
                if engaged and rng.random() < 0.5:
                    later = (now + timedelta(days=1)).isoformat()
                    lead.setdefault("activity", []).append({"type": "email_opened", "at": later, "machine": False})
                    if rng.random() < 0.2:
                        lead["activity"].append({"type": "link_clicked", "at": later, "machine": False})
                    lead["activity"] = lead["activity"][-100:]
        e = out.enrollment
    return sent


def year_figures(seq, lead, engaged) -> tuple[int, int, int]:
    sent = play_year(seq, lead, engaged)
    borrower = [o for o in sent if o["channel"] in ("email", "sms")]
    return len(sent), len({o["template"] for o in sent}), len(borrower)


def test_an_engaged_past_client_year():
    touches, distinct, _ = year_figures(PAST, past_client(), engaged=True)
    assert 80 <= touches <= 120 and distinct >= 40


def test_a_disengaged_past_client_year_is_slower_but_not_undertouched():
    touches, _, _ = year_figures(PAST, past_client(), engaged=False)
    engaged, _, _ = year_figures(PAST, past_client(), engaged=True)
    assert 40 <= touches <= 80 and touches < engaged


def test_without_sms_consent_a_reader_gets_notes_by_e_mail_instead_of_the_texts():
    sent = play_year(PAST, past_client(consent_records=[]), engaged=True)
    notes = [o for o in sent if o.get("template", "").startswith("library/past_client/notes/")]
    assert {o["channel"] for o in sent} == {"email", "task"} and 80 <= len(sent) <= 120
    assert len(notes) >= 15 and all(o["step"] == "check_in_text" for o in notes)
    quiet = play_year(PAST, past_client(consent_records=[]), engaged=False)
    assert not [o for o in quiet if o.get("template", "").startswith("library/past_client/notes/")]


def test_a_long_term_lead_year():
    touches, distinct, _ = year_figures(LEADS, new_lead(), engaged=True)
    quiet, _, _ = year_figures(LEADS, new_lead(), engaged=False)
    assert 75 <= touches <= 120 and distinct >= 40  # the 14-day nurture's 8 come on top
    assert 40 <= quiet <= 72 and quiet < touches


def test_nothing_in_a_year_repeats_but_the_data_driven_updates_and_the_calls():
    sent = play_year(PAST, past_client(), engaged=True)
    again = {o["item"] for o in sent if [x["item"] for x in sent].count(o["item"]) > 1}
    assert again <= {"market_update", "equity_update", "call_q1", "call_q2", "call_q3", "call_q4",
                     "interest_follow_up"}
    assert "market_update" in again  # monthly, with new figures each time
