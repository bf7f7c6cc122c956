"""Cadence by engagement for the yearly programs: pure functions of (lead, now, settings).

A borrower is in one of three tiers, read from what the lead already records (``activity``: the
last behaviour events with their ``machine`` flag; ``last_engaged_at``: the last human click,
reply, call or download; ``last_credit_pull_at``; ``first_email_at``):

* ``hot``: a click, reply, call, download or credit-inquiry alert in the last ``hot_days`` (7):
  they are looking now, so the delays shrink (``pace.hot``, 0.75);
* ``engaged``: a person's open (a machine open never counts), a click or a reply in the last
  ``engaged_days`` (30), or e-mail has gone out for less than ``judge_after_days`` (14): too
  early to tell; full cadence (1.0);
* ``quiet``: otherwise: the delays stretch (``pace.quiet``: 1.8 for past clients, 2.5 for leads,
  whose first fortnight was already dense), still 40+ touches a year.

The pace multiplies a program's delays between touches; the 48-hour cap, quiet hours, consent,
state limits and opt-outs are the contact policy's and apply to every touch whatever the pace.
Every figure is a team setting (``programs`` in ``chalicelib/teams/<stage>.json``), per program,
over these defaults.
"""
from __future__ import annotations

from datetime import datetime, timedelta

PROGRAMS = ("past_client_program", "long_term_nurture")
DEFAULTS = {
    "enabled": True,
    "engaged_days": 30,
    "hot_days": 7,
    "judge_after_days": 14,         # two weeks of unopened mail before a borrower counts as quiet
    "positive_days": 60,            # a referral or review ask needs a click, reply or call this recent
    "pace": {"hot": 0.75, "engaged": 1.0, "quiet": 1.8},
    "resume_after_reply_days": 7,   # a reply pauses the program; it carries on after this unless the LO acts
    "join_on_import": True,         # past_client_program: a lead created already funded joins at once
}
PROGRAM_DEFAULTS = {"long_term_nurture": {"pace": {"quiet": 2.5}}}
HUMAN_SIGNALS = ("link_clicked", "email_replied", "sms_replied", "document_downloaded")
ENGAGED_SIGNALS = ("email_opened",) + HUMAN_SIGNALS


def settings_for(program: str, team: dict) -> dict:
    """The program's cadence settings: code defaults, then the team's ``programs.<id>`` block."""
    base = PROGRAM_DEFAULTS.get(program) or {}
    own = ((team or {}).get("programs") or {}).get(program) or {}
    pace = {**DEFAULTS["pace"], **(base.get("pace") or {}), **(own.get("pace") or {})}
    return {**DEFAULTS, **base, **own, "pace": pace}


def enabled(program: str, team: dict) -> bool:
    return bool(settings_for(program, team)["enabled"])


def _at(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _last(lead: dict, types: tuple[str, ...]) -> datetime | None:
    times = [_at(a["at"]) for a in lead.get("activity") or () if a.get("type") in types and not a.get("machine")]
    return max(times, default=None)


def _within(at: datetime | None, now: datetime, days: int) -> bool:
    return at is not None and now - at < timedelta(days=days)


def tier(lead: dict, now: datetime, settings: dict) -> str:
    hot_days, engaged_days = int(settings["hot_days"]), int(settings["engaged_days"])
    if any(_within(t, now, hot_days) for t in (_last(lead, HUMAN_SIGNALS), _at(lead.get("last_engaged_at")),
                                               _at(lead.get("last_credit_pull_at")))):
        return "hot"
    if any(_within(t, now, engaged_days) for t in (_last(lead, ENGAGED_SIGNALS), _at(lead.get("last_engaged_at")))):
        return "engaged"
    first = _at(lead.get("first_email_at"))
    return "engaged" if first is None or _within(first, now, int(settings["judge_after_days"])) else "quiet"


def pace(level: str, settings: dict) -> float:
    return float(settings["pace"][level])


def positive(lead: dict, now: datetime, settings: dict) -> bool:
    """A recent sign the relationship is warm: a click, reply, call or download, not just opens."""
    days = int(settings["positive_days"])
    return _within(_last(lead, HUMAN_SIGNALS), now, days) or _within(_at(lead.get("last_engaged_at")), now, days)


def last_click(lead: dict) -> dict | None:
    """A person's latest click: what they were looking at (for the LO's follow-up call)."""
    clicks = [a for a in lead.get("activity") or () if a.get("type") == "link_clicked" and not a.get("machine")]
    return max(clicks, key=lambda a: a["at"], default=None)


def human_counts(lead: dict, now: datetime, days: int = 90) -> dict:
    """Opens and clicks by a person in the last ``days`` (for the LO's talking points)."""
    since = now - timedelta(days=days)
    out = {"opens": 0, "clicks": 0, "replies": 0}
    for a in lead.get("activity") or ():
        if a.get("machine") or _at(a["at"]) < since:
            continue
        key = {"email_opened": "opens", "link_clicked": "clicks", "email_replied": "replies",
               "sms_replied": "replies"}.get(a.get("type"))
        if key:
            out[key] += 1
    return out
