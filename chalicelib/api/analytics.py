"""Which sequences perform and where borrowers drop off; which core sequences are live."""
from __future__ import annotations

from chalice import Blueprint

from ..services.context import context
from .http import json_response, route

bp = Blueprint(__name__)


@route(bp, "/analytics/sequences", methods=["GET"])
def sequences_report():
    from ..domain.analytics import report
    from ..sequences.catalog import SEQUENCES
    from ..sequences.dsl import Touch
    from ..services.context import context

    names = {s.id: s.name for s in SEQUENCES.values() if not s.internal}
    order = {s.id: [st.name for st in s.steps if isinstance(st, Touch)] for s in SEQUENCES.values()}
    return json_response({"items": report(context().stats.rows(list(SEQUENCES)), names, order)})


@route(bp, "/analytics/coverage", methods=["GET"])
def coverage():
    from ..services.context import context
    from ..services.coverage import coverage as audit

    return json_response(audit(context()))
