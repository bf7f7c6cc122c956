"""LO tasks: list, Today (the LO's day ranked, with capacity), complete, snooze."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..services.context import context
from .http import actor, body_of, error, json_response, principal_of, query, route

bp = Blueprint(__name__)
STATUSES = ("open", "done", "expired")


@route(bp, "/tasks", methods=["GET"])
def list_tasks():
    from ..services.lo_day import public

    req = bp.current_request
    status = query(req, "status")
    if status not in (None, *STATUSES):
        return error(400, "validation", fields={"status": "must be open, done or expired"})
    book = principal_of(req).book
    items = context().tasks.list(book or query(req, "lo_id"), status, query(req, "lead_id"))
    if book is not None:  # by lead, the store lists every LO's: an LO's list is still their book
        items = [t for t in items if t.get("lo_id") == book]
    return json_response({"items": [public(t) for t in sorted(items, key=lambda t: t.get("due_at") or t["created_at"])]})


@route(bp, "/tasks/today", methods=["GET"])
def today():
    """The LO's day: what cannot wait first, routine calls up to capacity, what moved and why."""
    from ..services.lo_day import today_json

    ctx = context()
    lo_id = principal_of(bp.current_request).book or query(bp.current_request, "lo_id") or ctx.settings.team.los[0].id
    if not ctx.settings.team.has_lo(lo_id):
        return error(400, "validation", fields={"lo_id": "is not a loan officer of the team"})
    return json_response(today_json(ctx, lo_id, now()))


@route(bp, "/tasks/{task_id}/complete", methods=["POST"], action="leads")
def complete_task(task_id):
    from ..services.tasks import complete

    req = bp.current_request
    note = body_of(req).get("note")
    task, _ = complete(context(), task_id, note, now(), req.context.get("correlation_id"), by=actor(req))
    return json_response(task) if task is not None else error(404, "not_found")


@route(bp, "/tasks/{task_id}/snooze", methods=["POST"], action="leads")
def snooze_task(task_id):
    from ..services.tasks import snooze

    task = snooze(context(), task_id, now(), by=actor(bp.current_request))
    return json_response(task) if task is not None else error(404, "not_found")
