"""Touches per borrower-year, per cohort: what the year-round programs are measured by. Pure.

    touches_per_lead_year(touches, people, start, end)
      -> {"past_client_engaged": {"leads", "mean", "p10", "p90", "distinct_templates_mean", "email_mean"}, ...}

``touches`` are the touch records as the simulator reads them from the touches table (``TouchModel``
doc plus ``status`` and ``history``); a touch counts when one of its history entries says
``sent`` and it went to the borrower or to their LO: an e-mail, a text, a call or an LO task
(a Realtor's update is not a touch for the borrower). ``people`` are the simulated borrowers
(``sim.people.Person``, or dicts with the same names): ``lead_id``, ``arrives_day``, ``plan``
(the stages they reach, in days after arrival), ``engaged`` and ``body["stage"]``.

Cohorts:
  past_client_engaged / past_client_disengaged   past clients on file from the first day
  lead_engaged / lead_disengaged                 inquiries that do not apply within the simulation
Engaged people open, click and reply at realistic rates; disengaged ones never open (the
``engaged`` trait). A borrower who applies or funds during the year is in no cohort: the
pipeline's touches are another story.

Each borrower's count is normalised to a year of their own time in the simulation (from arrival
to ``end``), so an inquiry that arrived in October counts as much as one from January. A stay
shorter than ``min_days`` (30) is left out: two weeks of the first fortnight's plan say nothing
about a year. ``mean`` is over the cohort's borrowers; ``p10``/``p90`` are the 10th and 90th
percentiles (inclusive method); ``distinct_templates_mean`` is the mean number of different
templates each borrower received (not normalised); ``email_mean`` the e-mails a borrower-year
(the part of ``mean`` that went as e-mail, normalised the same way).
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

COHORTS = ("past_client_engaged", "past_client_disengaged", "lead_engaged", "lead_disengaged")
COUNTED = ("email", "sms", "voice", "task")
MIN_DAYS = 30


def _get(person, name: str, default=None):
    return person.get(name, default) if isinstance(person, dict) else getattr(person, name, default)


def _sent(touch: dict) -> bool:
    return any(h.get("status") == "sent" for h in touch.get("history") or ())


def cohort_of(person, days: int) -> str | None:
    """The person's cohort in a simulation of ``days`` days, or None."""
    body = _get(person, "body") or {}
    trait = "engaged" if _get(person, "engaged", True) else "disengaged"
    if body.get("stage") == "funded":
        return f"past_client_{trait}"
    arrives = int(_get(person, "arrives_day", 0) or 0)
    if any(arrives + int(day) < days for day, _ in _get(person, "plan") or ()):
        return None  # applied within the year
    return f"lead_{trait}"


def _percentile(sorted_values: list[float], q: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    cuts = statistics.quantiles(sorted_values, n=100, method="inclusive")
    return cuts[int(q * 100) - 1]


def touches_per_lead_year(touches: list[dict], people: list, start: datetime, end: datetime,
                          min_days: int = MIN_DAYS, done_tasks: set | None = None) -> dict:
    """``done_tasks``: the ids of the tasks the LOs did. Given, an LO task counts as a touch only
    when its LO worked it (a call that expired or was never made reached nobody)."""
    days = (end - start).days
    mine: dict[str, list[dict]] = defaultdict(list)
    for t in touches:
        if t.get("channel") == "task" and done_tasks is not None and f"t-{t['touch_id']}" not in done_tasks:
            continue
        if t.get("channel") in COUNTED and t.get("to_role", "borrower") != "realtor" and _sent(t):
            mine[t.get("lead_id")].append(t)
    rates: dict[str, list[float]] = {c: [] for c in COHORTS}
    emails: dict[str, list[float]] = {c: [] for c in COHORTS}
    distinct: dict[str, list[int]] = {c: [] for c in COHORTS}
    for person in people:
        cohort, lead_id = cohort_of(person, days), _get(person, "lead_id")
        if cohort is None or lead_id is None:
            continue
        joined = start + timedelta(days=int(_get(person, "arrives_day", 0) or 0))
        stay = (end - joined).total_seconds() / 86400
        if stay < min_days:
            continue
        sent = mine.get(lead_id, [])
        rates[cohort].append(len(sent) * 365 / stay)
        emails[cohort].append(sum(1 for t in sent if t.get("channel") == "email") * 365 / stay)
        distinct[cohort].append(len({t.get("template") for t in sent}))
    out = {}
    for cohort in COHORTS:
        values = sorted(rates[cohort])
        if not values:
            out[cohort] = {"leads": 0, "mean": None, "p10": None, "p90": None, "distinct_templates_mean": None,
                           "email_mean": None}
            continue
        out[cohort] = {"leads": len(values), "mean": round(statistics.fmean(values), 1),
                       "p10": round(_percentile(values, 0.10), 1), "p90": round(_percentile(values, 0.90), 1),
                       "distinct_templates_mean": round(statistics.fmean(distinct[cohort]), 1),
                       "email_mean": round(statistics.fmean(emails[cohort]), 1)}
    return out


def text_figures(messages: list[str], borrowers: int, days: int, usd_per_segment: float) -> dict:
    """What the year's texts cost: ``sms_segments_per_text`` (the mean segments a carrier billed
    per text, and the share billed more than one) and ``sms_cost_per_borrower_year_usd`` (every
    segment at ``usd_per_segment``, over the borrowers on file, normalised to a year)."""
    from chalicelib.content.sms import segments

    parts = [segments(m) for m in messages]
    billed = sum(parts)
    return {
        "sms_segments_per_text": {"mean": round(billed / len(parts), 3) if parts else None,
                                  "share_over_one": round(sum(p > 1 for p in parts) / len(parts), 3) if parts else None,
                                  "texts": len(parts), "segments": billed},
        "sms_cost_per_borrower_year_usd": round(billed * usd_per_segment / max(1, borrowers) * 365 / max(1, days), 4),
    }
