"""Runs the pure triggers and the sequence engine for one event; collects what to persist."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain import cadence
from ..sequences import engine
from ..sequences.catalog import SEQUENCES
from ..triggers import registry as triggers
from ..triggers.registry import CreateTask, Enroll, Exit, JumpTo, Pause, Repace, Resume, SetLead, Stretch
from .context import Context
from .switches import sequences_off


@dataclass
class TriggerResult:
    lead: dict
    enrollments: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)


def team_view(ctx: Context) -> dict:
    """The team settings the pure rules read. ``market`` is this week's rates, read from the rates
    table only if a rule asks (a program's market update), once per view."""
    from .lo_day import LoDays
    from .rates import MarketBoard

    t = ctx.settings.team
    return {"cap_hours": t.cap_hours, "no_contact_days": t.no_contact_days, "no_contact_action": t.no_contact_action,
            "refi": dict(t.refi), "behavior": dict(t.behavior), "managers": {lo.id: lo.manager_id for lo in t.los},
            "links": dict(t.links), "sequences_off": sequences_off(ctx), "programs": dict(t.programs),
            "market": MarketBoard(ctx), "lo_days": LoDays(ctx)}


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _may_enroll(seq, lead: dict, enrollments: list[dict], now: datetime) -> bool:
    if not seq.enabled:
        return False
    if seq.stages and lead.get("stage") not in seq.stages:
        return False
    for path in seq.requires:
        value = lead
        for part in path.split("."):
            value = (value or {}).get(part) if isinstance(value, dict) else None
        if not value:
            return False
    mine = [e for e in enrollments if e["sequence"] == seq.id and engine.counts_for_reentry(e)]
    if any(engine.is_live(e) for e in mine):
        return False
    if mine:
        if seq.reentry.once:
            return False
        last = max(datetime.fromisoformat(e["entered_at"]) for e in mine)
        if now - last < timedelta(days=seq.reentry.after_days or 0):
            return False
    return True


def _in_spanish(lead: dict, decision: CreateTask) -> dict:
    """Title and body; a borrower who prefers Spanish is called in Spanish (the LO reads it first)."""
    if lead.get("language") != "es":
        return {"title": decision.title, "body": decision.body}
    from ..content.language import LO_NOTE, LO_TITLE

    return {"title": f"{decision.title} {LO_TITLE}", "body": f"{LO_NOTE}\n{decision.body or ''}".strip()}


def make_task(lead: dict, decision: CreateTask, now: datetime, managers: dict, source: str,
              lo_days=None) -> dict | str:
    """A trigger's task, planned on the LO's days with its class, day and expiry when the team
    view has them; a string when a routine call found no room in its window (why it is skipped)."""
    lo_id = lead.get("lo_id")
    if decision.assignee == "manager":
        lo_id = managers.get(lo_id) or lo_id
    task = {
        "task_id": "t-" + _short(f"{lead['lead_id']}:{decision.key or decision.title}:{source}"),
        "lead_id": lead["lead_id"], "lo_id": lo_id, "kind": decision.kind, **_in_spanish(lead, decision),
        "status": "open", "hot": decision.hot, "created_at": now.isoformat(),
        "due_at": (now + timedelta(minutes=decision.due_minutes)).isoformat(), "source": source,
        **({"priority": decision.priority} if decision.priority else {}),
    }
    return lo_days.stamp(task, now) if lo_days is not None else task


def apply_decisions(lead: dict, enrollments: list[dict], decisions: list, event_id: str, now: datetime,
                    team: dict) -> TriggerResult:
    """Pure: decisions in, changed enrollments, tasks and timeline items out."""
    result = TriggerResult(lead=dict(lead))
    current = {e["enrollment_id"]: e for e in enrollments}
    changed: dict[str, dict] = {}

    def live(seq_id: str | None = None):
        return [e for e in current.values() if engine.is_live(e) and (seq_id is None or e["sequence"] == seq_id)]

    def keep(outcome: engine.Outcome):
        current[outcome.enrollment["enrollment_id"]] = outcome.enrollment
        changed[outcome.enrollment["enrollment_id"]] = outcome.enrollment
        result.timeline.extend(outcome.timeline)

    for d in decisions:
        if isinstance(d, Enroll):
            seq = SEQUENCES.get(d.sequence)
            if seq and seq.id not in team.get("sequences_off", ()) and \
                    _may_enroll(seq, result.lead, list(current.values()), now):
                out = engine.enroll(seq, result.lead, now, f"{seq.id}.{_short(event_id + seq.id)}", d.reason,
                                    hot=d.hot, start_step=d.start_step)
                before = [e for e in current.values() if e["sequence"] == seq.id and e.get("rotation")]
                if before:  # a program joined again remembers what it sent (no repeat within a year)
                    out.enrollment["rotation"] = max(before, key=lambda e: e["entered_at"])["rotation"]
                keep(out)
        elif isinstance(d, Exit):
            for e in live(d.sequence):
                if d.only_priority_below is None or e["priority"] < d.only_priority_below:
                    keep(engine.exit_(e, now, d.reason))
        elif isinstance(d, Pause):
            for e in live():
                seq = SEQUENCES[e["sequence"]]
                if seq.paced and seq.pause_on_reply:  # a program carries on after a while (a new reply: later)
                    days = cadence.settings_for(seq.id, team)["resume_after_reply_days"]
                    keep(engine.pause(e, now, d.reason, timedelta(days=days)))
                elif e["status"] == "active" and seq.pause_on_reply:
                    keep(engine.pause(e, now, d.reason))
        elif isinstance(d, Resume):
            for e in live():
                if e["status"] == "paused":
                    keep(engine.resume(e, SEQUENCES[e["sequence"]], result.lead, now, d.reason))
        elif isinstance(d, JumpTo):
            for e in live(d.sequence):
                keep(engine.jump(e, SEQUENCES[d.sequence], d.step, result.lead, now, d.reason))
        elif isinstance(d, Repace):
            for e in live(d.sequence):
                out = engine.repace(e, SEQUENCES[d.sequence], result.lead, now, d.pace, d.tier)
                if out:
                    keep(out)
        elif isinstance(d, Stretch):
            for e in live():
                if e["status"] == "active" and e["priority"] < 40:
                    keep(engine.stretch(e, d.factor, now, d.reason))
        elif isinstance(d, CreateTask):
            if d.key and d.key in result.lead.get("task_keys", []):
                continue  # this rule already put its task in front of the LO
            if d.key:
                result.lead["task_keys"] = (list(result.lead.get("task_keys", [])) + [d.key])[-100:]
            task = make_task(result.lead, d, now, team.get("managers", {}), event_id, team.get("lo_days"))
            if isinstance(task, str):  # the LO's days are full: skipped, and the timeline says why
                result.timeline.append({"at": now.isoformat(), "kind": "task", "title": d.title, "status": "skipped",
                                        "reason": task})
                continue
            if task["task_id"] not in {t["task_id"] for t in result.tasks}:
                result.tasks.append(task)
                result.timeline.append({"at": now.isoformat(), "kind": "task", "task_id": task["task_id"],
                                        "title": task["title"], "status": "open"})
        elif isinstance(d, SetLead):
            result.lead.update(d.fields)
    result.enrollments = list(changed.values())
    return result


def run_triggers(ctx: Context, lead: dict, before: dict, event: dict, now: datetime,
                 enrollments: list[dict]) -> TriggerResult:
    team = team_view(ctx)
    inp = triggers.TriggerInput(lead=lead, before=before, event=event, now=now, settings=team,
                                enrollments=tuple(enrollments), recent=tuple(lead.get("activity", [])))
    decisions = triggers.evaluate(inp)
    # Waits listening for this event take their "yes" branch before other decisions apply.
    waited = []
    for e in enrollments:
        out = engine.on_event(e, SEQUENCES[e["sequence"]], event, lead, now) if e["sequence"] in SEQUENCES else None
        waited.append(out.enrollment if out else e)
    result = apply_decisions(lead, waited, decisions, event["event_id"], now, team)
    moved = {o["enrollment_id"] for o, e in zip(waited, enrollments) if o is not e}
    ids = {e["enrollment_id"] for e in result.enrollments}
    result.enrollments += [e for e in waited if e["enrollment_id"] in moved and e["enrollment_id"] not in ids]
    return result
