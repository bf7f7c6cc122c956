"""Sender reputation: each sending identity's bounce and complaint rates and the brake's state;
ops resumes a braked identity (services/reputation.py)."""
from __future__ import annotations

from urllib.parse import unquote

from chalice import Blueprint

from ..clock import now
from ..services import reputation as svc
from ..services.context import context
from .http import actor, error, json_response, route

bp = Blueprint(__name__)


@route(bp, "/deliverability", methods=["GET"], action="deliverability")
def list_identities():
    return json_response(svc.view(context(), now()))


@route(bp, "/deliverability/{identity}/resume", methods=["POST"], action="deliverability.resume")
def resume(identity):
    try:
        out = svc.resume(context(), unquote(identity).strip().lower(), now(), actor(bp.current_request))
    except svc.NotBraked as exc:
        return error(409, "conflict", detail="the identity is not braked", identity=exc.state)
    return json_response(out) if out else error(404, "not_found")
