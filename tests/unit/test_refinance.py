"""Refinance math, pinned against published figures and independent computations.

The references here do not reuse the module's closed form: payments are checked with
plain floats, balances with an exact month-by-month ledger in ``fractions.Fraction``.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.refinance import (RefiScenario, RefiThresholds, balance_after, ltv, monthly_payment,
                                         payments_made, qualifies, refinance_scenario, remaining_interest)

D = Decimal


# --- independent references -------------------------------------------------------------

def float_payment(principal: float, rate_pct: float, n: int) -> float:
    r = rate_pct / 1200
    return principal / n if r == 0 else principal * r / (1 - (1 + r) ** -n)


def to_cents(x: Fraction) -> Decimal:
    """Half-up rounding of an exact rational to cents (no Decimal context involved)."""
    hundredths = x * 100
    sign = -1 if hundredths < 0 else 1
    whole = (abs(hundredths) * 2 + 1) // 2  # floor(|x| + 1/2)
    return Decimal(sign * int(whole)) / 100


def ledger(principal: str, rate_pct: str, payment: Decimal, months: int) -> list[Fraction]:
    """Exact balances month by month: add a month's interest, subtract the payment."""
    r = Fraction(rate_pct) / 1200
    m = Fraction(str(payment))
    balances = [Fraction(principal)]
    for _ in range(months):
        balances.append(balances[-1] * (1 + r) - m)
    return balances


# --- monthly_payment --------------------------------------------------------------------

@pytest.mark.parametrize("principal, rate, term, expected", [
    ("320000", "7.125", 360, "2155.90"),
    ("200000", "6", 360, "1199.10"),
    ("100000", "5", 180, "790.79"),
    ("400000", "6.5", 360, "2528.27"),
    ("250000", "3.25", 240, "1417.99"),
])
def test_payment_matches_published_and_float_values(principal, rate, term, expected):
    got = monthly_payment(D(principal), D(rate), term)
    assert got == D(expected)
    assert abs(float(got) - float_payment(float(principal), float(rate), term)) <= 0.005 + 1e-9


def test_payment_accepts_floats_ints_and_strings_alike():
    assert monthly_payment(320000, 7.125, 360) == monthly_payment("320000", "7.125", 360) == D("2155.90")


def test_zero_rate_payment_is_principal_over_term():
    assert monthly_payment(12000, 0, 120) == D("100.00")
    assert monthly_payment(10000, 0, 360) == D("27.78")  # 27.777...
    assert monthly_payment("121.50", 0, 12) == D("10.13")  # exactly 10.125: half-up, not banker's 10.12


@pytest.mark.parametrize("args", [(-1, 5, 360), (1000, -1, 360), (1000, 5, 0), (1000, 5, 12.5),
                                  (1000, True, 360), ("nan", 5, 360), (1000, "inf", 360), ("abc", 5, 360)])
def test_payment_rejects_nonsense(args):
    with pytest.raises((ValueError, TypeError)):
        monthly_payment(*args)


# --- balance_after ----------------------------------------------------------------------

def test_balance_after_twelve_payments_uses_the_rounded_payment():
    # Exact: 200000*1.005^12 - 1199.10*(1.005^12 - 1)/0.005 = 197,543.9895...  -> .99.
    # (The unrounded payment 1199.1010503... would give 197,543.9766 -> .98; lenders
    # collect the rounded payment, so .99 is the figure on the borrower's statement.)
    assert balance_after(200000, 6, 360, 12) == D("197543.99")
    assert to_cents(ledger("200000", "6", D("1199.10"), 12)[-1]) == D("197543.99")


def test_balance_edges():
    assert balance_after(200000, 6, 360, 0) == D("200000.00")
    assert balance_after(200000, 6, 360, -3) == D("200000.00")
    assert balance_after(200000, 6, 360, 360) == D("0.00")
    assert balance_after(200000, 6, 360, 400) == D("0.00")
    # one payment left: the last one absorbs the rounding residue (1199.10 rounded down by ~0.1 cent)
    last = balance_after(200000, 6, 360, 359)
    assert D("1190") < last < D("1200")


def test_zero_rate_balance_is_linear():
    assert balance_after(12000, 0, 120, 10) == D("11000.00")
    assert balance_after(10000, 0, 360, 359) == D("26.98")  # 10000 - 359 * 27.78


principals = st.integers(min_value=10_000, max_value=3_000_000)
rates = st.integers(min_value=0, max_value=15 * 8).map(lambda eighths: D(eighths) / 8)  # 0..15% in 1/8 steps
terms = st.integers(min_value=12, max_value=480)


@settings(max_examples=60, deadline=None)
@given(principals, rates, terms)
def test_balance_never_rises_and_is_zero_at_term(principal, rate, term):
    balances = [balance_after(principal, rate, term, k) for k in range(term + 1)]
    assert all(b1 <= b0 for b0, b1 in zip(balances, balances[1:]))
    assert balances[0] == D(principal) and balances[-1] == 0
    # the final payment (balance plus a month's interest) is the level payment give or take
    # the accumulated rounding residue: at most half a cent per month, compounded
    payment = monthly_payment(principal, rate, term)
    r = float(rate) / 1200
    residue_bound = 0.005 * (term if r == 0 else ((1 + r) ** term - 1) / r) + 0.01
    final_payment = float(balances[-2]) * (1 + r)
    assert abs(final_payment - float(payment)) <= residue_bound


@settings(max_examples=60, deadline=None)
@given(principals, rates, terms, st.data())
def test_principal_paid_plus_balance_is_the_original_principal(principal, rate, term, data):
    k = data.draw(st.integers(min_value=0, max_value=term - 1))
    payment = monthly_payment(principal, rate, term)
    exact = ledger(str(principal), str(rate), payment, k)
    r = Fraction(str(rate)) / 1200
    principal_paid = sum(Fraction(str(payment)) - b * r for b in exact[:-1])  # payment minus that month's interest
    assert abs(principal_paid + Fraction(str(balance_after(principal, rate, term, k))) - principal) <= Fraction(1, 200)
    # and the module's balance is the exact ledger balance rounded to the cent
    assert balance_after(principal, rate, term, k) == max(to_cents(exact[-1]), D("0.00"))


# --- remaining_interest -----------------------------------------------------------------

def test_lifetime_interest_includes_the_final_payment_residue():
    # 359 payments of 1199.10 plus a last payment of 1200.16 (exact balance after 359 plus a month)
    exact = ledger("200000", "6", D("1199.10"), 359)
    last_payment = to_cents(exact[-1] * (1 + Fraction(6, 1200)))
    assert last_payment == D("1200.16")
    expected = D("1199.10") * 359 + last_payment - D("200000")
    assert remaining_interest(200000, 6, 360) == expected == D("231677.06")


def test_remaining_interest_shrinks_and_ends_at_zero():
    assert remaining_interest(200000, 6, 360, 12) < remaining_interest(200000, 6, 360, 0)
    assert remaining_interest(200000, 6, 360, 360) == 0
    assert remaining_interest(12000, 0, 120, 5) == 0


# --- payments_made ----------------------------------------------------------------------

@pytest.mark.parametrize("funded, as_of, expected", [
    (date(2024, 3, 15), date(2024, 3, 1), 0),    # before funding
    (date(2024, 3, 15), date(2024, 3, 31), 0),
    (date(2024, 3, 15), date(2024, 4, 30), 0),   # April: interest accrues, nothing due yet
    (date(2024, 3, 15), date(2024, 5, 1), 1),    # first payment due 1 May
    (date(2024, 3, 1), date(2024, 5, 1), 1),     # day of funding within the month does not matter
    (date(2024, 3, 31), date(2025, 3, 1), 11),   # May..March
    (date(2024, 11, 20), date(2024, 12, 31), 0),
    (date(2024, 11, 20), date(2025, 1, 1), 1),   # across the year end
    (date(2020, 1, 10), date(2050, 2, 1), 360),
])
def test_payments_made_convention(funded, as_of, expected):
    assert payments_made(funded, as_of) == expected


# --- ltv --------------------------------------------------------------------------------

def test_ltv_percent_two_decimals():
    assert ltv(320000, 400000) == D("80.00")
    assert ltv(D("123456.78"), 234567) == D("52.63")  # 52.6315...
    assert ltv(1, 3) == D("33.33")
    assert ltv(2, 3) == D("66.67")
    assert ltv(1, 160) == D("0.63")  # exactly 0.625: half-up
    with pytest.raises(ValueError):
        ltv(100, 0)


# --- refinance_scenario -----------------------------------------------------------------

def test_scenario_against_an_independent_ledger():
    s = refinance_scenario(400000, "7.5", 360, date(2023, 10, 15), date(2025, 6, 1), "6.25", 4500)
    k = 19  # first due 1 Dec 2023 .. 1 Jun 2025
    assert payments_made(date(2023, 10, 15), date(2025, 6, 1)) == k

    current_payment = D(str(round(float_payment(400000, 7.5, 360), 2)))
    assert s.current_payment == current_payment == D("2796.86")
    balance = to_cents(ledger("400000", "7.5", current_payment, k)[-1])
    assert s.current_balance == balance
    assert s.new_payment == D(str(round(float_payment(float(balance), 6.25, 360), 2)))
    assert s.monthly_savings == s.current_payment - s.new_payment == D("370.74")
    assert s.break_even_months == 13  # 4500 / 370.74 = 12.14 -> the 13th month recoups it
    assert s.closing_costs == D("4500.00")
    assert s.new_rate == D("6.25") and s.new_term_months == 360
    assert s.rate_drop == D("1.25")
    assert s.remaining_interest_current == remaining_interest(400000, "7.5", 360, k)
    assert s.lifetime_interest_new == remaining_interest(balance, "6.25", 360)
    assert s.lifetime_interest_difference == s.remaining_interest_current - s.lifetime_interest_new


def test_scenario_new_term_override_and_costlier_longer_loan():
    # 10 years into a 30-year loan, a new 30-year loan lowers the payment yet costs more
    # interest in the end than finishing the old one: the difference turns negative.
    s = refinance_scenario(300000, "6", 360, date(2014, 1, 10), date(2024, 3, 1), "5.5", 3000)
    assert s.monthly_savings > 0 and s.lifetime_interest_difference < 0
    short = refinance_scenario(300000, "6", 360, date(2014, 1, 10), date(2024, 3, 1), "5.5", 3000,
                               new_term_months=240)
    assert short.new_term_months == 240 and short.new_payment > s.new_payment
    assert short.lifetime_interest_difference > s.lifetime_interest_difference


def test_scenario_with_higher_market_rate_has_no_break_even():
    s = refinance_scenario(300000, "5", 360, date(2022, 1, 5), date(2024, 1, 1), "7", 3000)
    assert s.monthly_savings < 0 and s.break_even_months is None and s.rate_drop == D("-2")


def test_scenario_for_a_paid_off_loan():
    s = refinance_scenario(150000, "8", 360, date(1990, 1, 1), date(2025, 1, 1), "6", 3000)
    assert s.current_balance == 0 and s.current_payment == 0 and s.new_payment == 0
    assert s.monthly_savings == 0 and s.break_even_months is None
    assert qualifies(s, RefiThresholds()) == (False, "loan is paid off")


def test_break_even_exact_division_is_not_rounded_up():
    base = refinance_scenario(400000, "7.5", 360, date(2023, 10, 15), date(2025, 6, 1), "6.25", 0)
    assert base.break_even_months == 0
    # closing costs equal to exactly ten months of savings
    s = refinance_scenario(400000, "7.5", 360, date(2023, 10, 15), date(2025, 6, 1), "6.25", D("3707.40"))
    assert s.break_even_months == 10


# --- thresholds -------------------------------------------------------------------------

def good() -> RefiScenario:
    return refinance_scenario(400000, "7.5", 360, date(2023, 10, 15), date(2025, 6, 1), "6.25", 4500)


def test_qualifies_when_every_threshold_is_met():
    assert qualifies(good(), RefiThresholds()) == (True, "")


@pytest.mark.parametrize("change, reason_start", [
    ({"rate_drop": D("0.5")}, "rate drop 0.5 points"),
    ({"monthly_savings": D("99.99")}, "monthly savings $99.99"),
    ({"break_even_months": 37}, "break-even of 37 months"),
    ({"break_even_months": None}, "break-even of None months"),
])
def test_each_threshold_gives_its_reason(change, reason_start):
    ok, reason = qualifies(dataclasses.replace(good(), **change), RefiThresholds())
    assert not ok and reason.startswith(reason_start)


def test_thresholds_are_inclusive_at_the_boundary():
    edge = dataclasses.replace(good(), rate_drop=D("0.75"), monthly_savings=D("100"), break_even_months=36)
    assert qualifies(edge, RefiThresholds()) == (True, "")


def test_thresholds_from_team_config():
    t = RefiThresholds.from_config({"min_rate_drop": "0.5", "min_monthly_savings": "150",
                                    "max_break_even_months": 24, "closing_costs": "4500"})
    assert t == RefiThresholds(D("0.5"), D("150"), 24)
    assert RefiThresholds.from_config({}) == RefiThresholds()
