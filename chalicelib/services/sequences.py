"""Describing sequences for people, and previewing them for one lead."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from ..content.merge import build_context, lead_extras
from ..content.render import Blocked, MergeError, render
from ..sequences import engine
from ..sequences.catalog import SEQUENCES
from ..domain import cadence
from ..sequences.dsl import Goto, Rest, Touch, WaitFor
from .context import Context


def _step(s) -> dict:
    if isinstance(s, Touch):
        return {"name": s.name, "type": "touch", "channel": s.channel, "template": s.template, "subject": s.subject,
                "kind": s.kind, "delay": s.delay.describe(), "immediate": s.immediate, "to": s.to_role,
                **({"next": s.next} if s.next else {}), **({"shelves": list(s.shelves)} if s.shelves else {}),
                **({"swap": list(s.swap)} if s.swap else {})}
    if isinstance(s, Rest):
        return {"name": s.name, "type": "rest", "delay": s.delay.describe()}
    if isinstance(s, WaitFor):
        return {"name": s.name, "type": "wait_for", "event": s.event, "of": s.of, "within": s.within.describe(),
                "if_yes": s.if_yes, "if_no": s.if_no}
    if isinstance(s, Goto):
        return {"name": s.name, "type": "goto", "target": s.target}
    return {"name": s.name, "type": "end"}


def _item(i) -> dict:
    return {"id": i.id, "channel": i.channel, "template": i.template, "title": i.title, "subject": i.subject,
            **({"months": list(i.months)} if i.months else {}), **({"requires": list(i.requires)} if i.requires else {}),
            **({"avoid": list(i.avoid)} if i.avoid else {}),
            **({"data": i.data} if i.data else {}), "repeat_days": i.repeat_days}


def describe(seq, team: dict | None = None, off: frozenset = frozenset()) -> dict:
    out = {"id": seq.id, "name": seq.name, "version": seq.version, "description": seq.description,
           "trigger": list(seq.triggers), "enabled": seq.enabled and seq.id not in off, "priority": seq.priority,
           "reentry": seq.reentry.describe(), "stages": list(seq.stages), "exit_on_stages": list(seq.exit_on_stages),
           "exit_on": list(seq.exit_on), "requires": list(seq.requires), "stage_steps": dict(seq.stage_steps),
           "steps": [_step(s) for s in seq.steps]}
    if seq.paced:  # a yearly program: the team's switch and cadence, and its content library
        settings = cadence.settings_for(seq.id, team or {})
        out.update(program=True, enabled=seq.enabled and bool(settings["enabled"]) and seq.id not in off,
                   cadence={k: settings[k] for k in ("pace", "engaged_days", "hot_days", "positive_days",
                                                     "resume_after_reply_days")},
                   library={shelf: [_item(i) for i in items] for shelf, items in seq.library.items()})
    return out


def _off() -> frozenset:
    from .context import context
    from .switches import sequences_off

    return sequences_off(context())  # switched off in the console


def describe_all(team: dict | None = None) -> list[dict]:
    off = _off()
    return [describe(s, team, off) for s in SEQUENCES.values()]


def describe_one(sequence_id: str, team: dict | None = None) -> dict | None:
    seq = SEQUENCES.get(sequence_id)
    return describe(seq, team, _off()) if seq else None


PROGRAM_PREVIEW_DAYS = 91


def preview(ctx: Context, sequence_id: str, lead_id: str, now: datetime, branch: str = "yes") -> dict | None:
    """Walk the sequence on a simulated clock for this lead (nothing is sent or stored): every
    touch rendered, with its planned time after the contact policy (cap, quiet hours, consent).
    ``branch`` picks the side of every wait ("yes"/"no"). A yearly program is shown from its
    first content step for its first PROGRAM_PREVIEW_DAYS, paced as the lead engages today."""
    seq = SEQUENCES.get(sequence_id)
    lead = ctx.leads.get(lead_id)
    if seq is None or lead is None:
        return None
    from ..domain import policy
    from ..triggers.behavioral import adapt_enrollment
    from ..triggers.programs import first_content_step
    from .engine_runner import team_view

    team = ctx.settings.team
    view = team_view(ctx) if seq.paced else None
    horizon = now + timedelta(days=PROGRAM_PREVIEW_DAYS)
    out = engine.enroll(seq, lead, now, f"{seq.id}.preview", "preview",
                        start_step=first_content_step(seq) if seq.paced else None)
    e = out.enrollment
    items = []
    # the contact policy as the scheduler applies it: planned times include cap and quiet-hour moves
    state = policy.ContactState.of(lead)

    def decide(order: dict) -> engine.Decision:
        return policy.decide(order, lead, datetime.fromisoformat(order["at"]), team.cap_hours, state,
                             policy.SCHEDULING_MARGIN)

    for _ in range(100):
        if e["status"] != "active" or not e.get("due_at"):
            break
        at = datetime.fromisoformat(e["due_at"])
        step = seq.step(e["step"]) if e.get("step") else None
        if isinstance(step, WaitFor) and e.get("wait") and branch == "yes" and not step.event.startswith("stage:"):
            # the borrower does what the wait listens for an hour into the wait
            until = datetime.fromisoformat(e["wait"]["until"])
            when = min(until - timedelta(seconds=1), until - timedelta(seconds=step.within.seconds) + timedelta(hours=1))
            touch_id = next((t for t, name in e["touch_steps"].items() if name == step.of), None)
            event_type = "email_replied" if step.event == "replied" else step.event
            moved = engine.on_event(e, seq, {"type": event_type, "data": {"touch_id": touch_id}}, lead, when)
            if moved:
                e = moved.enrollment
                continue
        if seq.paced:
            if at > horizon:
                break
            e = adapt_enrollment(e, lead, max(at, now), view)
        adv = engine.advance(e, seq, lead, max(at, now), decide)
        for d in adv.decisions:
            if d["status"] == "suppressed":
                items.append({"step": d["step"], "channel": d["channel"], "planned_at": d["at"], "to": d["to_role"],
                              "kind": d["kind"], "status": "suppressed", "reason": d["reason"]})
        for order in adv.sends:
            try:
                r = render(order, build_context(lead, team, team.links, datetime.fromisoformat(order["at"]),
                                                lead_extras(lead)))
                rendered = {k: v for k, v in asdict(r).items() if v is not None and k != "channel"}
                problem = None
            except (MergeError, Blocked) as exc:
                rendered, problem = {}, str(exc)
            items.append({"step": order["step"], "channel": order["channel"], "planned_at": order["at"],
                          "to": order["to_role"], "kind": order["kind"], "status": "planned", **rendered,
                          **({"problem": problem} if problem else {})})
        if adv.enrollment == e:
            break
        e = adv.enrollment
    return {"sequence": seq.id, "lead_id": lead_id, "branch": branch, "touches": items}
