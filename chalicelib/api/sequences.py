"""Sequences as data: list, read, and preview what a lead would get and when."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..services.context import context
from .http import body_of, error, json_response, outside_book, route

bp = Blueprint(__name__)


@route(bp, "/sequences", methods=["GET"])
def list_sequences():
    from ..services.engine_runner import team_view
    from ..services.sequences import describe_all

    return json_response({"items": describe_all(team_view(context()))})


@route(bp, "/sequences/{sequence_id}", methods=["GET"])
def get_sequence(sequence_id):
    from ..services.engine_runner import team_view
    from ..services.sequences import describe_one

    item = describe_one(sequence_id, team_view(context()))
    return json_response(item) if item else error(404, "not_found")


@route(bp, "/sequences/{sequence_id}/preview", methods=["POST"], action="read")
def preview(sequence_id):
    from ..domain.lead import ValidationError
    from ..services.sequences import preview as run_preview

    body = body_of(bp.current_request)
    lead_id = body.get("lead_id")
    if not isinstance(lead_id, str):
        raise ValidationError({"lead_id": "is required"})
    if outside_book(bp.current_request, lead_id):
        return error(404, "not_found")
    result = run_preview(context(), sequence_id, lead_id, now(), body.get("branch", "yes"))
    return json_response(result) if result is not None else error(404, "not_found")
