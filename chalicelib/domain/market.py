"""What a market update and an equity update say to one borrower, computed from data. Pure.

Market (``market.*`` merge fields), from this week's quote for the borrower's product (the rates
feed, ``{"product", "rate", "as_of", "previous": {"rate", "as_of"}}``, the previous quote being the
one about four weeks earlier):

* this week's rate with its APR (Reg Z 1026.24), the APR computed by :func:`domain.apr.apr` for a
  stated loan (the borrower's balance or inquiry amount, else :data:`DEFAULT_AMOUNT`) with the
  team's closing-cost estimate as prepaid finance charges, the basis stated beside it;
* what moved: the rate and APR a month ago, the change in points and its direction;
* what it means for them: the principal-and-interest payment on that loan now and a month ago,
  and for a past client how this week's rate compares with their own note rate.

Equity (``home.*``), from the loan and, when known, an estimated home value
(``lead["home_snapshot"]``); otherwise from the value at purchase, said as such: the balance after
the payments made, principal repaid so far, estimated equity and loan-to-value, and for a
conventional loan that started above 80% LTV the month the scheduled balance reaches 80% of the
original value (when the borrower may ask to cancel PMI).

A quote older than :data:`MAX_AGE_DAYS` is no quote: the update waits for fresh data.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from . import refinance
from .refi_offer import (PRODUCT_LABELS, RefiSettings, current_balance, dec, loan_facts, long_date, money,
                         points, rate_pct)
from .apr import apr

DEFAULT_AMOUNT = Decimal("350000")
MAX_AGE_DAYS = 14
PRODUCT_TERMS = {"conv10": 120, "conv15": 180, "conv20": 240, "fha15": 180, "va15": 180, "jumbo15": 180}
CLOSE = Decimal("0.125")  # a note rate within this of the market is "close to" it
PMI_TARGET = Decimal("0.80")


def dollars(value) -> str:
    """Whole dollars for balances and values (``$312,480``); payments keep their cents."""
    return f"${Decimal(str(value)).quantize(Decimal('1')):,}"


def fresh(quote: dict | None, today: date) -> bool:
    if not quote or dec(quote.get("rate")) is None or not quote.get("as_of"):
        return False
    return date.fromisoformat(str(quote["as_of"])[:10]) >= today - timedelta(days=MAX_AGE_DAYS)


def _loan_amount(lead: dict, today: date) -> tuple[Decimal, str]:
    facts = loan_facts(lead)
    if facts is not None and lead.get("stage") == "funded":
        return current_balance(facts, today), "your balance"
    amount = dec((lead.get("loan") or {}).get("amount"))
    if amount is not None and amount > 0:
        return amount, "your loan amount"
    return DEFAULT_AMOUNT, "a typical loan"


def _apr(amount: Decimal, rate: Decimal, term: int, costs: Decimal) -> str | None:
    if amount <= costs:
        return None
    return rate_pct(apr(float(amount), float(rate), term, float(costs)))


def market_fields(lead: dict, quote: dict | None, today: date, settings: dict) -> dict | None:
    """The ``market.*`` fields for this borrower, with ``key`` (the quote's date: a new key is new
    data), or None without a fresh quote."""
    if not fresh(quote, today):
        return None
    rate, product = dec(quote["rate"]), quote.get("product") or ""
    term = PRODUCT_TERMS.get(product, 360)
    costs = RefiSettings.from_team(settings).closing_costs
    amount, basis = _loan_amount(lead, today)
    apr_now = _apr(amount, rate, term, costs)
    if apr_now is None:
        return None
    payment = refinance.monthly_payment(amount, rate, term)
    out = {"product": PRODUCT_LABELS.get(product, "mortgage"), "rate_fmt": rate_pct(rate), "apr_fmt": apr_now,
           "as_of": long_date(quote["as_of"]), "payment_fmt": money(payment), "amount_fmt": dollars(amount),
           "amount_basis": basis, "term_years": term // 12, "costs_fmt": dollars(costs),
           "key": str(quote["as_of"])[:10]}
    previous = quote.get("previous") or {}
    before = dec(previous.get("rate"))
    if before is not None and previous.get("as_of") and _apr(amount, before, term, costs):
        change = rate - before
        out.update(previous_rate_fmt=rate_pct(before), previous_apr_fmt=_apr(amount, before, term, costs),
                   previous_as_of=long_date(previous["as_of"]), change_fmt=points(abs(change)),
                   direction="down" if change < 0 else "up" if change > 0 else "unchanged")
        was = refinance.monthly_payment(amount, before, term)
        out["payment_change_fmt"] = money(abs(payment - was))
    facts = loan_facts(lead)
    if facts is not None and lead.get("stage") == "funded":
        gap = facts.rate - rate
        out["note_gap_fmt"] = points(abs(gap))
        out["note_position"] = "above" if gap >= CLOSE else "below" if gap <= -CLOSE else "close to"
        # worth a look at the team's refinance threshold; watching from a quarter point; else keep
        worth = RefiSettings.from_team(settings).thresholds.min_rate_drop
        out["note_view"] = "worth_a_look" if gap >= worth else "watching" if gap >= Decimal("0.25") else "keep"
    return out


def pmi_month(lead: dict) -> date | None:
    """When the scheduled balance of a conventional loan that started above 80% of the original
    value reaches 80% of it (the borrower may then ask the servicer to cancel PMI)."""
    facts = loan_facts(lead)
    if facts is None or facts.property_value is None or (facts.type or "conventional") != "conventional":
        return None
    target = facts.property_value * PMI_TARGET
    if facts.amount <= target:
        return None
    lo, hi = 0, facts.term_months
    while lo < hi:  # the balance only falls: the first payment count at or under the target
        mid = (lo + hi) // 2
        if refinance.balance_after(facts.amount, facts.rate, facts.term_months, mid) <= target:
            hi = mid
        else:
            lo = mid + 1
    first_due = facts.funded_on.year * 12 + facts.funded_on.month - 1 + 2
    month = first_due + lo - 1
    return date(month // 12, month % 12 + 1, 1)


def equity_fields(lead: dict, today: date) -> dict | None:
    """The ``home.*`` fields of an equity update, with ``key`` (changes with each payment or a new
    home value), or None when the loan's amount, rate or funding date is unknown."""
    facts = loan_facts(lead)
    if facts is None:
        return None
    balance = current_balance(facts, today)
    made = refinance.payments_made(facts.funded_on, today)
    out = {"balance_fmt": dollars(balance), "paid_down_fmt": dollars(facts.amount - balance),
           "as_of_fmt": long_date(today.isoformat())}
    snapshot = lead.get("home_snapshot") or {}
    value, basis = dec(snapshot.get("value")), "estimated"
    if value is None or value <= 0:
        value, basis = facts.property_value, "original"
    if value is not None:
        ratio = refinance.ltv(balance, value)
        out.update(value_fmt=dollars(value), value_basis=basis, equity_fmt=dollars(max(value - balance, Decimal("0"))),
                   ltv_fmt=f"{ratio.quantize(Decimal('1'))}%")
    when = pmi_month(lead)
    if when is not None:
        out["pmi_date_fmt"] = f"{when.strftime('%B')} {when.year}"
    out["key"] = f"{made}:{snapshot.get('as_of') or ''}"
    return out
