"""A borrower's record and erasure on request: the record for manager, compliance and ops
(``read.desk``), erasure for compliance and ops (``erase``)."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..services import privacy as svc
from ..services.context import context
from .http import actor, body_of, error, json_response, route

bp = Blueprint(__name__)


@route(bp, "/leads/{lead_id}/export", methods=["GET"], action="read.desk")
def export_lead(lead_id):
    record = svc.export(context(), lead_id, now(), actor(bp.current_request))
    return json_response(record) if record is not None else error(404, "not_found")


@route(bp, "/leads/{lead_id}/erase", methods=["POST"], action="erase")
def erase_lead(lead_id):
    req = bp.current_request
    try:
        done = svc.erase(context(), lead_id, body_of(req), now(), actor(req))
    except svc.NotConfigured as exc:
        return error(503, "not_configured", detail=str(exc))
    return json_response(done) if done is not None else error(404, "not_found")
