"""LO tasks: completing one (the API and the console share this)."""
from __future__ import annotations

from datetime import datetime

from .context import Context


def complete(ctx: Context, task_id: str, note: str | None, now: datetime,
             correlation_id: str | None, by: str | None = None) -> tuple[dict | None, bool]:
    """Mark a task done once; returns (task, whether this call changed it)."""
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
