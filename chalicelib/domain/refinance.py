"""Refinance math for fixed-rate, level-payment mortgages, exact to the cent. Pure.

All arithmetic runs in ``decimal.Decimal`` at 40 significant digits; every money figure
that leaves this module is rounded half-up to whole cents, as lenders disclose it. Inputs
may be ``Decimal``, ``int``, ``str`` or ``float`` (floats go through ``str`` so ``7.125``
means 7.125, not its binary neighbour).

Model and conventions, stated once so callers need not guess:

* Payment: standard amortization ``M = P*r / (1 - (1+r)^-n)``, ``r = rate/1200``,
  rounded to the cent; a 0% loan pays ``P/n``.
* Balance: the closed form ``B_k = P(1+r)^k - M((1+r)^k - 1)/r`` using the *rounded*
  payment ``M`` the borrower actually pays. Interest is not rounded month by month, so a
  servicer's ledger can differ from this by a few cents after many years.
* Because ``M`` is rounded, the last scheduled payment absorbs the residue (a few cents
  either way); the balance is 0 once every scheduled payment is made, and never negative.
* Payments made: the first payment is due on the 1st of the second month after funding
  (funded 15 Mar -> first due 1 May), the usual US "skip a month" schedule, since
  interest is paid in arrears; every later 1st of a month on or before ``as_of`` is one
  more payment. Borrowers are assumed to pay on schedule, no prepayments.
* A refinance replaces the current balance exactly: closing costs are paid in cash, not
  rolled into the new loan, and are kept out of every interest figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Union

Number = Union[Decimal, int, float, str]

CENT = Decimal("0.01")
_PRECISION = 40  # far beyond what 360 compounding steps of a cent-level figure need


def _d(value: Number, name: str) -> Decimal:
    """A finite Decimal from a number-ish input; floats via str to keep their decimal meaning."""
    if isinstance(value, bool):  # bool is an int subclass; True as a rate is a bug upstream
        raise TypeError(f"{name} must be a number, not bool")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{name} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{name} must be finite: {value!r}")
    return result


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _check_loan(principal: Decimal, rate: Decimal, term_months: int) -> None:
    if principal < 0:
        raise ValueError("principal must not be negative")
    if rate < 0:
        raise ValueError("annual_rate_pct must not be negative")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months <= 0:
        raise ValueError("term_months must be a positive int")


def monthly_payment(principal: Number, annual_rate_pct: Number, term_months: int) -> Decimal:
    """Level monthly principal-and-interest payment, rounded half-up to the cent."""
    p, rate = _d(principal, "principal"), _d(annual_rate_pct, "annual_rate_pct")
    _check_loan(p, rate, term_months)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if rate == 0:
            return _cents(p / term_months)
        r = rate / 1200
        return _cents(p * r / (1 - (1 + r) ** -term_months))


def _closed_form_balance(p: Decimal, rate: Decimal, payment: Decimal, k: int) -> Decimal:
    """Unrounded, unclamped balance after k payments of ``payment`` (caller sets precision)."""
    if rate == 0:
        return p - payment * k
    r = rate / 1200
    growth = (1 + r) ** k
    return p * growth - payment * (growth - 1) / r


def balance_after(principal: Number, annual_rate_pct: Number, term_months: int, payments_made: int) -> Decimal:
    """Balance left after ``payments_made`` on-time payments of the rounded payment, in cents.

    0 from the last scheduled payment on (it absorbs the rounding residue) and never negative.
    """
    p, rate = _d(principal, "principal"), _d(annual_rate_pct, "annual_rate_pct")
    _check_loan(p, rate, term_months)
    if payments_made <= 0:
        return _cents(p)
    if payments_made >= term_months:
        return Decimal("0.00")
    payment = monthly_payment(p, rate, term_months)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return max(_cents(_closed_form_balance(p, rate, payment, payments_made)), Decimal("0.00"))


def remaining_interest(principal: Number, annual_rate_pct: Number, term_months: int,
                       payments_made: int = 0) -> Decimal:
    """Interest still to be paid over the rest of the schedule, in cents.

    The scheduled payments left, with the last one adjusted by the rounding residue, minus
    the balance they repay. With ``payments_made=0`` it is the loan's lifetime interest.
    """
    p, rate = _d(principal, "principal"), _d(annual_rate_pct, "annual_rate_pct")
    _check_loan(p, rate, term_months)
    k = max(payments_made, 0)
    if k >= term_months:
        return Decimal("0.00")
    payment = monthly_payment(p, rate, term_months)
    balance = balance_after(p, rate, term_months, k)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        # what the last payment adds (positive) or saves (negative) against a plain M
        residue = _cents(_closed_form_balance(p, rate, payment, term_months))
        return max(_cents(payment * (term_months - k) + residue - balance), Decimal("0.00"))


def payments_made(funded_on: date, as_of: date) -> int:
    """Scheduled payments due on or before ``as_of``: the 1sts of the months from the second
    month after funding (funded any day of March -> first due 1 May). Never negative."""
    first_due = funded_on.year * 12 + (funded_on.month - 1) + 2  # months since year 0, zero-based
    now_month = as_of.year * 12 + (as_of.month - 1)
    # each month's payment is due on its 1st, so as_of in month m means m's payment is made
    return max(now_month - first_due + 1, 0)


def ltv(balance: Number, home_value: Number) -> Decimal:
    """Loan-to-value in percent, 2 decimals (``80.00`` for 80%). Needs a positive home value."""
    b, v = _d(balance, "balance"), _d(home_value, "home_value")
    if v <= 0:
        raise ValueError("home_value must be positive")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return _cents(b * 100 / v)


@dataclass(frozen=True)
class RefiScenario:
    """The figures a refinance conversation needs. Money in cents, rates in percent."""

    current_balance: Decimal
    current_payment: Decimal  # 0.00 once the loan is paid off: nothing left to save on
    new_rate: Decimal
    new_term_months: int
    new_payment: Decimal
    monthly_savings: Decimal  # current - new; negative when the new payment is higher
    closing_costs: Decimal
    break_even_months: int | None  # ceil(closing costs / savings); None when savings <= 0
    remaining_interest_current: Decimal
    lifetime_interest_new: Decimal
    # remaining interest on the current loan minus lifetime interest on the new one; interest
    # only, closing costs kept apart. Negative when a longer new term costs more in the end.
    lifetime_interest_difference: Decimal
    rate_drop: Decimal  # note rate minus market rate, in percentage points


def refinance_scenario(principal: Number, note_rate: Number, term_months: int, funded_on: date, as_of: date,
                       market_rate: Number, closing_costs: Number,
                       new_term_months: int | None = None) -> RefiScenario:
    """Compare keeping the current loan with refinancing today's balance at ``market_rate``.

    ``new_term_months`` defaults to the original term (a 30-year loan refinances into a
    new 30-year loan), the product a borrower is usually quoted.
    """
    p, rate = _d(principal, "principal"), _d(note_rate, "note_rate")
    new_rate, costs = _d(market_rate, "market_rate"), _d(closing_costs, "closing_costs")
    _check_loan(p, rate, term_months)
    if costs < 0:
        raise ValueError("closing_costs must not be negative")
    new_term = term_months if new_term_months is None else new_term_months
    k = min(payments_made(funded_on, as_of), term_months)

    balance = balance_after(p, rate, term_months, k)
    paid_off = k >= term_months or balance == 0
    current_payment = Decimal("0.00") if paid_off else monthly_payment(p, rate, term_months)
    new_payment = monthly_payment(balance, new_rate, new_term)
    savings = current_payment - new_payment
    remaining_current = remaining_interest(p, rate, term_months, k)
    lifetime_new = remaining_interest(balance, new_rate, new_term, 0)
    return RefiScenario(
        current_balance=balance,
        current_payment=current_payment,
        new_rate=new_rate,
        new_term_months=new_term,
        new_payment=new_payment,
        monthly_savings=savings,
        closing_costs=_cents(costs),
        break_even_months=_break_even(_cents(costs), savings),
        remaining_interest_current=remaining_current,
        lifetime_interest_new=lifetime_new,
        lifetime_interest_difference=remaining_current - lifetime_new,
        rate_drop=rate - new_rate,
    )


def _break_even(closing_costs: Decimal, savings: Decimal) -> int | None:
    if savings <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        # a partial month of savings does not recoup the costs, so round up
        return int((closing_costs / savings).to_integral_value(rounding=ROUND_CEILING))


@dataclass
class RefiThresholds:
    """When a refinance is worth raising with the borrower (the team's ``refi`` settings)."""

    min_rate_drop: Decimal = Decimal("0.75")
    min_monthly_savings: Decimal = Decimal("100")
    max_break_even_months: int = 36

    @classmethod
    def from_config(cls, refi: dict) -> "RefiThresholds":
        """From a team's ``refi`` block (strings in JSON); missing keys keep the defaults."""
        base = cls()
        return cls(
            min_rate_drop=_d(refi.get("min_rate_drop", base.min_rate_drop), "min_rate_drop"),
            min_monthly_savings=_d(refi.get("min_monthly_savings", base.min_monthly_savings), "min_monthly_savings"),
            max_break_even_months=int(refi.get("max_break_even_months", base.max_break_even_months)),
        )


def qualifies(scenario: RefiScenario, thresholds: RefiThresholds) -> tuple[bool, str]:
    """(True, "") when every threshold is met, else (False, the first reason it is not)."""
    if scenario.current_balance <= 0:
        return False, "loan is paid off"
    if scenario.rate_drop < thresholds.min_rate_drop:
        return False, f"rate drop {scenario.rate_drop} points is below the {thresholds.min_rate_drop} minimum"
    if scenario.monthly_savings < thresholds.min_monthly_savings:
        return False, (f"monthly savings ${scenario.monthly_savings} is below the "
                       f"${thresholds.min_monthly_savings} minimum")
    if scenario.break_even_months is None or scenario.break_even_months > thresholds.max_break_even_months:
        return False, (f"break-even of {scenario.break_even_months} months is beyond the "
                       f"{thresholds.max_break_even_months}-month maximum")
    return True, ""


__all__ = ["CENT", "RefiScenario", "RefiThresholds", "balance_after", "ltv", "monthly_payment", "payments_made",
           "qualifies", "refinance_scenario", "remaining_interest"]
