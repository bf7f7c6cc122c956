"""Held mass sends (the circuit breaker): list them, release them, discard them."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..domain.lead import ValidationError
from ..services import guard as svc
from ..services.context import context
from .http import actor, error, json_response, query, route

bp = Blueprint(__name__)
STATUSES = ("held", "released", "discarded", "counted", "all")


@route(bp, "/holds", methods=["GET"], action="read.desk")
def list_holds():
    status = query(bp.current_request, "status", "held")
    if status not in STATUSES:
        raise ValidationError({"status": f"must be one of {', '.join(STATUSES)}"})
    ctx = context()
    settings = svc.guard_settings(ctx)
    book, recounted_at = ctx.book.state()
    return json_response({"items": svc.list_batches(ctx, None if status == "all" else status),
                          "book": book, "book_recounted_at": recounted_at, "breaker_share": float(settings.breaker_share),
                          "breaker_min_batch": settings.breaker_min_batch})


@route(bp, "/holds/{batch_id}", methods=["GET"], action="read.desk")
def get_hold(batch_id):
    batch = context().holds.get(batch_id)
    return json_response(batch) if batch else error(404, "not_found")


def _settle(batch_id: str, action) -> object:
    by = actor(bp.current_request)  # who released it is who signed in, not what a body claims
    try:
        batch = action(context(), batch_id, now(), by)
    except svc.BatchClosed as exc:
        return error(409, "conflict", detail=f"the batch is {exc.batch['status']}, not held", batch=exc.batch)
    return json_response(batch) if batch else error(404, "not_found")


@route(bp, "/holds/{batch_id}/release", methods=["POST"], action="desk")
def release_hold(batch_id):
    return _settle(batch_id, svc.release)


@route(bp, "/holds/{batch_id}/discard", methods=["POST"], action="desk")
def discard_hold(batch_id):
    return _settle(batch_id, svc.discard)
