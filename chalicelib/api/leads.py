"""Management API: leads, their stage, events, consent and timeline."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..services import leads as svc
from ..services.context import context
from .http import actor, route, body_of, error, int_query, json_response, query

bp = Blueprint(__name__)
def _cid() -> str:
    return bp.current_request.context.get("correlation_id", "")


@route(bp, "/leads", methods=["POST"])
def create_lead():
    lead = svc.create_lead(context(), body_of(bp.current_request), now(), _cid(), actor(bp.current_request))
    return json_response(svc.public_lead(lead), 201)


@route(bp, "/leads", methods=["GET"])
def list_leads():
    req = bp.current_request
    limit = int_query(req, "limit", 50, 1, 200)
    try:
        items, cursor = context().leads.list(query(req, "lo_id"), query(req, "stage"), limit, query(req, "cursor"))
    except ValueError:
        return error(400, "validation", fields={"cursor": "is not a cursor this API returned"})
    return json_response({"items": [svc.public_lead(i) for i in items], "cursor": cursor})


@route(bp, "/leads/{lead_id}", methods=["GET"])
def get_lead(lead_id):
    lead = context().leads.get(lead_id)
    return json_response(svc.public_lead(lead)) if lead else error(404, "not_found")


@route(bp, "/leads/{lead_id}", methods=["PATCH"])
def patch_lead(lead_id):
    lead = svc.patch_lead(context(), lead_id, body_of(bp.current_request), now())
    return json_response(svc.public_lead(lead)) if lead else error(404, "not_found")


@route(bp, "/leads/{lead_id}/stage", methods=["POST"])
def change_stage(lead_id):
    if not svc.request_stage_change(context(), lead_id, body_of(bp.current_request), now(), _cid()):
        return error(404, "not_found")
    return json_response({"accepted": True, "lead_id": lead_id}, 202)


@route(bp, "/leads/{lead_id}/events", methods=["POST"])
def add_event(lead_id):
    if not svc.ingest_event(context(), lead_id, body_of(bp.current_request), now(), _cid()):
        return error(404, "not_found")
    return json_response({"accepted": True, "lead_id": lead_id}, 202)


@route(bp, "/leads/{lead_id}/consent", methods=["POST"])
def change_consent(lead_id):
    lead = svc.change_consent(context(), lead_id, body_of(bp.current_request), now(), _cid(),
                              actor(bp.current_request))
    return json_response(svc.public_lead(lead)) if lead else error(404, "not_found")


@route(bp, "/leads/{lead_id}/timeline", methods=["GET"])
def timeline(lead_id):
    items = svc.timeline(context(), lead_id)
    return json_response({"items": items}) if items is not None else error(404, "not_found")


@route(bp, "/team", methods=["GET"])
def team():
    return json_response(context().settings.team.public())
