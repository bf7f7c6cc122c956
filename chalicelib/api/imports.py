"""Onboarding and integrations: LOS exports (``/imports``) and LOS milestone webhooks.

The services are imported inside the routes: every Lambda of the app imports this module, and
only these routes need the export reader (cold start).
"""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..services.context import context
from . import json_body
from .http import body_of, error, json_response, query, route

bp = Blueprint(__name__)
# What browsers, curl and LOS downloads label a CSV file with.
CSV_TYPES = ["text/csv", "application/csv", "text/plain", "text/tab-separated-values", "application/vnd.ms-excel",
             "application/octet-stream"]


def _cid() -> str:
    return bp.current_request.context.get("correlation_id", "")


@route(bp, "/imports", methods=["POST"], content_types=CSV_TYPES, action="imports")
def create_import():
    """The export as the body; ``?file=`` names it (consent records cite file and row);
    ``?mapping=`` or the ``X-Import-Mapping`` header: JSON {"<column in the file>": "<field>" | null}."""
    from ..services import imports as svc

    req = bp.current_request
    raw_mapping = query(req, "mapping") or req.headers.get("x-import-mapping")
    mapping = json_body.parse(raw_mapping, "mapping") if raw_mapping and raw_mapping.strip() else None
    job = svc.start_import(context(), req.raw_body, query(req, "file"), mapping, now(), _cid())
    return json_response({"import_id": job["import_id"], "status": "running", "file": job["file"], "rows": job["rows"],
                          "columns": job["columns"], "ignored_columns": job["ignored_columns"]}, 202)


@route(bp, "/imports/{import_id}", methods=["GET"], action="imports")
def get_import(import_id):
    from ..services import imports as svc

    out = svc.report(context(), import_id)
    return json_response(out) if out else error(404, "not_found")


@route(bp, "/integrations/los", methods=["POST"], action="los")
def los_milestone():
    from ..services import los

    req = bp.current_request
    if not los.signature_ok(req.raw_body, dict(req.headers)):
        return error(401, "unauthorized", detail="the webhook signature does not match its body")
    event_id = los.receive(context(), body_of(req), now(), _cid())
    return json_response({"event_id": event_id, "status": "accepted"}, 202)


@route(bp, "/integrations/los/milestones", methods=["GET"])
def los_milestones():
    from ..services import los

    return json_response(los.milestones(context()))
