"""Texts that fit: segments counted as carriers bill them, GSM-7 forms before counting and
sending, the segment budget the validation holds every text to, the opt-out line on the first
text and monthly, and an e-mail that goes as a text keeping its purpose and the borrower's stage."""
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from chalicelib.content.checks import text_budget_problems
from chalicelib.content.merge import build_context
from chalicelib.content.render import environment, render, sms_signature
from chalicelib.content.sms import SAMPLE, declared, encoding, normalise, segments
from chalicelib.config import settings
from chalicelib.domain.decision import SEND
from chalicelib.domain.sms_notice import EVERY, needs_notice
from chalicelib.sequences.catalog import SEQUENCES
from chalicelib.services.schedule import plan_lead
from chalicelib.triggers.behavioral import adapt_touch

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
SMS = {"channel": "sms", "granted": True, "at": "2027-01-01T00:00:00+00:00", "source": "web", "text": "ok"}


# -- the segment counter ------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),          # GSM-7: 160, then 153 a part
    ("[" * 80, 1), ("[" + "a" * 159, 2), ("€" * 80, 1), ("a" * 159 + "^", 2),  # an extension character counts twice
    ("é" * 160, 1), ("Ñ" * 161, 2),                                         # in the basic table: one each
    ("a" * 69 + "\u2019", 1), ("a" * 70 + "\u2019", 2), ("a" * 134, 1),      # one curly quote: UCS-2, 70 ...
    ("\u2019" + "a" * 133, 2), ("\u2019" + "a" * 134, 3),                    # ... then 67 a part
    ("\U0001f3e1" * 35, 1), ("\U0001f3e1" * 36, 2),                          # an emoji is two UTF-16 units
    ("", 1),
])
def test_segments_are_counted_as_carriers_bill_them(text, expected):
    assert segments(text) == expected


def test_the_encoding_is_gsm7_unless_a_character_is_outside_both_tables():
    assert encoding("Rates: 6.125% (6.262% APR) {ok} ~ €5") == "gsm7"
    assert encoding("Don\u2019t") == "ucs2" and encoding("caf\u00e7") == "ucs2"  # ç is not GSM-7 (Ç is)


def test_typography_becomes_gsm7_before_counting_and_sending():
    pasted = "\u201cIt\u2019s done\u201d \u2013 see you soon\u2026 \u2014Priya\u00a0R."
    assert normalise(pasted) == '"It\'s done" - see you soon... -Priya R.'
    assert encoding(normalise(pasted)) == "gsm7"
    assert segments("a" * 100 + "\u2019" + "a" * 40) == 3 and segments(normalise("a" * 100 + "\u2019" + "a" * 40)) == 1


@given(st.text(alphabet=st.sampled_from("ab \u2019\u201c\u2013\u2026[€"), max_size=400))
def test_normalising_never_costs_a_segment(text):
    assert segments(normalise(text)) <= segments(text)


def test_the_bench_counts_with_the_same_counter():
    from bench.calls import sms_parts

    assert sms_parts is segments


# -- the budget the validation holds every text to ----------------------------------------------

def test_the_validation_refuses_a_200_character_marketing_text():
    body = "Hi {{ borrower.first_name }}, " + ("a market note that goes on and on. " * 6)[:185]
    assert len(environment().from_string(body).render(SAMPLE).strip()) == 200
    problems = text_budget_problems(body, "t.j2", "marketing")
    assert problems and "bill 2 SMS segments" in problems[0] and "a marketing text fits 1" in problems[0]


def test_a_text_that_fits_only_without_the_opt_out_line_is_refused():
    # the opt-out line rides on some texts: the budget is measured with it
    signature = normalise(sms_signature(SAMPLE, opt_out=True))
    fits = "x" * (160 - len(signature))
    assert text_budget_problems(fits, "t.j2") == [] and text_budget_problems(fits + "x", "t.j2")


def test_a_template_may_declare_why_it_needs_two():
    long = "{{ borrower.first_name }}, " + "x" * 150
    assert declared("{# segments: 2 the wire-fraud warning is the point #}") == (2, "the wire-fraud warning is the point")
    assert text_budget_problems("{# segments: 2 the wire-fraud warning is the point #}" + long, "t.j2") == []
    assert "without saying why" in text_budget_problems("{# segments: 2 #}" + long, "t.j2")[0]
    assert text_budget_problems(long, "t.j2", kind="transactional") == []  # an update the borrower waits for: two


def test_a_curly_quote_in_a_template_does_not_make_it_ucs2():
    assert text_budget_problems("{{ borrower.first_name }}, it\u2019s Priya \u2014 talk soon\u2026", "t.j2") == []


def test_the_shipped_team_signatures_fit_the_budget_allowance():
    allowance = len(sms_signature(SAMPLE, opt_out=True))
    root = Path(__file__).resolve().parents[2] / "chalicelib" / "teams"
    for path in root.glob("*.json"):
        team = json.loads(path.read_text())
        for lo in team["los"]:
            sign = sms_signature({"lo": lo, "team": team}, opt_out=True)
            assert len(sign) <= allowance and lo["nmls_id"] in sign and team["name"] in sign, (path.name, lo["name"])


# -- the opt-out line: the first text, then at least monthly -------------------------------------

def test_the_opt_out_line_goes_on_the_first_text_and_monthly():
    assert needs_notice(None, NOW)
    assert not needs_notice((NOW - timedelta(days=1)).isoformat(), NOW)
    assert not needs_notice((NOW - EVERY + timedelta(minutes=1)).isoformat(), NOW)
    assert needs_notice((NOW - EVERY).isoformat(), NOW) and EVERY == timedelta(days=30)


def _lead(**kw):
    return {"lead_id": "L1", "first_name": "Grace", "email": "grace@example.com", "phone": "+15125550123",
            "state": "TX", "timezone": "America/Chicago", "stage": "funded", "lo_id": "lo-1", "consent_records": [SMS],
            "birthday": "1980-04-13", **kw}


def _team():
    return {"cap_hours": 48, "refi": {}, "behavior": {}, "managers": {}, "links": {}, "programs": {}}


def _birthday_due(lead):
    from chalicelib.sequences import engine

    e = engine.enroll(SEQUENCES["birthday"], lead, NOW - timedelta(hours=6), "b.1", "time:birthday").enrollment
    return [{**e, "due_at": NOW.isoformat()}]


def test_the_scheduler_puts_the_line_on_the_first_text_and_records_it():
    quiet = _lead(first_email_at=(NOW - timedelta(days=60)).isoformat())
    lead, outcomes = plan_lead(quiet, _birthday_due(quiet), NOW, _team())
    (text,) = [t for o in outcomes for t in o.sends]
    assert text["channel"] == "sms" and text["opt_out_notice"] is True and lead["sms_notice_at"] == NOW.isoformat()
    recent = {**quiet, "sms_notice_at": (NOW - timedelta(days=12)).isoformat()}
    lead, outcomes = plan_lead(recent, _birthday_due(recent), NOW, _team())
    (text,) = [t for o in outcomes for t in o.sends]
    assert text["opt_out_notice"] is False and lead["sms_notice_at"] == recent["sms_notice_at"]


def test_the_signature_keeps_the_law_with_or_without_the_line():
    team = settings().team
    ctx = build_context(_lead(), team, team.links, NOW)
    order = {"channel": "sms", "template": "birthday/birthday_wish"}
    with_line = render({**order, "opt_out_notice": True}, ctx).text
    without = render({**order, "opt_out_notice": False}, ctx).text
    lo = team.lo("lo-1")
    for text in (with_line, without):
        assert lo.name in text and f"NMLS {lo.nmls_id}" in text and team.name in text and segments(text) == 1
    assert with_line.endswith("Reply STOP to opt out") and "STOP" not in without
    assert "Reply STOP to opt out" in render(order, ctx).text  # an order planned before the rule: said, to be safe


# -- a switched e-mail keeps its purpose ---------------------------------------------------------

@pytest.mark.parametrize("lead,reason", [
    (_lead(first_email_at=(NOW - timedelta(days=20)).isoformat()), "no human open in 14 days"),
    (_lead(email=None), "no e-mail address"),
    (_lead(suppressed={"email": {"reason": "bounced", "at": NOW.isoformat(), "source": "ses"}}),
     "the e-mail address bounced"),
])
def test_an_email_goes_as_its_own_text(lead, reason):
    order = {"channel": "email", "template": "birthday/birthday_email", "text": "birthday/birthday_wish",
             "subject": "Happy birthday"}
    switched = adapt_touch(order, lead, NOW, _team())
    assert (switched["channel"], switched["template"], switched["switch_reason"]) == ("sms", "birthday/birthday_wish",
                                                                                      reason)


def test_no_switch_without_consent_a_text_version_or_a_reason():
    order = {"channel": "email", "template": "birthday/birthday_email", "text": "birthday/birthday_wish"}
    unsubscribed = _lead(suppressed={"email": {"reason": "unsubscribed", "at": NOW.isoformat(), "source": "link"}})
    assert adapt_touch(order, unsubscribed, NOW, _team()) is order  # the borrower's choice about e-mail
    assert adapt_touch(order, _lead(email=None, consent_records=[]), NOW, _team()) is order
    never = {"channel": "email", "template": "pipeline_progression/funded_congratulations"}
    assert adapt_touch(never, _lead(email=None), NOW, _team()) is never
    assert adapt_touch(order, _lead(), NOW, _team()) is order  # reading: stays an e-mail


def test_the_birthday_wish_as_a_text_is_the_only_birthday_text():
    quiet = _lead(first_email_at=(NOW - timedelta(days=60)).isoformat())
    lead, outcomes = plan_lead(quiet, _birthday_due(quiet), NOW, _team())
    (wish,) = [t for o in outcomes for t in o.sends]
    assert wish["template"] == "birthday/birthday_wish" and wish["switched_from"] == "email"
    from chalicelib.sequences import engine

    e = outcomes[0].enrollment
    later = engine.advance(e, SEQUENCES["birthday"], lead, datetime.fromisoformat(e["due_at"]), lambda o: SEND)
    assert later.sends == [] and later.enrollment["status"] == "completed"


def _nudge(stage: str) -> str:
    return environment().get_template("sms/fallback/email_nudge.j2").render(
        {**SAMPLE, "stage": {"name": stage}}).strip()


def test_the_generic_nudge_speaks_to_the_stage():
    assert "home purchase" not in _nudge("funded") and "catch up" in _nudge("funded")
    assert "home purchase" in _nudge("new_lead") and "your loan" in _nudge("conditional_approval")
    users = {(seq.id, t.name) for seq in SEQUENCES.values() for t in seq.touches() if t.text == "fallback/email_nudge"}
    assert users == {("lead_nurture", "discovery_call_invite")}  # only an e-mail that asks for a conversation
    calls = {i.id for i in SEQUENCES["long_term_nurture"].library["call_asks"]}
    assert all(i.text == "fallback/email_nudge" for i in SEQUENCES["long_term_nurture"].library["call_asks"]) and calls


def test_the_market_note_states_the_rate_with_its_apr():
    source = (Path(__file__).resolve().parents[2] / "templates/sms/library/past_client/market_update_text.j2").read_text()
    text = environment().from_string(source).render(SAMPLE).strip()
    assert "6.125% (6.262% APR)" in text and segments(text + sms_signature(SAMPLE)) == 1
