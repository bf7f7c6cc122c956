"""LO tasks: list and complete."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..services.context import context
from .http import actor, body_of, error, json_response, principal_of, query, route

bp = Blueprint(__name__)


@route(bp, "/tasks", methods=["GET"])
def list_tasks():
    req = bp.current_request
    status = query(req, "status")
    if status not in (None, "open", "done"):
        return error(400, "validation", fields={"status": "must be open or done"})
    book = principal_of(req).book
    items = context().tasks.list(book or query(req, "lo_id"), status, query(req, "lead_id"))
    if book is not None:  # by lead, the store lists every LO's: an LO's list is still their book
        items = [t for t in items if t.get("lo_id") == book]
    return json_response({"items": sorted(items, key=lambda t: t.get("due_at") or t["created_at"])})


@route(bp, "/tasks/{task_id}/complete", methods=["POST"], action="leads")
def complete_task(task_id):
    from ..services.tasks import complete

    note = body_of(bp.current_request).get("note")
    task, _ = complete(context(), task_id, note, now(), bp.current_request.context.get("correlation_id"),
                       by=actor(bp.current_request))
    return json_response(task) if task is not None else error(404, "not_found")
