"""Behavioural rules: pure functions of the lead's recent event window.

Machine events (scanner clicks, privacy prefetch opens) are kept on the lead but never drive
these rules. Every threshold is a team setting (``behavior`` in the team file) with these
defaults (``common.BEHAVIOR_DEFAULTS``):

1. the rate-quote email opened 3 times within 24 hours -> an LO call task due within 1 hour
   (a hot signal: it bypasses the frequency cap);
2. no human open of any email in 14 days -> the next email touch goes as an SMS instead
   (only when SMS consent exists); so does an e-mail to a lead with no address or one that
   bounced. The text is the e-mail step's own short version (``Touch.text``: a birthday wish,
   a market note with the rate and its APR...); an e-mail without one is never switched;
3. a click on the refinance-calculator link -> a personalised refinance-scenarios email
   1 hour later;
4. the borrower replied, the LO answered, the borrower silent for 3 days -> an escalation task
   for the LO's manager (the ``escalation_watch`` sequence, enrolled by engagement.lo_answered);
5. no open in 30 days -> slow the cadence (remaining delays stretched) instead of firing on
   schedule (``common.slow_down``: the yearly programs' opening rest slows by it too).
Rules 2 and 5 are about the absence of events, so the scheduler asks them just before a
touch goes (:func:`adapt_touch`, :func:`adapt_enrollment`); rules 1 and 3 fire on the event.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..domain import consent
from .common import behavior, human, silent_since, slow_down
from .decisions import CreateTask, Enroll, TriggerInput, trigger


@trigger("email_opened")
def rate_quote_reopened(inp: TriggerInput) -> list:
    data = inp.event.get("data") or {}
    r = behavior(inp.settings)
    if data.get("machine") or f"{data.get('sequence')}.{data.get('step')}" not in r["rate_quote_steps"]:
        return []
    since = inp.now - timedelta(hours=r["hot_window_hours"])
    opens = [a for a in human(inp.lead.get("activity", []), ("email_opened",), since)
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
    r = behavior(inp.settings)
    url = data.get("url") or ""
    calculator = (inp.settings.get("links") or {}).get("refi_calculator")
    if data.get("machine") or not (url == calculator or r["refi_calculator_marker"] in url):
        return []
    return [Enroll("refinance_scenarios", reason="clicked refinance calculator", hot=True)]


def switch_reason(lead: dict, now: datetime, settings: dict) -> str | None:
    """Why an e-mail to this lead would go better as a text, or None. An unsubscribe or a
    complaint is the borrower's choice about e-mail, not a bounce: it switches nothing."""
    if not lead.get("email"):
        return "no e-mail address"
    if ((lead.get("suppressed") or {}).get("email") or {}).get("reason") == "bounced":
        return "the e-mail address bounced"
    days = behavior(settings)["switch_to_sms_after_days"]
    return f"no human open in {days} days" if silent_since(lead, now, days) else None


def adapt_touch(order: dict, lead: dict, now: datetime, settings: dict) -> dict:
    """Rule 2: an e-mail becomes its own short text (``order["text"]``) when it would not be
    read: no address, a bounce, 14 days unopened; only with SMS consent. In the yearly
    programs only the items written for it switch (a market note, an equity line): an
    article stays an e-mail, and the program slows down instead."""
    if order["channel"] != "email" or not order.get("text") or not lead.get("phone"):
        return order
    if not consent.granted(lead, "sms") or "sms" in (lead.get("suppressed") or {}):
        return order
    reason = switch_reason(lead, now, settings)
    if reason is None:
        return order
    return {**order, "channel": "sms", "template": order["text"], "subject": None, "switched_from": "email",
            "switch_reason": reason}


def adapt_enrollment(enrollment: dict, lead: dict, now: datetime, settings: dict) -> dict:
    """Rule 5: no open in 30 days slows a marketing sequence instead of firing on schedule.
    A yearly program is paced by the borrower's tier instead, both ways (``programs.adapt``)."""
    from ..sequences.catalog import SEQUENCES

    seq = SEQUENCES.get(enrollment.get("sequence"))
    if seq is not None and seq.paced:
        from .programs import adapt

        return adapt(enrollment, lead, now, settings)
    return slow_down(enrollment, lead, now, settings)
