"""Refinance offers as a borrower reads them: the ``refi.*``, ``market.*`` and ``home.*`` merge
fields, and when a past client is (re-)armed for one. Pure.

The math lives in :mod:`chalicelib.domain.refinance`; this module feeds it a lead and a market
quote and formats what comes out, the way a lender discloses it:

* money with cents and thousands separators (``$1,234.56``; negative as ``-$1,234.56``);
* rates as the loan's own rate is shown (``6.125%``, ``6.5%``, ``7.0%``);
* every stated rate with its APR (Reg Z 1026.24). The APR is computed by
  :func:`chalicelib.domain.apr.apr` on the refinanced balance over the new term, counting the
  team's whole closing-cost estimate as prepaid finance charges: some closing costs (title,
  appraisal) are not finance charges, so this overstates the APR a little, never understates it.

Team settings (the ``refi`` block of ``chalicelib/teams/<stage>.json``, strings or numbers):
``min_rate_drop`` (0.75 points), ``min_monthly_savings`` ($100), ``max_break_even_months`` (36),
``closing_costs`` ($4,500), ``cooldown_days`` (90), ``cash_out_ltv`` (70).

Cooldown and re-arming: a client enrolled in the refinance sequence at market rate R is not
offered again for ``cooldown_days``, unless the market falls to ``R - 0.25`` or lower
(:data:`REARM_DROP`): a further quarter point is a new conversation worth having.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import refinance
from .apr import apr

REARM_DROP = Decimal("0.25")
PMI_LTV = Decimal("80")
DEFAULTS = {"closing_costs": Decimal("4500"), "cooldown_days": 90, "cash_out_ltv": Decimal("70")}
DEFAULT_TERM_MONTHS = 360
# No mortgage insurance to remove on a VA loan (FHA and USDA premiums are removed by
# refinancing into a conventional loan once the LTV allows it, so they count).
NO_MI_TYPES = ("va",)

PRODUCT_LABELS = {
    "conv30": "30-year fixed-rate", "conv20": "20-year fixed-rate", "conv15": "15-year fixed-rate",
    "conv10": "10-year fixed-rate", "fha30": "30-year FHA", "fha15": "15-year FHA", "va30": "30-year VA",
    "va15": "15-year VA", "usda30": "30-year USDA", "jumbo30": "30-year jumbo", "jumbo15": "15-year jumbo",
}


# -- formatting --------------------------------------------------------------------------------

def dec(value, default=None) -> Decimal | None:
    """A finite Decimal from a number-ish value (floats via str), else ``default``."""
    if value is None or isinstance(value, bool):
        return default
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default
    return out if out.is_finite() else default


def money(value) -> str:
    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if d < 0 else ''}${abs(d):,.2f}"


def rate_pct(value) -> str:
    """``6.125%``, ``6.5%``, ``7.0%``: every rate the borrower reads is shown this way."""
    text = f"{float(value):.3f}".rstrip("0")
    if text.endswith("."):
        text += "0"
    return f"{text}%"


def points(value) -> str:
    """A rate difference in percentage points: ``1 point``, ``0.875 points``."""
    d = Decimal(str(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).normalize()
    text = format(d, "f")
    return f"{text} point" if d == 1 else f"{text} points"


def long_date(iso: str | None) -> str | None:
    if not iso:
        return None
    d = date.fromisoformat(iso[:10])
    return f"{d.strftime('%B')} {d.day}, {d.year}"


# -- settings and loan facts -------------------------------------------------------------------

@dataclass(frozen=True)
class RefiSettings:
    thresholds: refinance.RefiThresholds
    closing_costs: Decimal
    cooldown_days: int
    cash_out_ltv: Decimal

    @classmethod
    def from_team(cls, settings: dict) -> RefiSettings:
        refi = dict((settings or {}).get("refi") or {})
        return cls(
            thresholds=refinance.RefiThresholds.from_config(refi),
            closing_costs=dec(refi.get("closing_costs"), DEFAULTS["closing_costs"]),
            cooldown_days=int(refi.get("cooldown_days", DEFAULTS["cooldown_days"])),
            cash_out_ltv=dec(refi.get("cash_out_ltv"), DEFAULTS["cash_out_ltv"]),
        )


@dataclass(frozen=True)
class LoanFacts:
    amount: Decimal
    rate: Decimal
    term_months: int
    funded_on: date
    product: str | None
    type: str | None
    property_value: Decimal | None


def loan_facts(lead: dict) -> LoanFacts | None:
    """The loan as the math needs it; None when amount, rate or funding date is missing."""
    loan = lead.get("loan") or {}
    amount, rate = dec(loan.get("amount")), dec(loan.get("rate"))
    try:
        funded_on = date.fromisoformat(str(loan.get("funded_on"))[:10]) if loan.get("funded_on") else None
    except ValueError:
        funded_on = None
    if amount is None or amount <= 0 or rate is None or rate < 0 or funded_on is None:
        return None
    term = loan.get("term_months") or DEFAULT_TERM_MONTHS
    value = dec(loan.get("property_value"))
    return LoanFacts(amount, rate, int(term), funded_on, loan.get("product"), loan.get("type"),
                     value if value and value > 0 else None)


def market_quote(data: dict | None) -> dict | None:
    """A market quote from event data: ``{"market": {"product", "rate", "as_of"}}``, or None."""
    market = (data or {}).get("market")
    if not isinstance(market, dict):
        return None
    rate = dec(market.get("rate"))
    if rate is None or rate <= 0:
        return None
    return {"product": market.get("product"), "rate": str(rate), "as_of": market.get("as_of")}


# -- the refinance offer -----------------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    ok: bool                              # every team threshold is met
    reason: str                           # why not, when not ok
    scenario: refinance.RefiScenario | None = None
    snapshot: dict | None = None          # the refi.* fields plus "market": {...market.* fields}


def _apr(balance: Decimal, rate: Decimal, term: int, costs: Decimal) -> float | None:
    if balance <= 0 or costs >= balance:
        return None
    return apr(float(balance), float(rate), term, float(costs))


def refi_snapshot(facts: LoanFacts, scenario: refinance.RefiScenario, quote: dict, costs: Decimal,
                  as_of: date, source: str) -> dict:
    """What the refinance touches say, formatted (``lead["refi_snapshot"]``)."""
    new_apr = _apr(scenario.current_balance, scenario.new_rate, scenario.new_term_months, costs)
    product = quote.get("product")
    market = {"product": PRODUCT_LABELS.get(product or ""), "rate_fmt": rate_pct(scenario.new_rate),
              "apr_fmt": rate_pct(new_apr) if new_apr is not None else None,
              "as_of": long_date(quote.get("as_of"))}
    snap = {
        "current_rate_fmt": rate_pct(facts.rate),
        "current_payment_fmt": money(scenario.current_payment),
        "new_rate_fmt": rate_pct(scenario.new_rate),
        "new_apr_fmt": rate_pct(new_apr) if new_apr is not None else None,
        "new_payment_fmt": money(scenario.new_payment),
        "monthly_savings_fmt": money(scenario.monthly_savings),
        "break_even_months": scenario.break_even_months,
        "lifetime_interest_difference_fmt": money(scenario.lifetime_interest_difference),
        "closing_costs_fmt": money(scenario.closing_costs),
        "balance_fmt": money(scenario.current_balance),
        "rate_drop_fmt": points(scenario.rate_drop),
        "market": {k: v for k, v in market.items() if v is not None},
        # raw figures, for rules and the timeline (templates use the *_fmt ones)
        "monthly_savings": str(scenario.monthly_savings),
        "market_rate": str(scenario.new_rate),
        "market_product": product,
        "computed_on": as_of.isoformat(),
        "source": source,
    }
    return {k: v for k, v in snap.items() if v is not None}


def offer(lead: dict, quote: dict | None, today: date, settings: dict, source: str,
          require_rate_drop: bool = True) -> Offer:
    """The refinance offer for a funded lead at a market quote, checked against the team's
    thresholds (the rate-drop minimum only when ``require_rate_drop``)."""
    if lead.get("stage") != "funded":
        return Offer(False, "not a past client")
    facts = loan_facts(lead)
    if facts is None:
        return Offer(False, "loan amount, rate or funding date unknown")
    if quote is None:
        return Offer(False, "no market rate")
    rs = RefiSettings.from_team(settings)
    scenario = refinance.refinance_scenario(facts.amount, facts.rate, facts.term_months, facts.funded_on, today,
                                            quote["rate"], rs.closing_costs)
    thresholds = rs.thresholds
    if not require_rate_drop:
        thresholds = refinance.RefiThresholds(Decimal("-100"), thresholds.min_monthly_savings,
                                              thresholds.max_break_even_months)
    ok, why = refinance.qualifies(scenario, thresholds)
    snap = refi_snapshot(facts, scenario, quote, rs.closing_costs, today, source) if ok else None
    if ok and "new_apr_fmt" not in snap:
        return Offer(False, "no APR can be stated for this balance", scenario)
    return Offer(ok, why, scenario, snap)


# -- cooldown ----------------------------------------------------------------------------------

def arm_state(lead: dict, market_rate, now: datetime, cooldown_days: int) -> str:
    """``armed`` (no recent enrollment), ``cooling`` (enrolled within the cooldown and the market
    has not fallen a further :data:`REARM_DROP` since), or ``rearmed`` (it has)."""
    last = lead.get("refi_enrolled_at")
    if not last:
        return "armed"
    if now - datetime.fromisoformat(last) >= timedelta(days=cooldown_days):
        return "armed"
    armed_at, rate = dec(lead.get("refi_armed_rate")), dec(market_rate)
    if armed_at is not None and rate is not None and rate <= armed_at - REARM_DROP:
        return "rearmed"
    return "cooling"


# -- home value and LTV ------------------------------------------------------------------------

def current_balance(facts: LoanFacts, today: date) -> Decimal:
    made = refinance.payments_made(facts.funded_on, today)
    return refinance.balance_after(facts.amount, facts.rate, facts.term_months, made)


def original_ltv(facts: LoanFacts | None) -> Decimal | None:
    if facts is None or facts.property_value is None:
        return None
    return refinance.ltv(facts.amount, facts.property_value)


def home_snapshot(balance: Decimal | None, value: Decimal, as_of: date) -> dict:
    """``lead["home_snapshot"]``: the ``home.*`` fields plus the raw figures."""
    snap = {"value_fmt": money(value), "value": str(value), "as_of": as_of.isoformat()}
    if balance is not None:
        ratio = refinance.ltv(balance, value)
        snap.update(balance_fmt=money(balance), balance=str(balance), ltv=str(ratio),
                    ltv_fmt=f"{ratio.normalize():f}%" if ratio == ratio.to_integral() else f"{ratio}%",
                    equity_fmt=money(max(value - balance, Decimal("0"))))
    return snap


def ltv_crossings(previous: Decimal | None, current: Decimal, cash_out_ltv: Decimal,
                  loan_type: str | None = None) -> list[str]:
    """Thresholds crossed from above: ``pmi`` (to 80% or below: mortgage insurance can go) and
    ``cash_out`` (to the team's cash-out LTV or below). Nothing without a previous LTV."""
    if previous is None:
        return []
    out = []
    if previous > PMI_LTV >= current and (loan_type or "") not in NO_MI_TYPES:
        out.append("pmi")
    if previous > cash_out_ltv >= current:
        out.append("cash_out")
    return out
