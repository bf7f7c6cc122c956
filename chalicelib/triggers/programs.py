"""The yearly programs: who joins, when, and how fast they go. Pure.

Entry (each program on or off per team: ``programs.<id>.enabled``):

* ``past_client_program``: a loan that funds joins at funding and rests while the 90-day
  post-funded welcome runs, so its first touch follows the welcome's last (one enrollment from
  the funding event: no second event to lose, nothing for the scheduler to hand over). A lead
  created already funded (an import of past clients) joins at once when the team's
  ``join_on_import`` holds (the default); the ``join_program`` event joins any past client at
  once (``{"type": "join_program", "data": {"program": "past_client_program"}}``: what an import
  sends for "join the yearly program"); past clients stored before the program existed join on
  their next funding anniversary (the nightly anniversary sweep), unless they were in it before
  and left (an opt-out or the LO's handoff is not undone by a sweep).
* ``long_term_nurture``: a new inquiry joins with the 14-day lead nurture and rests until it
  ends; a lead back at ``new_lead`` after that (re-opened) starts at once; ``join_program`` too.

Exit as every sequence: the stages each program lists, lost, opt-out, handoff. A reply pauses the
program like any sequence; it carries on by itself ``resume_after_reply_days`` later (7) unless
the LO resumes it sooner or hands off.

Pace: the scheduler asks :func:`adapt` before a program's step runs: the borrower's tier and pace
(``domain.cadence``), whether a referral ask is welcome, and this week's market figures when the
step may send a market update. The opening rest is slowed by the same rule, at the same moment, as
the series it waits out (behavioural rule 5: nothing opened in 30 days), so the program still
begins as that series ends. A hot signal (a person's click, a call, a download, a credit
alert) re-times the next touch at the hot pace at once (:class:`Repace`).
"""
from __future__ import annotations

from datetime import datetime

from ..domain import cadence, reputation
from ..domain.market import market_fields
from ..sequences.catalog import SEQUENCES
from ..sequences.dsl import Rest, Sequence, Touch
from .common import anniversary_due, event_day, funded_long_ago, slow_down
from .decisions import Enroll, Repace, TriggerInput, trigger

PAST, LEADS = "past_client_program", "long_term_nurture"
RUNS_FIRST = {PAST: "post_funded_welcome", LEADS: "lead_nurture"}
HOT_EVENTS = ("link_clicked", "document_downloaded", "call_completed", "credit_pull")
DEFAULT_PRODUCT = "conv30"


def first_content_step(seq: Sequence) -> str:
    """Where a program starts when nothing runs before it: the step after its opening rest."""
    return seq.next_name(seq.steps[0].name) if isinstance(seq.steps[0], Rest) else seq.steps[0].name


def _ever_in(inp: TriggerInput, seq_id: str) -> bool:
    return any(e.get("sequence") == seq_id for e in inp.enrollments)


def _join(inp: TriggerInput, program: str, reason: str, after_series: bool = False) -> list:
    seq = SEQUENCES.get(program)
    if seq is None or not cadence.enabled(program, inp.settings):
        return []
    return [Enroll(program, reason=reason, start_step=None if after_series else first_content_step(seq))]


def _series_will_run(inp: TriggerInput, program: str) -> bool:
    """Will the series before the program (welcome, 14-day nurture) enroll on this event?"""
    first = SEQUENCES.get(RUNS_FIRST[program])
    if first is None or not first.enabled or (first.reentry.once and _ever_in(inp, first.id)):
        return False
    return all(inp.lead.get(path) for path in first.requires)


@trigger("lead_created", "stage_change_requested")
def enter_at_stage(inp: TriggerInput) -> list:
    new = inp.lead.get("stage")
    created = inp.event["type"] == "lead_created"
    if new == (None if created else inp.before.get("stage")):
        return []
    if new == "funded":
        if created and funded_long_ago(inp.lead, inp.now.date()):
            if not cadence.settings_for(PAST, inp.settings)["join_on_import"]:
                return []
            return _join(inp, PAST, "program:imported_past_client")
        runs = _series_will_run(inp, PAST)
        return _join(inp, PAST, "program:after_welcome" if runs else "stage:funded", after_series=runs)
    if new == "new_lead":
        runs = _series_will_run(inp, LEADS)
        return _join(inp, LEADS, "program:after_lead_nurture" if runs else "stage:new_lead", after_series=runs)
    return []


@trigger("join_program")
def join_program(inp: TriggerInput) -> list:
    program = (inp.event.get("data") or {}).get("program") or (PAST if inp.lead.get("stage") == "funded" else LEADS)
    return _join(inp, program, "program:joined") if program in cadence.PROGRAMS else []


@trigger("sweep_funding_anniversary")
def join_on_anniversary(inp: TriggerInput) -> list:
    """A past client stored before the program existed joins on the funding anniversary."""
    if not anniversary_due(inp.lead, event_day(inp)) or _ever_in(inp, PAST):
        return []
    return _join(inp, PAST, "program:anniversary")


@trigger(*HOT_EVENTS)
def hot_signal_speeds_up(inp: TriggerInput) -> list:
    if (inp.event.get("data") or {}).get("machine"):
        return []
    out = []
    for e in inp.enrollments:
        seq = SEQUENCES.get(e.get("sequence"))
        if seq is None or not seq.paced or e.get("status") != "active":
            continue
        settings = cadence.settings_for(seq.id, inp.settings)
        # a credit alert is remembered on the lead only after the rules run: the event itself is the signal
        if inp.event["type"] == "credit_pull" or cadence.tier(inp.lead, inp.now, settings) == "hot":
            out.append(Repace(seq.id, cadence.pace("hot", settings), "hot"))
    return out


def _opening_rest(seq: Sequence, enrollment: dict) -> bool:
    return bool(enrollment.get("step")) and isinstance(seq.steps[0], Rest) and enrollment["step"] == seq.steps[0].name


def _sends_market(seq: Sequence, enrollment: dict) -> bool:
    step = seq.step(enrollment["step"]) if enrollment.get("step") else None
    return isinstance(step, Touch) and any(i.data == "market" for shelf in step.shelves
                                           for i in seq.library.get(shelf, ()))


def adapt(enrollment: dict, lead: dict, now: datetime, team: dict) -> dict:
    """A program enrollment as it should run now: tier, pace, ``positive``, ``reads_mail``, and the market
    figures when its next step may send a market update. A program the team turned off ends."""
    seq = SEQUENCES[enrollment["sequence"]]
    settings = cadence.settings_for(seq.id, team)
    if not settings["enabled"]:
        return {**enrollment, "status": "exited", "exit_reason": "program turned off for the team", "due_at": None,
                "next_touch": None}
    level = cadence.tier(lead, now, settings)
    e = {**enrollment, "tier": level, "pace": cadence.pace(level, settings),
         "positive": cadence.positive(lead, now, settings), "reads_mail": reputation.reads_mail(lead, now, int(settings["engaged_days"]))}
    if _opening_rest(seq, e):  # the series it waits out slows when nothing is opened: so does the rest
        e = slow_down(e, lead, now, team)
    if _sends_market(seq, e):
        product = (lead.get("loan") or {}).get("product") or DEFAULT_PRODUCT
        board = team.get("market") or {}
        fields = market_fields(lead, board.get(product), now.date(), team)
        if fields:
            e["market"] = fields
        else:
            e.pop("market", None)
    return e
