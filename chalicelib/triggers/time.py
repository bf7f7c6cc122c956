"""Time triggers: what the nightly sweeps find (services/sweeps.py) becomes enrollments and tasks.

The sweeps run at 07:00 UTC (night in the US) and emit one event per matching lead:

* ``sweep_funding_anniversary`` -> ``annual_review`` (its first email waits for 10:00 lead-local);
* ``sweep_birthday`` -> ``birthday`` (09:00 lead-local);
* ``sweep_no_contact`` (``no_contact_days`` without contact, open stages only) -> a check-in, per
  the team's ``no_contact_action``: ``task`` (an LO check-in call), ``touch`` (an enrollment in the
  ``no_contact_check_in`` sequence when the catalog has it; the LO task otherwise, so a check-in is
  never lost) or ``both``. The check-in counts as contact on the no-contact clock, so a lead that
  stays silent is checked on again ``no_contact_days`` later, not every night;
* ``sweep_application_stalled`` (submitted ``STALLED_AFTER_DAYS`` ago, still submitted, and no
  reply, call or LO answer since) -> an LO task to unstick the file and a borrower nudge (an
  enrollment in ``application_stalled`` when the catalog has it); ``stalled_nudged_at`` is
  remembered so it happens once per submission.

LO tasks from a sweep fall due at 12:00 lead-local on the next business day (created at 10:00
local, two hours to act), not at the sweep's UTC hour. Every rule re-checks the lead as it is now
(the sweep saw it a moment earlier), so a reply that arrived in between cancels the check-in.
Sweep events carry the sweep's day in ``data["day"]``.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..domain.quiet_hours import next_local_time
from ..domain.sweeps import OPEN_STAGES, STALLED_AFTER_DAYS, month_day
from ..sequences.catalog import SEQUENCES
from ..domain.timezones import lead_zone
from .common import anniversary_due, date_of, event_day
from .decisions import CreateTask, Enroll, SetLead, TriggerInput, trigger

CHECK_IN_SEQUENCE = "no_contact_check_in"      # not in the catalog yet: the LO task stands in
STALLED_SEQUENCE = "application_stalled"       # not in the catalog yet: the LO task stands in
TASK_LOCAL_HOUR = 10                           # tasks appear for the LO's morning, lead-local
TASK_WINDOW_MINUTES = 120


def _name(lead: dict) -> str:
    return " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p) or "this lead"


def task_due_minutes(lead: dict, now: datetime) -> int:
    """Minutes from now until the task's due time: two hours after 10:00 lead-local on the
    next business day (the LO's morning, not 2 a.m.)."""
    start = next_local_time(now, lead_zone(lead), TASK_LOCAL_HOUR, 0, business_day=True)
    return -int(-(start - now).total_seconds() // 60) + TASK_WINDOW_MINUTES  # whole minutes, rounded up


# -- predicates shared with the sweep (it filters with them before emitting; ``anniversary_due``,
# which the programs' rule asks too, is in .common) ----------------------------------------------

def birthday_due(lead: dict, day: date) -> bool:
    born = date_of(lead.get("birthday"))
    return born is not None and born < day and month_day(born.isoformat()) == month_day(day.isoformat())


def no_contact_due(lead: dict, day: date, no_contact_days: int) -> bool:
    if lead.get("stage") not in OPEN_STAGES:
        return False
    last = date_of(lead.get("last_contact_at")) or date_of(lead.get("created_at"))
    return last is not None and last + timedelta(days=no_contact_days) <= day


def stalled_due(lead: dict, day: date) -> bool:
    """Submitted at least STALLED_AFTER_DAYS ago, not nudged since, and nobody followed up:
    no reply or call from the borrower and no LO answer after the submission."""
    if lead.get("stage") != "application_submitted":
        return False
    submitted = lead.get("stage_changed_at")
    submitted_day = date_of(submitted)
    if submitted_day is None or submitted_day + timedelta(days=STALLED_AFTER_DAYS) > day:
        return False
    nudged = lead.get("stalled_nudged_at")
    if nudged and nudged >= submitted:
        return False
    return not any((lead.get(k) or "") > submitted for k in ("last_inbound_at", "last_lo_reply_at"))


# -- rules -------------------------------------------------------------------------------------

@trigger("sweep_funding_anniversary")
def funding_anniversary(inp: TriggerInput) -> list:
    day = event_day(inp)
    if not anniversary_due(inp.lead, day):
        return []
    return [Enroll("annual_review", reason="time:funding_anniversary")]


@trigger("sweep_birthday")
def birthday(inp: TriggerInput) -> list:
    if not birthday_due(inp.lead, event_day(inp)):
        return []
    return [Enroll("birthday", reason="time:birthday")]


@trigger("sweep_no_contact")
def no_contact(inp: TriggerInput) -> list:
    lead, day = inp.lead, event_day(inp)
    days = int(inp.settings.get("no_contact_days", 30))
    if not no_contact_due(lead, day, days):
        return []
    action = inp.settings.get("no_contact_action", "task")
    now = inp.now.isoformat()
    decisions: list = [SetLead({"last_contact_at": now, "no_contact_check_in_at": now})]
    enrolled = action in ("touch", "both") and CHECK_IN_SEQUENCE in SEQUENCES
    if enrolled:
        decisions.append(Enroll(CHECK_IN_SEQUENCE, reason="time:no_contact"))
    if action not in ("touch",) or not enrolled:
        last = date_of(lead.get("last_contact_at")) or date_of(lead.get("created_at"))
        stage = (lead.get("stage") or "").replace("_", " ")
        decisions.append(CreateTask(
            kind="check_in", title=f"Check in with {_name(lead)}: no contact in {days} days",
            body=(f"{lead.get('first_name') or 'This lead'} ({stage}) has had no contact since "
                  f"{last.isoformat() if last else 'they came in'}. A short personal call or note keeps the "
                  "relationship warm: ask where things stand and what would help. Update the stage or close "
                  "the lead out if their plans changed."),
            due_minutes=task_due_minutes(lead, inp.now), key=f"no_contact:{day.isoformat()}"))
    return decisions


@trigger("sweep_application_stalled")
def application_stalled(inp: TriggerInput) -> list:
    lead, day = inp.lead, event_day(inp)
    if not stalled_due(lead, day):
        return []
    submitted = date_of(lead.get("stage_changed_at"))
    waited = (day - submitted).days
    decisions: list = [
        SetLead({"stalled_nudged_at": inp.now.isoformat()}),
        CreateTask(
            kind="call", title=f"Stalled application: {_name(lead)} submitted {waited} days ago",
            body=(f"{lead.get('first_name') or 'The borrower'} submitted the application on {submitted.isoformat()} "
                  "and nothing has moved since: no reply, no call, no next stage. Check the file for open items "
                  "(documents, disclosures, appraisal), then call to tell them exactly what is outstanding and "
                  "what happens next."),
            due_minutes=task_due_minutes(lead, inp.now), key=f"stalled:{submitted.isoformat()}"),
    ]
    if STALLED_SEQUENCE in SEQUENCES:
        decisions.append(Enroll(STALLED_SEQUENCE, reason="time:application_stalled"))
    return decisions
