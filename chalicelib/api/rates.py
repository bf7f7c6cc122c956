"""Market rates: ``PUT /rates`` stores today's rate for a product, ``GET /rates`` reads history."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..services import rates as svc
from ..services.context import context
from .http import body_of, int_query, json_response, query, route

bp = Blueprint(__name__)


@route(bp, "/rates", methods=["PUT"], action="rates")
def put_rate():
    return json_response(svc.put_rate(context(), body_of(bp.current_request), now()))


@route(bp, "/rates", methods=["GET"])
def get_rates():
    req = bp.current_request
    limit = int_query(req, "limit", 52, 1, 520)
    return json_response({"items": svc.history(context(), query(req, "product"), limit)})
