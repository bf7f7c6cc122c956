"""Which core sequences are live and in use: the "which sequences are missing" audit, shared by
``GET /analytics/coverage`` and the console."""
from __future__ import annotations

from .context import Context


def coverage(ctx: Context) -> dict:
    from ..domain.analytics import WHOLE
    from ..sequences.catalog import CORE, SEQUENCES
    from .switches import sequences_off

    off = sequences_off(ctx)
    enrolled = {r["sequence"]: r["enrolled"] for r in ctx.stats.rows(CORE) if r["step"] == WHOLE}
    items = [{"id": sid, "enabled": sid not in off, "steps": len(SEQUENCES[sid].steps),
              "enrolled": enrolled.get(sid, 0)} for sid in CORE]
    live = [i for i in items if i["enabled"] and i["steps"]]
    # mass sends the circuit breaker holds for a person (GET /holds, POST /holds/{id}/release)
    held = [{k: b[k] for k in ("batch_id", "sequence", "leads", "reason", "held_at")}
            for b in ctx.holds.list("held")]
    # the year-round programs, each with the team's switch and the size of its content library
    from ..domain import cadence
    from ..sequences.catalog import PROGRAMS
    from .engine_runner import team_view

    team = team_view(ctx)
    counts = {r["sequence"]: r["enrolled"] for r in ctx.stats.rows(list(PROGRAMS)) if r["step"] == WHOLE}
    programs = [{"id": pid, "enabled": pid not in off and cadence.enabled(pid, team),
                 "steps": len(SEQUENCES[pid].steps), "templates": len(SEQUENCES[pid].templates()),
                 "enrolled": counts.get(pid, 0)} for pid in PROGRAMS]
    from .reputation import readiness

    return {"core": len(CORE), "live": len(live), "share": round(len(live) / len(CORE), 3),
            "in_use": sum(1 for i in live if i["enrolled"]), "items": items, "held_batches": held,
            "programs": programs, "sending": readiness(ctx)}
