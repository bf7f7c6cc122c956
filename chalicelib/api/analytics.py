"""Which sequences perform and where borrowers drop off; which core sequences are live."""
from __future__ import annotations

from chalice import Blueprint

from .http import json_response, route

bp = Blueprint(__name__)


@route(bp, "/analytics/sequences", methods=["GET"])
def sequences_report():
    from ..domain.analytics import report
    from ..sequences.catalog import SEQUENCES
    from ..sequences.dsl import Touch
    from ..store.repos import StatsRepo

    names = {s.id: s.name for s in SEQUENCES.values() if not s.internal}
    order = {s.id: [st.name for st in s.steps if isinstance(st, Touch)] for s in SEQUENCES.values()}
    return json_response({"items": report(StatsRepo().rows(), names, order)})


@route(bp, "/analytics/coverage", methods=["GET"])
def coverage():
    from ..domain import cadence
    from ..sequences.catalog import CORE, PROGRAMS, SEQUENCES
    from ..services.context import context
    from ..services.engine_runner import team_view
    from ..store.repos import StatsRepo

    enrolled = {r["sequence"]: r["enrolled"] for r in StatsRepo().rows() if r["step"] == "_sequence"}
    items = [{"id": sid, "enabled": SEQUENCES[sid].enabled, "steps": len(SEQUENCES[sid].steps),
              "enrolled": enrolled.get(sid, 0)} for sid in CORE]
    live = [i for i in items if i["enabled"] and i["steps"]]
    # the year-round programs, each with the team's switch and the size of its content library
    team = team_view(context())
    programs = [{"id": pid, "enabled": SEQUENCES[pid].enabled and cadence.enabled(pid, team),
                 "steps": len(SEQUENCES[pid].steps), "templates": len(SEQUENCES[pid].templates()),
                 "enrolled": enrolled.get(pid, 0)} for pid in PROGRAMS]
    return json_response({"core": len(CORE), "live": len(live), "share": round(len(live) / len(CORE), 3),
                          "in_use": sum(1 for i in live if i["enrolled"]), "items": items, "programs": programs})
