"""Behavioural rules: pure functions of the lead's recent event window.

Machine events (scanner clicks, privacy prefetch opens) are kept on the lead but never drive
these rules. Every threshold is a team setting (``behavior`` in the team file) with these
defaults:

1. the rate-quote email opened 3 times within 24 hours -> an LO call task due within 1 hour
   (a hot signal: it bypasses the frequency cap);
2. no human open of any email in 14 days -> the next email touch goes as an SMS instead
   (only when SMS consent exists);
3. a click on the refinance-calculator link -> a personalised refinance-scenarios email
   1 hour later;
4. the borrower replied, the LO answered, the borrower silent for 3 days -> an escalation task
   for the LO's manager (the ``escalation_watch`` sequence, enrolled by engagement.lo_answered);
5. no open in 30 days -> slow the cadence (remaining delays stretched) instead of firing on
   schedule.
Rules 2 and 5 are about the absence of events, so the scheduler asks them just before a
touch goes (:func:`adapt_touch`, :func:`adapt_enrollment`); rules 1 and 3 fire on the event.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..domain import consent
from .registry import CreateTask, Enroll, TriggerInput, trigger

DEFAULTS = {
    "rate_quote_steps": ["lead_nurture.how_rates_are_set", "refinance_opportunity.savings_email",
                         "annual_review.annual_review_email"],
    "hot_opens": 3, "hot_window_hours": 24, "hot_task_due_minutes": 60,
    "switch_to_sms_after_days": 14,
    "refi_calculator_marker": "refinance-calculator", "refi_scenarios_delay_minutes": 60,
    "slow_after_days": 30, "slow_factor": 2.0,
}


def rules(settings: dict) -> dict:
    return {**DEFAULTS, **(settings.get("behavior") or {})}


def _human(activity, types, since: datetime | None = None):
    return [a for a in activity if a["type"] in types and not a.get("machine")
            and (since is None or datetime.fromisoformat(a["at"]) >= since)]


@trigger("email_opened")
def rate_quote_reopened(inp: TriggerInput) -> list:
    data = inp.event.get("data") or {}
    r = rules(inp.settings)
    if data.get("machine") or f"{data.get('sequence')}.{data.get('step')}" not in r["rate_quote_steps"]:
        return []
    since = inp.now - timedelta(hours=r["hot_window_hours"])
    opens = [a for a in _human(inp.lead.get("activity", []), ("email_opened",), since)
             if a.get("touch_id") == data.get("touch_id")]
    if len(opens) < r["hot_opens"]:
        return []
    name = inp.lead.get("first_name", "The borrower")
    return [CreateTask(
        kind="call", title=f"Hot lead: call {name} now: rate quote opened {len(opens)} times today",
        body=(f"{name} has opened the rate email {len(opens)} times in the last {r['hot_window_hours']} hours. "
              "They are comparing numbers right now: call, confirm the scenario and offer to lock."),
        due_minutes=r["hot_task_due_minutes"], key=f"hot_opens:{data.get('touch_id')}", hot=True)]


@trigger("link_clicked")
def refi_calculator_clicked(inp: TriggerInput) -> list:
    data = inp.event.get("data") or {}
    r = rules(inp.settings)
    url = data.get("url") or ""
    calculator = (inp.settings.get("links") or {}).get("refi_calculator")
    if data.get("machine") or not (url == calculator or r["refi_calculator_marker"] in url):
        return []
    return [Enroll("refinance_scenarios", reason="clicked refinance calculator", hot=True)]


def _last_human_open(lead: dict) -> datetime | None:
    opens = _human(lead.get("activity", []), ("email_opened", "link_clicked", "email_replied"))
    return max((datetime.fromisoformat(a["at"]) for a in opens), default=None)


def _silent_since(lead: dict, now: datetime, days: int) -> bool:
    """True when e-mail has been going out for ``days`` without a human open or click."""
    first_email = lead.get("first_email_at")
    if not first_email or now - datetime.fromisoformat(first_email) < timedelta(days=days):
        return False
    last = _last_human_open(lead)
    return last is None or now - last >= timedelta(days=days)


def adapt_touch(order: dict, lead: dict, now: datetime, settings: dict) -> dict:
    """Rule 2: an e-mail nobody opens for 14 days becomes a text (with SMS consent). Not in the
    yearly programs: they have their own text check-ins and slow down instead."""
    r = rules(settings)
    if order["channel"] != "email" or not lead.get("phone") or order.get("program"):
        return order
    if not consent.granted(lead, "sms") or "sms" in (lead.get("suppressed") or {}):
        return order
    if not _silent_since(lead, now, r["switch_to_sms_after_days"]):
        return order
    return {**order, "channel": "sms", "template": "fallback/email_nudge", "switched_from": "email",
            "switch_reason": f"no human open in {r['switch_to_sms_after_days']} days"}


def adapt_enrollment(enrollment: dict, lead: dict, now: datetime, settings: dict) -> dict:
    """Rule 5: no open in 30 days slows a marketing sequence instead of firing on schedule.
    A yearly program is paced by the borrower's tier instead, both ways (``programs.adapt``)."""
    from ..sequences.catalog import SEQUENCES

    seq = SEQUENCES.get(enrollment.get("sequence"))
    if seq is not None and seq.paced:
        from .programs import adapt

        return adapt(enrollment, lead, now, settings)
    return slow_down(enrollment, lead, now, settings)


def slow_down(enrollment: dict, lead: dict, now: datetime, settings: dict) -> dict:
    """Rule 5 itself: stretch the remaining delays once nothing has been opened for 30 days."""
    r = rules(settings)
    if enrollment.get("priority", 0) >= 40 or enrollment.get("stretch", 1) >= r["slow_factor"]:
        return enrollment
    if not _silent_since(lead, now, r["slow_after_days"]):
        return enrollment
    return {**enrollment, "stretch": r["slow_factor"], "slowed_at": now.isoformat()}
