"""Reg Z 1026.24(c): a stated rate must come with its APR."""
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.regz import RegZViolation, check, rate_statements_without_apr

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("text", [
    "Rates as low as 5.99%!",
    "Refinance today at 6.125%.",
    "Fixed at 6.125 % for 30 years",
    "Get a rate of 6 percent on a 30-year loan",
    "A rate of six percent is possible",
    "Our 15-year is 5.5 per cent",
    "Rates dropped 0.5 percentage points this week",
    "Rates are down 0.5%.",
    "0% interest for 12 months",
    "Refinance at 5¾%!",
    "financing at 5%",
    "Rates at 6.5% Apr 5",                        # "Apr" is April, not the APR
    "Your rate: 6.5%.\nAPR: 6.7%.",               # the APR is on another line
    "Rate 6.5%. APR 6.7%.",                       # and here in another sentence
    "Today's rate: {{ market.rate_fmt }}.",       # a template placeholder naming a rate
    "Locked at {{ loan.rate }}% for 45 days",
    "<p>Rates from 5.875%</p><p>Call me (6.01% APR)</p>",
    "With 20% down, rates start at 5.5%",
])
def test_rates_without_apr_are_flagged(text):
    bad = rate_statements_without_apr(text)
    assert bad
    with pytest.raises(RegZViolation) as err:
        check(text)
    assert err.value.snippets == bad and isinstance(err.value, ValueError)


@pytest.mark.parametrize("text", [
    "Rates as low as 5.99% (6.12% APR).",
    "6.125% interest rate, 6.298% APR, on a 30-year fixed",
    "A rate of 6 percent (6.2% annual percentage rate)",
    "6.5% Annual Percentage Rate",
    "Rates from 5.875%/6.01% A.P.R.",
    "New rate {{ refi.new_rate_fmt }} ({{ refi.new_apr_fmt }} APR) vs {{ refi.current_rate_fmt }}.",
    "Compare APRs: ours is 6.2% and theirs 6.4%.",
    "Put 20% down and skip PMI.",
    "A 3% down payment works.",
    "3 percent down",
    "80% LTV",
    "loan-to-value of 80%",
    "up to 97% loan-to-value",
    "100% financing available",
    "Save 10% off closing costs",
    "about 28 percent of your income",
    "Keep your DTI under 45%.",
    "a 3% seller credit",
    "Home values rose 4.2% this year.",
    "See today's rates: {{ links.rates }}",
    '<table width="100%"><tr><td style="width:100%">Hello</td></tr></table>',
    "{% if x %}Hi{% endif %} {# 5% #}",
    "No rates, no numbers today.",
    "",
])
def test_allowed_text(text):
    assert rate_statements_without_apr(text) == []
    check(text)


def test_snippets_name_each_offending_rate():
    text = "Rates from 5.5% today. Our 15-year is 5.1% (5.3% APR). Jumbo at 6.0% too!"
    bad = rate_statements_without_apr(text)
    assert len(bad) == 2 and "5.5%" in bad[0] and "6.0%" in bad[1]


def test_shipped_templates_pass():
    problems = {str(p.relative_to(TEMPLATES)): rate_statements_without_apr(p.read_text())
                for p in TEMPLATES.rglob("*.j2")}
    assert {k: v for k, v in problems.items() if v} == {}


@settings(max_examples=200, deadline=None)
@given(rate=st.decimals(min_value="0.5", max_value="15", places=3),
       lead=st.sampled_from(["Rates as low as ", "Fixed at ", "Refi at ", "Only ", ""]),
       space=st.sampled_from(["", " "]), tail=st.sampled_from(["", "!", " today.", " on a 30-year fixed"]))
def test_any_bare_rate_is_flagged_and_apr_clears_it(rate, lead, space, tail):
    text = f"{lead}{rate}{space}%{tail}"
    assert rate_statements_without_apr(text)
    assert rate_statements_without_apr(f"{lead}{rate}%{space}({rate}% APR){tail}") == []
