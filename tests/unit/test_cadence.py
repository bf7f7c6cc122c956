"""Cadence by engagement (tiers and pace) and the figures of market and equity updates. Pure."""
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import cadence
from chalicelib.domain.market import equity_fields, market_fields, pmi_month
from chalicelib.domain.regz import rate_statements_without_apr

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
S = cadence.settings_for("past_client_program", {})


def ago(**kw) -> str:
    return (NOW - timedelta(**kw)).isoformat()


def lead(*activity, **kw) -> dict:
    return {"first_email_at": ago(days=200), "activity": list(activity), **kw}


def act(type_: str, machine: bool = False, **kw) -> dict:
    return {"type": type_, "at": ago(**kw), "machine": machine}


@pytest.mark.parametrize("the_lead,expected", [
    (lead(act("email_opened", days=29)), "engaged"),                       # a person's open this month
    (lead(act("email_opened", days=31)), "quiet"),                         # ...but not in 30 days
    (lead(act("email_opened", machine=True, days=1)), "quiet"),           # Apple's proxy is not a person
    (lead(act("link_clicked", machine=True, days=1)), "quiet"),           # nor is a link scanner
    (lead(), "quiet"),                                                     # never opened anything
    (lead(act("link_clicked", days=6)), "hot"),                            # a click this week
    (lead(act("link_clicked", days=8)), "engaged"),                        # ...last week: still engaged
    (lead(act("email_replied", days=2)), "hot"),
    (lead(last_credit_pull_at=ago(days=3)), "hot"),                        # shopping elsewhere
    (lead(last_engaged_at=ago(days=20)), "engaged"),                       # a call three weeks ago
    ({"activity": []}, "engaged"),                                         # no e-mail yet: benefit of the doubt
    ({"first_email_at": ago(days=10)}, "engaged"),                         # too early to call it quiet
    ({"first_email_at": ago(days=15)}, "quiet"),                           # two weeks unopened: quiet
])
def test_tiers(the_lead, expected):
    assert cadence.tier(the_lead, NOW, S) == expected


def test_pace_follows_the_tier_and_the_team_can_change_it():
    assert [cadence.pace(t, S) for t in ("hot", "engaged", "quiet")] == [0.75, 1.0, 1.8]
    team = {"programs": {"past_client_program": {"pace": {"quiet": 1.5}, "engaged_days": 45}}}
    mine = cadence.settings_for("past_client_program", team)
    assert mine["pace"] == {"hot": 0.75, "engaged": 1.0, "quiet": 1.5} and mine["engaged_days"] == 45
    assert cadence.tier(lead(act("email_opened", days=40)), NOW, mine) == "engaged"
    assert cadence.settings_for("long_term_nurture", team)["pace"]["quiet"] == 2.5  # per program (its own default)
    assert not cadence.enabled("long_term_nurture", {"programs": {"long_term_nurture": {"enabled": False}}})


def test_a_warm_relationship_needs_more_than_opens():
    assert not cadence.positive(lead(act("email_opened", days=1), act("email_opened", days=2)), NOW, S)
    assert cadence.positive(lead(act("link_clicked", days=50)), NOW, S)
    assert not cadence.positive(lead(act("link_clicked", days=70)), NOW, S)


# -- market and equity figures ------------------------------------------------------------------

PAST = {"stage": "funded", "loan": {"type": "conventional", "amount": 400000, "rate": 7.0, "term_months": 360,
                                    "funded_on": "2024-05-10", "product": "conv30", "property_value": 460000}}
QUOTE = {"product": "conv30", "rate": "6.25", "as_of": "2027-04-08", "previous": {"rate": "6.5", "as_of": "2027-03-11"}}


def test_a_market_update_states_each_rate_with_its_apr_and_what_moved():
    m = market_fields(PAST, QUOTE, NOW.date(), {})
    assert m["rate_fmt"] == "6.25%" and m["apr_fmt"].endswith("%") and float(m["apr_fmt"][:-1]) > 6.25
    assert m["previous_rate_fmt"] == "6.5%" and float(m["previous_apr_fmt"][:-1]) > 6.5
    assert (m["direction"], m["change_fmt"]) == ("down", "0.25 points")
    assert (m["note_position"], m["note_gap_fmt"], m["note_view"]) == ("above", "0.75 points", "worth_a_look")
    assert m["amount_basis"] == "your balance" and m["key"] == "2027-04-08"
    line = f"{m['rate_fmt']} ({m['apr_fmt']} APR), down from {m['previous_rate_fmt']} ({m['previous_apr_fmt']} APR)"
    assert rate_statements_without_apr(line) == []


def test_what_the_market_means_for_a_buyer_is_the_payment_on_their_amount():
    m = market_fields({"stage": "new_lead", "loan": {"amount": 300000}}, QUOTE, NOW.date(), {})
    assert m["amount_fmt"] == "$300,000" and m["payment_fmt"] == "$1,847.15" and "note_view" not in m
    assert m["payment_change_fmt"] == "$49.05"  # the same loan a month ago, at 6.5%
    assert market_fields({}, QUOTE, NOW.date(), {})["amount_basis"] == "a typical loan"


def test_no_fresh_quote_no_market_update():
    assert market_fields(PAST, None, NOW.date(), {}) is None
    assert market_fields(PAST, QUOTE, date(2027, 4, 30), {}) is None  # three weeks old
    m = market_fields(PAST, {**QUOTE, "previous": None}, NOW.date(), {})
    assert "direction" not in m and m["rate_fmt"] == "6.25%"


@pytest.mark.parametrize("note,view", [(7.0, "worth_a_look"), (6.6, "watching"), (6.3, "keep"), (5.5, "keep")])
def test_the_note_rate_verdict_uses_the_team_threshold(note, view):
    the_lead = {**PAST, "loan": {**PAST["loan"], "rate": note}}
    assert market_fields(the_lead, QUOTE, NOW.date(), {})["note_view"] == view


def test_equity_from_the_original_value_until_a_home_value_is_known():
    e = equity_fields(PAST, NOW.date())
    assert e["value_basis"] == "original" and e["value_fmt"] == "$460,000"
    assert e["balance_fmt"].startswith("$38") and e["paid_down_fmt"].startswith("$12,")
    valued = {**PAST, "home_snapshot": {"value": "520000", "as_of": "2027-04-01"}}
    v = equity_fields(valued, NOW.date())
    assert v["value_basis"] == "estimated" and v["equity_fmt"].startswith("$13") and v["key"] != e["key"]
    assert equity_fields({"stage": "funded", "loan": {}}, NOW.date()) is None


def test_the_month_pmi_can_go_by_request():
    assert pmi_month(PAST) == date(2030, 12, 1)                            # started at 87% of the value
    assert pmi_month({**PAST, "loan": {**PAST["loan"], "amount": 300000}}) is None  # started under 80%
    assert pmi_month({**PAST, "loan": {**PAST["loan"], "type": "va"}}) is None
