"""LO tasks: completing one, putting one off (the API and the console share this)."""
from __future__ import annotations

from datetime import datetime

from .context import Context


def complete(ctx: Context, task_id: str, note: str | None, now: datetime,
             correlation_id: str | None, by: str | None = None) -> tuple[dict | None, bool]:
    """Mark a task done once; returns (task, whether this call changed it). ``by``: who did it."""
    task, changed = ctx.tasks.complete(task_id, now, note)
    if task is None or not changed:
        return task, False  # unknown, or already done: nothing recorded twice
    ctx.timeline.append(task["lead_id"], {"at": now.isoformat(), "kind": "task", "task_id": task_id,
                                          "title": task["title"], "status": "done", **({"by": by} if by else {})})
    if task.get("kind") == "reply":
        # Completing a reply task means the LO answered: the escalation watch starts.
        from .. import bus

        bus.publish(bus.make_event(task["lead_id"], "lo_replied", {"task_id": task_id}, now, "api", correlation_id, by=by))
    return task, True


def snooze(ctx: Context, task_id: str, now: datetime, by: str | None = None) -> dict | None:
    """Put an open task off to the LO's next business day. Its expiry stands: a decisive call
    snoozed past it still escalates, a routine one still ends. None: unknown or not open."""
    from ..domain import lo_day as rules
    from .lo_day import settings_of, work_zone

    task = ctx.tasks.get(task_id)
    if task is None or task.get("status") != "open":
        return None
    team = ctx.settings.team
    zone, s = work_zone(team), settings_of(team, task.get("lo_id"))
    day = rules.add_business_days(rules.local_day(now, zone), 1)
    due = rules.stamp({**task, "priority": rules.ROUTINE, "call_day": day.isoformat(),
                       "call_window_end": day.isoformat()}, now, zone, s)["due_at"]
    why = f"snoozed to {day.isoformat()}" + (f" by {by}" if by else "")
    return ctx.tasks.update_open(task_id, {"day": day.isoformat(), "due_at": due, "moved": why,
                                           "moved_on": rules.local_day(now, zone).isoformat(),
                                           **({"snoozed_by": by} if by else {})})
