"""The enrollment state machine: pure functions of (enrollment, sequence, lead, now).

An enrollment is a plain dict (the store keeps it as is):
  status      active | paused | held | completed | exited | discarded
  step        the name of the step to run next, due at ``due_at``
  wait        while a wait_for step listens: {"event", "of", "until"}
  step_times  when each step ran (delays ``since=`` a step read it)
  touch_steps touch id -> step name (so an open of touch X resolves a wait on step X)
Yearly programs (``Sequence.paced``) add:
  pace        multiplies marketing delays (domain.cadence: hot 0.75, engaged 1, quiet 1.8)
  tier, positive, market   what the scheduler's adaptation found (sequences.slots reads them);
              ``market`` is worked out again before every advance, so it is not stored (TRANSIENT)
  rotation    the library items sent, the last send of each: [[item_id, "YYYY-MM-DD", data_key], ...]
              (stored beside the enrollment, not in it: store/models.py RotationModel)
  resume_at   a paused program carries on by itself then (a reply pauses it; the LO answers)
A library slot (``Touch.shelves``) picks its item when it runs; with nothing fit to send it
passes without a touch, and the next step's delay counts from then.
The scheduler calls :func:`advance` when ``due_at`` has passed; the events consumer calls
:func:`on_event`, :func:`pause`, :func:`resume`, :func:`exit_`, :func:`jump` and :func:`repace`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from ..domain.decision import Decision
from ..domain.quiet_hours import next_local_time
from ..domain.timezones import lead_zone
from .dsl import End, Goto, REPLIED, Rest, Sequence, Touch, WaitFor
from .rotation import remember
from .slots import Picked, pick

MAX_STEPS_PER_ADVANCE = 50
TRANSIENT = ("market",)  # recomputed from this week's rates before each advance: the store drops them
KEEP_TOUCH_STEPS = 200  # a program never ends: only recent touches need resolving to their step


@dataclass
class Outcome:
    enrollment: dict
    sends: list[dict] = field(default_factory=list)       # touch orders to deliver now
    decisions: list[dict] = field(default_factory=list)   # touch records deferred / suppressed
    timeline: list[dict] = field(default_factory=list)    # enrollment actions


def _iso(t: datetime) -> str:
    return t.isoformat()


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _anchor(enrollment: dict, since: str | None) -> datetime:
    if since and since in enrollment.get("step_times", {}):
        return _dt(enrollment["step_times"][since])
    return _dt(enrollment.get("last_step_at") or enrollment["entered_at"])


def due_time(enrollment: dict, step, lead: dict, now: datetime) -> datetime:
    """When a step should run: its delay from its anchor, at a lead-local hour if asked."""
    if isinstance(step, Rest):  # slowed like the series it waits out (behavioural rule 5), never paced
        stretch = enrollment.get("stretch", 1)
        return max(_anchor(enrollment, step.delay.since) + timedelta(seconds=step.delay.seconds * stretch), now)
    if not isinstance(step, Touch):  # waits, gotos and ends run at once
        return now
    delay = step.delay
    stretch = enrollment.get("stretch", 1) * enrollment.get("pace", 1) if step.kind == "marketing" else 1
    target = _anchor(enrollment, delay.since) + timedelta(seconds=delay.seconds * stretch)
    if delay.at:
        hour, minute = (int(x) for x in delay.at.split(":"))
        zone = ZoneInfo(lead_zone(lead))
        local = target.astimezone(zone)
        start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # the first hh:mm local at or after the start of the target day
        target = next_local_time(start_of_day.astimezone(target.tzinfo) - timedelta(minutes=1),
                                 lead_zone(lead), hour, minute, business_day=delay.business_day)
    return max(target, now)


def touch_order(enrollment: dict, seq: Sequence, step: Touch, lead: dict, now: datetime,
                picked: Picked | None = None) -> dict:
    n = enrollment.get("touch_no", 0) + 1
    library = {"template": picked.item.template, "subject": picked.item.subject, "item": picked.item.id,
               "program": True, **({"data": picked.data} if picked.data else {})} if picked else {}
    text = (picked.item.text if picked else step.text) if step.channel == "email" else None
    return {
        "touch_id": f"{enrollment['enrollment_id']}.{n}",
        "lead_id": enrollment["lead_id"],
        "enrollment_id": enrollment["enrollment_id"],
        "sequence": seq.id,
        "sequence_version": seq.version,
        "step": step.name,
        "channel": picked.item.channel if picked else step.channel,  # a call slot's swap: its message's
        "template": step.template,
        "subject": step.subject,
        "kind": step.kind,
        "immediate": step.immediate,
        "hot": bool(enrollment.get("hot") or seq.hot),
        "priority": seq.priority,
        "to_role": step.to_role,
        "task_due_minutes": step.task_due_minutes,
        "assignee": step.assignee,
        "due_at": enrollment.get("due_at") or _iso(now),
        "at": _iso(now),
        # delivery drops a marketing touch whose borrower moved on meanwhile (policy.overtaken)
        **({"exit_on_stages": list(seq.exit_on_stages)} if step.kind != "transactional" and seq.exit_on_stages else {}),
        **library,
        # the e-mail's own short version, if it has to go as a text (triggers.behavioral.adapt_touch)
        **({"text": text} if text else {}),
    }


def _next_touch_preview(enrollment: dict, seq: Sequence) -> dict | None:
    step = seq.step(enrollment["step"]) if enrollment.get("step") else None
    if isinstance(step, Touch) and not enrollment.get("wait"):
        return {"touch_id": f"{enrollment['enrollment_id']}.{enrollment.get('touch_no', 0) + 1}",
                "step": step.name, "channel": step.channel, "to_role": step.to_role,
                # goes ahead of a marketing burst when sends are paced (domain/pacing.py)
                "urgent": bool(step.immediate or step.kind == "transactional" or enrollment.get("hot") or seq.hot),
                # a text slot with a swap may send an e-mail instead: the lead page says so
                **({"or_email": True} if step.swap and step.channel == "sms" else {})}
    return None


def _goto(enrollment: dict, seq: Sequence, name: str | None, lead: dict, now: datetime) -> None:
    enrollment.pop("wait", None)
    if name is None:
        enrollment.update(step=None, due_at=_iso(now))
        return
    enrollment["step"] = name
    enrollment["due_at"] = _iso(due_time(enrollment, seq.step(name), lead, now))


def _action(enrollment: dict, action: str, now: datetime, reason: str = "") -> dict:
    return {"at": _iso(now), "kind": "enrollment", "enrollment_id": enrollment["enrollment_id"],
            "sequence": enrollment["sequence"], "action": action, "reason": reason or None}


def enroll(seq: Sequence, lead: dict, now: datetime, enrollment_id: str, trigger: str,
           hot: bool = False, start_step: str | None = None) -> Outcome:
    e = {
        "enrollment_id": enrollment_id, "lead_id": lead["lead_id"], "sequence": seq.id,
        "sequence_version": seq.version, "priority": seq.priority, "status": "active",
        "trigger": trigger, "hot": hot, "entered_at": _iso(now), "last_step_at": _iso(now),
        "updated_at": _iso(now), "touch_no": 0, "step_times": {}, "touch_steps": {}, "stretch": 1,
    }
    _goto(e, seq, start_step or seq.steps[0].name, lead, now)
    e["next_touch"] = _next_touch_preview(e, seq)
    return Outcome(e, timeline=[_action(e, "enrolled", now, trigger)])


def _complete(e: dict, now: datetime, out: Outcome) -> None:
    e.update(status="completed", due_at=None, step=None, completed_at=_iso(now))
    e.pop("wait", None)
    out.timeline.append(_action(e, "completed", now))


def _passed(e: dict, seq: Sequence, step, lead: dict, now: datetime) -> None:
    """A rest ended or a slot had nothing to send: on to the next step, timed from now."""
    e["step_times"][step.name] = _iso(now)
    e["last_step_at"] = _iso(now)
    _goto(e, seq, seq.next_name(step.name), lead, now)


def _carry_on(e: dict, now: datetime, out: Outcome) -> None:
    """A paused program whose ``resume_at`` has come: the LO had the reply; it carries on."""
    due = e.pop("paused_due_at", None)
    e.pop("resume_at", None)
    e.update(status="active", due_at=max(due, _iso(now)) if due else _iso(now))
    out.timeline.append(_action(e, "resumed", now, "carried on after the pause for a reply"))


def _planned(e: dict, seq: Sequence, step: Touch, lead: dict, now: datetime, picked: Picked | None,
             order: dict, plan: Callable[[dict], dict | str]) -> tuple[dict, Picked | None, Decision | None]:
    """An LO call task on the LO's days (domain.lo_day): planned on a day with room, or, when
    the LO's days are full, the slot's ``swap`` message instead (an e-mail or a text the rotation
    picks, where consent allows), else skipped with the reason: a routine call never waits forever."""
    placed = plan(order)
    if not isinstance(placed, str):
        return {**order, **placed}, picked, None
    swap = pick(seq.library, step.swap, e, lead, now) if step.swap else None
    if swap is None:
        return order, picked, Decision("suppress", placed)
    return {**touch_order(e, seq, step, lead, now, swap), "instead_of_call": placed}, swap, None


def advance(enrollment: dict, seq: Sequence, lead: dict, now: datetime,
            decide: Callable[[dict], Decision], plan: Callable[[dict], dict | str] | None = None) -> Outcome:
    """Run every step that is due. ``decide`` is the contact policy's seam; ``plan`` the LO's
    days' (a task order's day, or why there is no room)."""
    e = dict(enrollment, step_times=dict(enrollment.get("step_times", {})),
             touch_steps=dict(enrollment.get("touch_steps", {})))
    out = Outcome(e)
    if e["status"] == "paused" and e.get("resume_at") and _dt(e["resume_at"]) <= now:
        _carry_on(e, now, out)
    for _ in range(MAX_STEPS_PER_ADVANCE):
        if e["status"] != "active" or not e.get("due_at") or _dt(e["due_at"]) > now:
            break
        if e.get("step") is None:
            _complete(e, now, out)
            break
        step = seq.step(e["step"])
        if isinstance(step, End):
            _complete(e, now, out)
            break
        if isinstance(step, Goto):
            _goto(e, seq, step.target, lead, now)
            continue
        if isinstance(step, Rest):
            until = due_time(e, step, lead, now)
            if until > now:  # slowed since it began: rest on
                e["due_at"] = _iso(until)
                break
            if seq.paced:  # the series' slowing ends with the rest: from here the program keeps its own pace
                e["stretch"] = 1
            _passed(e, seq, step, lead, now)
            continue
        if isinstance(step, WaitFor):
            if not e.get("wait"):
                until = now + timedelta(seconds=step.within.seconds * e.get("stretch", 1))
                e["wait"] = {"event": step.event, "of": step.of, "until": _iso(until)}
                e["due_at"] = _iso(until)
                continue
            # the wait timed out: take the "no" branch, anchored at the timeout
            e["last_step_at"] = e["wait"]["until"]
            _goto(e, seq, step.if_no, lead, now)
            continue
        if step.unless_texted and step.unless_texted in (e.get("texted") or ()):
            _passed(e, seq, step, lead, now)  # that e-mail already went as a text: one text is enough
            continue
        picked = pick(seq.library, step.shelves, e, lead, now) if step.shelves else None
        instead = None
        if picked is None and step.swap and step.channel == "sms":  # no text can go: the slot's e-mail instead
            picked = pick(seq.library, step.swap, e, lead, now)
            instead = "no text fits (no text consent): an e-mail for a client who reads it" if picked else None
        if step.shelves and picked is None:
            _passed(e, seq, step, lead, now)
            continue
        order = touch_order(e, seq, step, lead, now, picked)
        if instead:
            order["instead_of_text"] = instead
        full = None
        if plan is not None and order["channel"] == "task":
            order, picked, full = _planned(e, seq, step, lead, now, picked, order, plan)
        decision = full or decide(order)
        order = decision.order or order
        if decision.action == "defer":
            e["due_at"] = _iso(decision.until)
            out.decisions.append({**order, "status": "deferred", "reason": decision.reason,
                                  "deferred_until": _iso(decision.until)})
            break
        e["touch_no"] = e.get("touch_no", 0) + 1
        e["touch_steps"][order["touch_id"]] = step.name
        e["step_times"][step.name] = _iso(now)
        _bound(e, seq)
        e["last_step_at"] = _iso(now)
        if picked:
            e["rotation"] = remember(e.get("rotation") or [], picked.item, now.date(), picked.key)
            e["touch_steps"] = dict(list(e["touch_steps"].items())[-KEEP_TOUCH_STEPS:])
        if decision.action == "send":
            out.sends.append({**order, "exempt": decision.exempt})  # the exemption rides to the sent record
            if order.get("switched_from") and any(isinstance(s, Touch) and s.unless_texted == step.name
                                                  for s in seq.steps):
                e["texted"] = [*(e.get("texted") or ()), step.name][-RECENT_TOUCHES:]
        else:
            out.decisions.append({**order, "status": "suppressed", "reason": decision.reason})
        _goto(e, seq, seq.next_name(step.name), lead, now)
    e["updated_at"] = _iso(now)
    e["next_touch"] = _next_touch_preview(e, seq) if e["status"] == "active" else None
    return out


# An enrollment is rewritten at every step: its item must stay under one DynamoDB write unit
# (1 KB) however long it runs (a year-round program sends dozens of touches). Waits listen for
# the touch just sent, so a few recent touch ids are enough; step times matter only where a
# delay counts ``since=`` that step.
RECENT_TOUCHES = 4


def _bound(e: dict, seq: Sequence) -> None:
    if len(e["touch_steps"]) > RECENT_TOUCHES:
        e["touch_steps"] = dict(list(e["touch_steps"].items())[-RECENT_TOUCHES:])
    anchors = seq.anchors()
    e["step_times"] = {k: v for k, v in e["step_times"].items() if k in anchors}


def matches_wait(enrollment: dict, event: dict) -> bool:
    wait = enrollment.get("wait")
    if not wait or enrollment.get("status") != "active":
        return False
    etype, data = event["type"], event.get("data") or {}
    if data.get("machine"):
        return False  # a scanner's open is not a borrower's open
    if wait["event"] == REPLIED:
        return etype in ("email_replied", "sms_replied")
    if wait["event"].startswith("stage:"):
        return etype == "stage_change_requested" and data.get("stage") == wait["event"][6:]
    if etype != wait["event"]:
        return False
    if wait.get("of"):
        return enrollment.get("touch_steps", {}).get(data.get("touch_id")) == wait["of"]
    return True


def on_event(enrollment: dict, seq: Sequence, event: dict, lead: dict, now: datetime) -> Outcome | None:
    """A waited-for event arrived: take the "yes" branch. None when the event is not awaited."""
    if not matches_wait(enrollment, event):
        return None
    e = dict(enrollment)
    step = seq.step(e["step"])
    e["last_step_at"] = _iso(now)
    _goto(e, seq, step.if_yes, lead, now)
    e["updated_at"] = _iso(now)
    e["next_touch"] = _next_touch_preview(e, seq)
    return Outcome(e)


def jump(enrollment: dict, seq: Sequence, step: str, lead: dict, now: datetime, reason: str) -> Outcome:
    e = dict(enrollment, status="active", last_step_at=_iso(now))
    e.pop("resume_at", None)
    _goto(e, seq, step, lead, now)
    e["updated_at"] = _iso(now)
    e["next_touch"] = _next_touch_preview(e, seq)
    return Outcome(e, timeline=[_action(e, "resumed", now, reason)] if enrollment.get("status") != "active" else [])


def pause(enrollment: dict, now: datetime, reason: str, resume_after: timedelta | None = None) -> Outcome:
    """Hold the enrollment until the LO resumes it; with ``resume_after``, it carries on by
    itself then (the scheduler wakes it at ``resume_at``)."""
    held = enrollment.get("paused_due_at") if enrollment.get("status") == "paused" else enrollment.get("due_at")
    e = dict(enrollment, status="paused", paused_at=_iso(now), paused_due_at=held,
             due_at=None, updated_at=_iso(now), next_touch=None)
    if resume_after is not None:
        e.update(resume_at=_iso(now + resume_after), due_at=_iso(now + resume_after))
    return Outcome(e, timeline=[_action(e, "paused", now, reason)])


def resume(enrollment: dict, seq: Sequence, lead: dict, now: datetime, reason: str) -> Outcome:
    e = dict(enrollment, status="active", updated_at=_iso(now))
    e.pop("resume_at", None)
    due = enrollment.get("paused_due_at")
    # a wait keeps its own deadline; a touch that fell due while paused goes at once
    e["due_at"] = max(due, _iso(now)) if due else _iso(now)
    e.pop("paused_due_at", None)
    e["next_touch"] = _next_touch_preview(e, seq)
    return Outcome(e, timeline=[_action(e, "resumed", now, reason)])


def exit_(enrollment: dict, now: datetime, reason: str) -> Outcome:
    e = dict(enrollment, status="exited", due_at=None, exit_reason=reason, updated_at=_iso(now),
             next_touch=None)
    e.pop("wait", None)
    return Outcome(e, timeline=[_action(e, "exited", now, reason)])


def stretch(enrollment: dict, factor: float, now: datetime, reason: str) -> Outcome:
    """Slow the cadence: remaining waits and delays are multiplied by ``factor``."""
    e = dict(enrollment, stretch=max(enrollment.get("stretch", 1), factor), updated_at=_iso(now))
    return Outcome(e, timeline=[_action(e, "slowed", now, reason)])


def hold(enrollment: dict, now: datetime, reason: str, batch_id: str, undo: dict | None = None) -> Outcome:
    """A new enrollment waits for a person (the mass-send circuit breaker): out of the due index
    until :func:`release`. ``undo`` is what its trigger remembered on the lead (``{"set", "was"}``),
    put back if the batch is discarded."""
    e = dict(enrollment, status="held", held_at=_iso(now), held_due_at=enrollment.get("due_at"), due_at=None,
             batch_id=batch_id, hold_reason=reason, undo=undo or {}, updated_at=_iso(now), next_touch=None)
    item = {**_action(e, "held", now, reason), "batch_id": batch_id, "trigger": enrollment.get("trigger")}
    return Outcome(e, timeline=[item])


def release(enrollment: dict, seq: Sequence, lead: dict, now: datetime) -> Outcome:
    """A held enrollment starts as if it had been enrolled now (its first step's delay and
    lead-local hour counted from the release); the timeline gets the "enrolled" it was spared."""
    e = dict(enrollment, status="active", last_step_at=_iso(now), released_at=_iso(now), updated_at=_iso(now))
    for key in ("held_due_at", "undo"):
        e.pop(key, None)
    _goto(e, seq, e.get("step") or seq.steps[0].name, lead, now)
    e["next_touch"] = _next_touch_preview(e, seq)
    item = {**_action(e, "enrolled", now, e.get("trigger")), "batch_id": e.get("batch_id")}
    return Outcome(e, timeline=[item])


def discard(enrollment: dict, now: datetime, reason: str) -> Outcome:
    """A held enrollment that will never run; it does not count against the sequence's re-entry."""
    e = dict(enrollment, status="discarded", due_at=None, discarded_at=_iso(now), updated_at=_iso(now),
             next_touch=None)
    e.pop("held_due_at", None)
    return Outcome(e, timeline=[{**_action(e, "discarded", now, reason), "batch_id": e.get("batch_id")}])


def counts_for_reentry(enrollment: dict) -> bool:
    """A discarded enrollment never ran: the sequence takes the lead as if it had not existed."""
    return enrollment.get("status") != "discarded"


def repace(enrollment: dict, seq: Sequence, lead: dict, now: datetime, pace: float, tier: str) -> Outcome | None:
    """A new pace for a paced program (a hot signal): its next touch re-timed from the same
    anchor. None when nothing changes (not active, waiting, or already at this pace)."""
    step = seq.step(enrollment["step"]) if enrollment.get("step") else None
    if enrollment.get("status") != "active" or not isinstance(step, Touch) or enrollment.get("pace", 1) == pace:
        return None
    e = dict(enrollment, pace=pace, tier=tier, updated_at=_iso(now))
    due = due_time(e, step, lead, now)
    if enrollment.get("due_at") and due >= _dt(enrollment["due_at"]):
        return None  # a deferral already holds it later, or the new pace would not bring it sooner
    e["due_at"] = _iso(due)
    return Outcome(e)


def is_live(enrollment: dict) -> bool:
    # held: waiting for a person, but the lead is in the sequence (no second enrollment meanwhile)
    return enrollment.get("status") in ("active", "paused", "held")
