"""Annual percentage rate (Reg Z appendix J, simple case): the rate at which the payments'
present value equals the amount financed (loan amount minus prepaid finance charges). Pure."""
from __future__ import annotations


def _payment(principal: float, monthly_rate: float, n: int) -> float:
    if monthly_rate == 0:
        return principal / n
    return principal * monthly_rate / (1 - (1 + monthly_rate) ** -n)


def _present_value(payment: float, monthly_rate: float, n: int) -> float:
    if monthly_rate == 0:
        return payment * n
    return payment * (1 - (1 + monthly_rate) ** -n) / monthly_rate


def apr(amount: float, note_rate_pct: float, term_months: int, finance_charges: float) -> float:
    """APR in percent, to 3 decimals, for a level-payment loan with prepaid finance charges."""
    payment = _payment(amount, note_rate_pct / 1200, term_months)
    financed = amount - finance_charges
    lo, hi = note_rate_pct / 1200, note_rate_pct / 1200 + 0.01
    for _ in range(100):  # bisection: the present value falls as the rate rises
        mid = (lo + hi) / 2
        if _present_value(payment, mid, term_months) > financed:
            lo = mid
        else:
            hi = mid
    return round((lo + hi) / 2 * 1200, 3)
