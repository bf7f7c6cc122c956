"""The LO's day (domain/lo_day.py) on the store: the planner the scheduler places calls with, the
stamp every new task gets, the nightly review that moves, expires and escalates, and Today.

Reads are one LO's open tasks (the sparse open index): what the LO has in hand, which the
planning keeps within capacity times the routine window, so the read stays small however large
the book grows.
"""
from __future__ import annotations

from datetime import datetime

from ..domain import lo_day as rules
from ..domain.timezones import derive_timezone
from ..observability import logger
from .context import Context

OPEN_LIMIT = 5000  # an LO's open tasks: capacity x window (12 x 60) and the calls that cannot wait


def work_zone(team) -> str:
    """The zone the team works in (its first LO's phone): the LO's days are counted there."""
    return derive_timezone(None, team.los[0].phone) or "America/Chicago"


def settings_of(team, lo_id: str | None) -> rules.DaySettings:
    return rules.DaySettings.of(team.lo_day, team.lo(lo_id).daily_call_capacity)


def assignee(team, lead: dict, order: dict) -> str:
    lo = team.lo(lead.get("lo_id"))
    return lo.manager_id if order.get("assignee") == "manager" and lo.manager_id else lo.id


class LoDays:
    """What the pure rules read of the LO's days (in the team view, beside the market): each
    LO's settings, the working zone, and a planner whose counts are read per LO when a routine
    call first needs them (one scheduler run reads an LO's open tasks at most once)."""

    def __init__(self, ctx: Context):
        self.team = ctx.settings.team
        self.zone = work_zone(self.team)
        self.planner = rules.Planner(self.settings, self.zone,
                                     lambda lo_id: ctx.tasks.list(lo_id, "open", limit=OPEN_LIMIT))

    def settings(self, lo_id: str | None) -> rules.DaySettings:
        return settings_of(self.team, lo_id)

    def place(self, order: dict, lead: dict, now: datetime) -> dict | str:
        return self.planner.place(assignee(self.team, lead, order), order, now)

    def stamp(self, task: dict, now: datetime) -> dict | str:
        """A trigger's task planned and stamped, or why a routine call found no room (skipped)."""
        placed = self.planner.place(task["lo_id"], task, now)
        if isinstance(placed, str):
            return placed
        task = {**task, **placed}
        fields = rules.stamp(task, now, self.zone, self.settings(task.get("lo_id")))
        return {**{k: v for k, v in task.items() if not k.startswith("call_")}, **fields}


def stamp(ctx: Context, task: dict, now: datetime) -> dict:
    """A new task with its class, day, due time and expiry (the planner's ``call_*`` fields read)."""
    team = ctx.settings.team
    fields = rules.stamp(task, now, work_zone(team), settings_of(team, task.get("lo_id")))
    return {**{k: v for k, v in task.items() if not k.startswith("call_")}, **fields}


def _closed(ctx: Context, task: dict, reason: str, now: datetime, by: str | None = None) -> bool:
    changed = ctx.tasks.update_open(task["task_id"], {"status": "expired", "closed_at": now.isoformat(),
                                                      "reason": reason, **({"by": by} if by else {})})
    if changed:  # the lead's timeline says the call ended undone, and why
        ctx.timeline.append(task["lead_id"], {"at": now.isoformat(), "kind": "task", "task_id": task["task_id"],
                                              "title": task["title"], "status": "expired", "reason": reason},
                            f"task#{task['task_id']}#expired", once=True)
    return changed is not None


def _escalate(ctx: Context, task: dict, why: str, now: datetime) -> dict | None:
    """An answer or decisive call left undone: a task for the LO's manager, then the call closes
    saying so. The manager's own escalation ends there, still on the timeline."""
    from .notify import notify_tasks

    team = ctx.settings.team
    lo = team.lo(task["lo_id"])
    manager = team.lo(lo.manager_id) if lo.manager_id and team.has_lo(lo.manager_id) and \
        task.get("kind") != "escalation" else None
    if manager is None:
        _closed(ctx, task, f"{why}; no one above {lo.name} to escalate to", now)
        return None
    new = stamp(ctx, {
        "task_id": f"t-esc-{task['task_id'][2:]}", "lead_id": task["lead_id"], "lo_id": manager.id,
        "kind": "escalation", "priority": rules.DECISIVE, "hot": bool(task.get("hot")),
        "title": f"Escalated: {lo.name} could not get to it: {task['title']}"[:200],
        "body": (f"{lo.name} did not get to this call ({rules.LABELS[rules.priority_of(task)].lower()}): it was "
                 f"{why}. Call the borrower or hand it to someone who can today.\n\n{task.get('body') or ''}").strip(),
        "status": "open", "created_at": now.isoformat(), "due_at": now.isoformat(), "source": task["task_id"],
        "escalated_from": task["task_id"]}, now)
    if ctx.tasks.put(new):
        ctx.timeline.append(task["lead_id"], {"at": now.isoformat(), "kind": "task", "task_id": new["task_id"],
                                              "title": new["title"], "status": "open"})
        notify_tasks(ctx, [new])
    _closed(ctx, task, f"{why}: escalated to {manager.name}", now)
    return new


def review_days(ctx: Context, now: datetime) -> dict:
    """The nightly review of every LO's open tasks: expired routine work closes with its reason,
    undone decisive work escalates, and routine work that did not fit moves to a day with room."""
    team = ctx.settings.team
    zone = work_zone(team)
    counts = {"sweep": "lo_days", "los": 0, "expired": 0, "escalated": 0, "moved": 0}
    for lo in team.los:
        r = rules.review(ctx.tasks.list(lo.id, "open", limit=OPEN_LIMIT), now, zone, settings_of(team, lo.id))
        counts["los"] += 1
        for task, why in r.expire:
            counts["expired"] += _closed(ctx, task, why, now)
        for task, why in r.escalate:
            counts["escalated"] += _escalate(ctx, task, why, now) is not None
        for task, day, why in r.move:
            s = settings_of(team, lo.id)
            moved = rules.stamp({**task, "call_day": day, "call_window_end": task.get("window_end")}, now, zone, s)
            if ctx.tasks.update_open(task["task_id"], {"day": day, "due_at": moved["due_at"], "moved": why,
                                                       "moved_on": rules.local_day(now, zone).isoformat()}):
                counts["moved"] += 1
    logger.info("lo day review", extra=counts)
    return counts


def today(ctx: Context, lo_id: str, now: datetime) -> rules.Today:
    team = ctx.settings.team
    return rules.today(ctx.tasks.list(lo_id, "open", limit=OPEN_LIMIT), now, work_zone(team), settings_of(team, lo_id))


def public(task: dict) -> dict:
    """A task as the API shows it: its class always named (tasks made before classes had none)."""
    return {**task, "priority": rules.priority_of(task)}


def today_json(ctx: Context, lo_id: str, now: datetime) -> dict:
    day = today(ctx, lo_id, now)
    reserve = settings_of(ctx.settings.team, lo_id).reserve
    return {"lo_id": lo_id, "day": day.day, "capacity": day.capacity, "reserve": reserve, "used": day.used,
            "upcoming": day.upcoming,
            "items": [public(t) for t in day.items],
            "moved": [{"task_id": m["task"]["task_id"], "title": m["task"]["title"], "to": m["to"],
                       "reason": m["reason"]} for m in day.moved]}
