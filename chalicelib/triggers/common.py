"""Helpers the rule modules share. Pure.

A rule module takes what it needs from another family here, never from that family's module:
the registry is the only module that knows every rule module.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..domain.sweeps import month_day
from .decisions import TriggerInput

# -- funding -----------------------------------------------------------------------------------

# A lead imported as funded long ago is a past client, not a new closing to celebrate.
RECENT_FUNDING_DAYS = 30


def funded_long_ago(lead: dict, today: date) -> bool:
    """The loan funded more than ``RECENT_FUNDING_DAYS`` ago (no funding date: a closing now)."""
    funded_on = (lead.get("loan") or {}).get("funded_on")
    if not funded_on:
        return False
    return date.fromisoformat(funded_on) < today - timedelta(days=RECENT_FUNDING_DAYS)


# -- the sweeps' day and their anniversary test ----------------------------------------------

def event_day(inp: TriggerInput) -> date:
    """The day a sweep event is about (``data["day"]``), else the day the rules run."""
    raw = (inp.event.get("data") or {}).get("day")
    try:
        return date.fromisoformat(raw) if raw else inp.now.date()
    except (TypeError, ValueError):
        return inp.now.date()


def date_of(iso: str | None) -> date | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def anniversary_due(lead: dict, day: date) -> bool:
    """A funded loan's funding anniversary (a later year, same month and day)."""
    funded_on = date_of((lead.get("loan") or {}).get("funded_on"))
    return (lead.get("stage") == "funded" and funded_on is not None and funded_on.year < day.year
            and month_day(funded_on.isoformat()) == month_day(day.isoformat()))


# -- behaviour: the team's thresholds and the silence that slows a cadence (rule 5) ------------

BEHAVIOR_DEFAULTS = {
    "rate_quote_steps": ["lead_nurture.how_rates_are_set", "refinance_opportunity.savings_email",
                         "annual_review.annual_review_email"],
    "hot_opens": 3, "hot_window_hours": 24, "hot_task_due_minutes": 60,
    "switch_to_sms_after_days": 14,
    "refi_calculator_marker": "refinance-calculator", "refi_scenarios_delay_minutes": 60,
    "slow_after_days": 30, "slow_factor": 2.0,
}


def behavior(settings: dict) -> dict:
    """The team's behaviour thresholds (``behavior`` in the team file) over the defaults."""
    return {**BEHAVIOR_DEFAULTS, **(settings.get("behavior") or {})}


def human(activity, types, since: datetime | None = None):
    """The activity of a person (not a scanner or a prefetch) of these types, since a moment."""
    return [a for a in activity if a["type"] in types and not a.get("machine")
            and (since is None or datetime.fromisoformat(a["at"]) >= since)]


def _last_human_open(lead: dict) -> datetime | None:
    opens = human(lead.get("activity", []), ("email_opened", "link_clicked", "email_replied"))
    return max((datetime.fromisoformat(a["at"]) for a in opens), default=None)


def silent_since(lead: dict, now: datetime, days: int) -> bool:
    """True when e-mail has been going out for ``days`` without a human open or click."""
    first_email = lead.get("first_email_at")
    if not first_email or now - datetime.fromisoformat(first_email) < timedelta(days=days):
        return False
    last = _last_human_open(lead)
    return last is None or now - last >= timedelta(days=days)


def slow_down(enrollment: dict, lead: dict, now: datetime, settings: dict) -> dict:
    """Behavioural rule 5: stretch the remaining delays once nothing has been opened for 30 days.
    A marketing sequence slows by it (``behavioral.adapt_enrollment``), and so does a yearly
    program's opening rest (``programs.adapt``)."""
    r = behavior(settings)
    if enrollment.get("priority", 0) >= 40 or enrollment.get("stretch", 1) >= r["slow_factor"]:
        return enrollment
    if not silent_since(lead, now, r["slow_after_days"]):
        return enrollment
    return {**enrollment, "stretch": r["slow_factor"], "slowed_at": now.isoformat()}
