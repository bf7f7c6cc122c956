"""External triggers: the rate sweep's matches, credit-inquiry alerts and home values. Plain values."""
import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chalicelib.config import settings as app_settings
from chalicelib.content.merge import build_context
from chalicelib.content.render import render
from chalicelib.domain import refi_offer as ro
from chalicelib.domain.refinance import balance_after, monthly_payment, payments_made
from chalicelib.triggers import registry
from chalicelib.triggers.registry import CreateTask, Enroll, SetLead, TriggerInput

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=timezone.utc)
REFI = {"min_rate_drop": "0.75", "min_monthly_savings": "100", "max_break_even_months": 36,
        "closing_costs": "4500", "cooldown_days": 90, "cash_out_ltv": "70"}
SETTINGS = {"cap_hours": 48, "no_contact_days": 30, "no_contact_action": "task", "refi": REFI, "behavior": {},
            "managers": {}}
MARKET = {"product": "conv30", "rate": "6.125", "as_of": "2026-11-26"}


def client(**kw):
    loan = {"type": "conventional", "amount": 400000.0, "rate": 7.125, "term_months": 360, "funded_on": "2024-11-15",
            "product": "conv30", "property_value": 450000.0, **kw.pop("loan", {})}
    return {"lead_id": "L1", "first_name": "Maria", "last_name": "Lopez", "email": "m@example.com", "lo_id": "lo-1",
            "timezone": "America/Chicago", "stage": "funded", "loan": loan, **kw}


def run(event_type, lead, data=None, enrollments=(), now=NOW, settings=SETTINGS):
    inp = TriggerInput(lead=lead, before=lead, event={"type": event_type, "event_id": "e1", "data": data or {}},
                       now=now, settings=settings, enrollments=tuple(enrollments))
    return registry.evaluate(inp)


def refi_enrollment(entered: datetime, status="completed"):
    return {"enrollment_id": "refinance_opportunity.a", "sequence": "refinance_opportunity", "status": status,
            "entered_at": entered.isoformat()}


def of(decisions, kind):
    return [d for d in decisions if isinstance(d, kind)]


# -- the rate sweep's matches ------------------------------------------------------------------

def test_a_rate_match_remembers_the_numbers_and_enrolls():
    decisions = run("rate_sweep_match", client(), {"market": MARKET})
    assert of(decisions, Enroll) == [Enroll("refinance_opportunity", reason="external:rate_drop")]
    fields = of(decisions, SetLead)[0].fields
    assert fields["refi_armed_rate"] == "6.125" and fields["refi_enrolled_at"] == NOW.isoformat()
    snap = fields["refi_snapshot"]
    # independently: 24 payments made (first due Jan 2025, Dec 2026 paid), the balance refinanced
    # over a new 30 years at 6.125%
    assert payments_made(date(2024, 11, 15), date(2026, 12, 1)) == 24
    balance = balance_after("400000", "7.125", 360, 24)
    savings = monthly_payment("400000", "7.125", 360) - monthly_payment(balance, "6.125", 360)
    assert snap["monthly_savings_fmt"] == f"${savings:,.2f}" and savings > 300
    assert snap["balance_fmt"] == f"${balance:,.2f}"
    assert snap["current_rate_fmt"] == "7.125%" and snap["new_rate_fmt"] == "6.125%"
    assert snap["new_apr_fmt"].endswith("%") and Decimal(snap["new_apr_fmt"][:-1]) > Decimal("6.125")
    assert snap["rate_drop_fmt"] == "1 point" and snap["closing_costs_fmt"] == "$4,500.00"
    assert snap["break_even_months"] == math.ceil(Decimal(4500) / savings)
    assert snap["market"] == {"product": "30-year fixed-rate", "rate_fmt": "6.125%",
                              "apr_fmt": snap["new_apr_fmt"], "as_of": "November 26, 2026"}


def test_the_savings_email_and_text_lead_with_the_borrowers_savings():
    fields = of(run("rate_sweep_match", client(), {"market": MARKET}), SetLead)[0].fields
    lead = {**client(), **fields}
    team = app_settings().team
    extras = {"refi": lead["refi_snapshot"], "market": lead["refi_snapshot"]["market"], "home": {}}
    ctx = build_context(lead, team, team.links, NOW, extras)
    savings = lead["refi_snapshot"]["monthly_savings_fmt"]
    mail = render({"channel": "email", "template": "refinance_opportunity/savings_email",
                   "subject": "{{ borrower.first_name }}, you could save about {{ refi.monthly_savings_fmt }} a month"},
                  ctx)
    assert mail.subject == f"Maria, you could save about {savings} a month"
    assert mail.text.splitlines()[2].startswith(f"Refinancing could lower your monthly payment by about {savings}")
    assert f"{lead['refi_snapshot']['new_apr_fmt']} APR" in mail.text
    text = render({"channel": "sms", "template": "refinance_opportunity/savings_text"}, ctx)
    assert savings in text.text


def test_not_worth_it_means_nothing():
    assert run("rate_sweep_match", client(), {"market": {**MARKET, "rate": "6.5"}}) == []      # 0.625 points
    assert run("rate_sweep_match", client(loan={"amount": 60000.0}), {"market": MARKET}) == []  # < $100 a month
    assert run("rate_sweep_match", client(stage="application_started"), {"market": MARKET}) == []
    assert run("rate_sweep_match", client(), {}) == []


def test_cooldown_holds_a_client_and_a_further_quarter_point_rearms():
    offered = NOW - timedelta(days=10)
    cooling = client(refi_enrolled_at=offered.isoformat(), refi_armed_rate="6.125")
    assert run("rate_sweep_match", cooling, {"market": MARKET}, [refi_enrollment(offered)]) == []
    assert run("rate_sweep_match", cooling, {"market": {**MARKET, "rate": "6.0"}}, [refi_enrollment(offered)]) == []
    assert ro.arm_state(cooling, "5.875", NOW, 90) == "rearmed"
    # re-armed, but the sequence itself takes no one back within 90 days: the LO gets the new numbers
    rearmed = run("rate_sweep_match", cooling, {"market": {**MARKET, "rate": "5.875"}}, [refi_enrollment(offered)])
    assert not of(rearmed, Enroll)
    assert of(rearmed, CreateTask)[0].title.startswith("Rates fell again: Maria Lopez could save")
    assert of(rearmed, SetLead)[0].fields["refi_armed_rate"] == "5.875"
    # re-armed with no enrollment in the way: enrolled again
    again = run("rate_sweep_match", cooling, {"market": {**MARKET, "rate": "5.875"}})
    assert of(again, Enroll) == [Enroll("refinance_opportunity", reason="external:rate_drop:rearmed")]


def test_after_the_cooldown_the_client_is_armed_again_and_a_live_enrollment_blocks():
    long_ago = NOW - timedelta(days=91)
    lead = client(refi_enrolled_at=long_ago.isoformat(), refi_armed_rate="6.125")
    assert of(run("rate_sweep_match", lead, {"market": MARKET}, [refi_enrollment(long_ago)]), Enroll)
    live = [refi_enrollment(NOW - timedelta(days=1), status="active")]
    assert run("rate_sweep_match", client(), {"market": MARKET}, live) == []


# -- credit pulls ------------------------------------------------------------------------------

def test_a_credit_pull_is_a_hot_call_within_the_hour_and_a_hot_refinance_for_a_past_client():
    noon = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)  # 12:00 in Chicago
    decisions = run("credit_pull", client(), {"market": MARKET}, now=noon)
    task = of(decisions, CreateTask)[0]
    assert task.hot and task.due_minutes == 60 and task.title.startswith("HOT: call Maria Lopez within the hour")
    assert "Never mention the credit inquiry" in task.body
    assert of(decisions, Enroll) == [Enroll("refinance_opportunity", reason="external:credit_pull", hot=True)]
    sets = {k: v for s in of(decisions, SetLead) for k, v in s.fields.items()}
    assert sets["last_credit_pull_at"] == noon.isoformat() and sets["refi_snapshot"]["source"] == "credit_pull"
    # an alert at 01:00 in Chicago: the call is due within the hour after 08:00, not at 02:00
    night = of(run("credit_pull", client(), {"market": MARKET}), CreateTask)[0]
    due = (NOW + timedelta(minutes=night.due_minutes)).astimezone(ZoneInfo("America/Chicago"))
    assert (due.date(), due.hour, due.minute) == (date(2026, 12, 1), 9, 0)


def test_a_credit_pull_needs_no_big_rate_drop_but_real_savings():
    # 0.625 points is under the sweep's threshold, yet a shopping client hears the numbers
    assert of(run("credit_pull", client(), {"market": {**MARKET, "rate": "6.5"}}), Enroll)
    # rates above the note rate: a retention call only
    higher = run("credit_pull", client(), {"market": {**MARKET, "rate": "7.5"}})
    assert not of(higher, Enroll) and of(higher, CreateTask)[0].hot


def test_a_credit_pull_without_a_market_rate_or_from_a_prospect_is_a_call_only_and_debounced():
    assert [type(d) for d in run("credit_pull", client())] == [SetLead, CreateTask]
    prospect = run("credit_pull", client(stage="application_submitted"), {"market": MARKET})
    assert not of(prospect, Enroll) and "with other lenders" in of(prospect, CreateTask)[0].body
    recent = client(last_credit_pull_at=(NOW - timedelta(hours=3)).isoformat())
    assert run("credit_pull", recent, {"market": MARKET}) == []


# -- home values -------------------------------------------------------------------------------

def test_home_value_recomputes_ltv_from_the_amortized_balance():
    decisions = run("home_value_updated", client(home_snapshot={"ltv": "85.00"}), {"value": 470000})
    snap = of(decisions, SetLead)[0].fields["home_snapshot"]
    balance = balance_after("400000", "7.125", 360, 24)
    assert snap["balance_fmt"] == f"${balance:,.2f}" and snap["value_fmt"] == "$470,000.00"
    ltv = (balance * 100 / Decimal(470000)).quantize(Decimal("0.01"))
    assert snap["ltv"] == str(ltv) and snap["ltv_fmt"] == f"{ltv}%" and ltv > 80
    assert snap["equity_fmt"] == f"${Decimal(470000) - balance:,.2f}"
    assert not of(decisions, Enroll) and not of(decisions, CreateTask)


def test_crossing_80_percent_enrolls_with_a_market_rate_or_tasks_the_lo_without():
    lead = client()  # original LTV 88.89%
    with_market = run("home_value_updated", lead, {"value": 500000, "market": MARKET})
    assert of(with_market, Enroll) == [Enroll("refinance_opportunity", reason="external:ltv_crossed:pmi")]
    assert {k for s in of(with_market, SetLead) for k in s.fields} >= {"home_snapshot", "refi_snapshot"}
    without = run("home_value_updated", lead, {"value": 500000})
    task = of(without, CreateTask)[0]
    assert task.kind == "review" and "mortgage insurance" in task.body and not of(without, Enroll)
    # already below 80% last time: no new crossing
    assert not of(run("home_value_updated", client(home_snapshot={"ltv": "79.00"}), {"value": 510000}), CreateTask)


def test_cash_out_ltv_and_va_loans():
    cash = run("home_value_updated", client(home_snapshot={"ltv": "75.00"}), {"value": 580000, "market": MARKET})
    assert of(cash, Enroll) == [Enroll("refinance_opportunity", reason="external:ltv_crossed:cash_out")]
    va = client(loan={"type": "va"})
    assert not of(run("home_value_updated", va, {"value": 500000}), CreateTask)  # no mortgage insurance on VA
    assert of(run("home_value_updated", va, {"value": 600000}), CreateTask)     # but equity for a cash-out


@pytest.mark.parametrize("value", [None, "lots", -5, 0, True])
def test_a_bad_home_value_changes_nothing(value):
    assert run("home_value_updated", client(), {"value": value}) == []


def test_a_home_value_for_a_lead_without_a_loan_is_remembered_as_is():
    decisions = run("home_value_updated", client(stage="new_lead", loan={"funded_on": None}), {"value": 350000})
    assert of(decisions, SetLead)[0].fields["home_snapshot"]["value_fmt"] == "$350,000.00"
    assert len(decisions) == 1


# -- formatting --------------------------------------------------------------------------------

def test_formats():
    assert ro.money(Decimal("1234.5")) == "$1,234.50" and ro.money(Decimal("-12.345")) == "-$12.35"
    assert ro.rate_pct(Decimal("6.125")) == "6.125%" and ro.rate_pct(7) == "7.0%" and ro.rate_pct("6.50") == "6.5%"
    assert ro.points(Decimal("0.875")) == "0.875 points" and ro.points(Decimal("1.000")) == "1 point"
    assert ro.ltv_crossings(None, Decimal("60"), Decimal("70")) == []
    assert ro.ltv_crossings(Decimal("90"), Decimal("65"), Decimal("70")) == ["pmi", "cash_out"]
