"""External triggers: rate moves, credit-inquiry alerts and home values become refinance touches.

* ``rate_sweep_match`` (the nightly rate sweep, one per past client whose note rate is at least
  ``min_rate_drop`` above today's rate for their product; ``data["market"]`` is the quote):
  the offer is recomputed from the lead as it is now and the team thresholds re-checked; then
  ``refi_snapshot`` (what the email says), ``refi_armed_rate`` and ``refi_enrolled_at`` are
  remembered and the client enrolls in ``refinance_opportunity``. The cooldown
  (``refi.cooldown_days``, 90) keeps the client from being offered again every night; a further
  drop of :data:`~chalicelib.domain.refi_offer.REARM_DROP` (0.25 points) below the rate of the last
  offer re-arms it. When a re-armed offer falls inside the sequence's own re-entry window, the LO
  gets a task with the new numbers instead (the sequence would refuse the enrollment).
* ``credit_pull`` (a credit-inquiry alert: the client is shopping; a hot signal): an LO call
  task due within the hour (an alert that lands at night: within the hour after 8:00 lead-local),
  for any lead; for a past client with a market quote in
  ``data["market"]`` whose refinance saves at least the team minimum within the break-even
  maximum, also a hot enrollment in ``refinance_opportunity`` (hot: its email goes now, past the
  business-hours hold and the cap). Alerts within 24 hours of the last one are folded into it.
  Touches never mention the inquiry.
* ``home_value_updated`` (``data["value"]``): the LTV is recomputed from the amortized balance
  and remembered as ``home_snapshot`` (the ``home.*`` fields). Falling from above 80% to 80% or
  below (mortgage insurance can go; not for VA loans) or from above the team's
  ``refi.cash_out_ltv`` (70%) to it or below enrolls the client in ``refinance_opportunity`` when
  a market quote is given and the refinance saves money (the email leads with a savings figure);
  otherwise the LO gets a task about the equity milestone. The previous LTV is the last
  snapshot's, else the loan's original ``amount / property_value``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..domain import refi_offer as ro
from ..domain.quiet_hours import next_local_time
from ..sequences.catalog import SEQUENCES
from ..sequences.engine import counts_for_reentry, is_live
from ..domain.timezones import lead_zone
from .decisions import CreateTask, Enroll, SetLead, TriggerInput, trigger

REFI = "refinance_opportunity"
CREDIT_PULL_DEBOUNCE = timedelta(hours=24)
LO_DAY = (8, 20)  # a hot call is due within the hour inside these lead-local hours...
HOT_MINUTES = 60  # ...else within the hour after 8:00 (bureau alerts often arrive overnight)


def _name(lead: dict) -> str:
    return " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p) or "this client"


def refi_live(inp: TriggerInput) -> bool:
    return any(e.get("sequence") == REFI and is_live(e) for e in inp.enrollments)


def sequence_accepts(inp: TriggerInput, seq_id: str = REFI) -> bool:
    """Would the sequence take a new enrollment now (not live, outside its re-entry window)?
    The engine checks this again when it applies the decision; the rules ask first so that a
    refused enrollment becomes a task rather than nothing."""
    seq = SEQUENCES.get(seq_id)
    if seq is None:
        return False
    mine = [e for e in inp.enrollments if e.get("sequence") == seq_id and counts_for_reentry(e)]
    if any(is_live(e) for e in mine):
        return False
    if mine:
        if seq.reentry.once:
            return False
        last = max(datetime.fromisoformat(e["entered_at"]) for e in mine)
        if inp.now - last < timedelta(days=seq.reentry.after_days or 0):
            return False
    return True


def hot_due_minutes(lead: dict, now: datetime) -> int:
    zone = lead_zone(lead)
    if LO_DAY[0] <= now.astimezone(ZoneInfo(zone)).hour < LO_DAY[1]:
        return HOT_MINUTES
    start = next_local_time(now, zone, LO_DAY[0], 0)
    return -int(-(start - now).total_seconds() // 60) + HOT_MINUTES


def _remember(offer: ro.Offer, now: datetime, trigger_name: str) -> SetLead:
    return SetLead({"refi_snapshot": offer.snapshot, "refi_armed_rate": offer.snapshot["market_rate"],
                    "refi_enrolled_at": now.isoformat(), "refi_trigger": trigger_name})


def _numbers_task(lead: dict, offer: ro.Offer, title: str, key: str, hot: bool = False,
                  due_minutes: int = 24 * 60) -> CreateTask:
    s = offer.snapshot
    return CreateTask(
        kind="call", title=title, key=key, hot=hot, due_minutes=due_minutes, priority=None if hot else "opportunity",
        body=(f"Current P&I {s['current_payment_fmt']} at {s['current_rate_fmt']}; at today's "
              f"{s['new_rate_fmt']} ({s['new_apr_fmt']} APR) the payment would be about {s['new_payment_fmt']}: "
              f"savings {s['monthly_savings_fmt']} a month, closing costs {s['closing_costs_fmt']}, break-even about "
              f"{s['break_even_months']} months, balance {s['balance_fmt']}. Always quote the APR with the rate."))


@trigger("rate_sweep_match")
def rate_drop(inp: TriggerInput) -> list:
    lead = inp.lead
    quote = ro.market_quote(inp.event.get("data"))
    if quote is None or refi_live(inp):
        return []
    rs = ro.RefiSettings.from_team(inp.settings)
    state = ro.arm_state(lead, quote["rate"], inp.now, rs.cooldown_days)
    if state == "cooling":
        return []
    offer = ro.offer(lead, quote, inp.now.date(), inp.settings, source="rate_sweep")
    if not offer.ok:
        return []
    if sequence_accepts(inp):
        reason = "external:rate_drop" + (":rearmed" if state == "rearmed" else "")
        return [_remember(offer, inp.now, "rate_drop"), Enroll(REFI, reason=reason)]
    # re-armed inside the sequence's re-entry window: the LO takes the new numbers personally
    return [_remember(offer, inp.now, "rate_drop"),
            _numbers_task(lead, offer, f"Rates fell again: {_name(lead)} could save "
                          f"{offer.snapshot['monthly_savings_fmt']} a month",
                          key=f"refi_rearmed:{offer.snapshot['market_rate']}")]


@trigger("credit_pull")
def credit_pull(inp: TriggerInput) -> list:
    lead = inp.lead
    last = lead.get("last_credit_pull_at")
    if last and inp.now - datetime.fromisoformat(last) < CREDIT_PULL_DEBOUNCE:
        return []
    decisions: list = [SetLead({"last_credit_pull_at": inp.now.isoformat()})]
    quote = ro.market_quote(inp.event.get("data"))
    offer = ro.offer(lead, quote, inp.now.date(), inp.settings, source="credit_pull", require_rate_drop=False)
    past_client = lead.get("stage") == "funded"
    if past_client and offer.ok and sequence_accepts(inp):
        decisions += [_remember(offer, inp.now, "credit_pull"), Enroll(REFI, reason="external:credit_pull", hot=True)]
    what = ("a refinance or new purchase elsewhere" if past_client
            else "a mortgage with other lenders")
    numbers = ""
    if offer.ok:
        s = offer.snapshot
        numbers = (f" Their numbers: {s['current_payment_fmt']} now vs about {s['new_payment_fmt']} at "
                   f"{s['new_rate_fmt']} ({s['new_apr_fmt']} APR), saving {s['monthly_savings_fmt']} a month.")
    decisions.append(CreateTask(
        kind="call", hot=True, due_minutes=hot_due_minutes(lead, inp.now), key="credit_pull",
        title=f"HOT: call {_name(lead)} within the hour: they may be shopping",
        body=(f"A credit-inquiry alert suggests {lead.get('first_name') or 'this client'} is shopping for {what}. "
              f"Call now to keep the relationship: ask what they are planning and offer your numbers.{numbers} "
              "Never mention the credit inquiry or where the alert came from.")))
    return decisions


@trigger("home_value_updated")
def home_value(inp: TriggerInput) -> list:
    lead = inp.lead
    value = ro.dec((inp.event.get("data") or {}).get("value"))
    if value is None or value <= 0:
        return []
    today = inp.now.date()
    facts = ro.loan_facts(lead)
    balance = ro.current_balance(facts, today) if facts else None
    snapshot = ro.home_snapshot(balance, value, today)
    decisions: list = [SetLead({"home_snapshot": snapshot})]
    if balance is None or lead.get("stage") != "funded":
        return decisions
    previous = ro.dec((lead.get("home_snapshot") or {}).get("ltv")) if lead.get("home_snapshot") else None
    if previous is None:
        previous = ro.original_ltv(facts)
    rs = ro.RefiSettings.from_team(inp.settings)
    crossed = ro.ltv_crossings(previous, ro.dec(snapshot["ltv"]), rs.cash_out_ltv, facts.type)
    if not crossed:
        return decisions
    why = "cash_out" if "cash_out" in crossed else "pmi"
    quote = ro.market_quote(inp.event.get("data"))
    offer = ro.offer(lead, quote, today, inp.settings, source=f"ltv_{why}", require_rate_drop=False)
    if offer.ok and sequence_accepts(inp):
        return decisions + [_remember(offer, inp.now, f"ltv_{why}"), Enroll(REFI, reason=f"external:ltv_crossed:{why}")]
    milestone = {"pmi": "80% or below: mortgage insurance may come off",
                 "cash_out": f"{rs.cash_out_ltv}% or below: enough equity for a cash-out refinance"}
    return decisions + [CreateTask(
        kind="review", key=f"ltv:{why}", title=f"Equity milestone: {_name(lead)} is at {snapshot['ltv_fmt']} LTV",
        body=(f"Estimated value {snapshot['value_fmt']}, balance {snapshot['balance_fmt']}, equity "
              f"{snapshot['equity_fmt']}: the loan-to-value is now {' and '.join(milestone[c] for c in crossed)}. "
              "Review the options with them (removing mortgage insurance, a cash-out or rate-and-term refinance) "
              "and quote any rate with its APR."))]
