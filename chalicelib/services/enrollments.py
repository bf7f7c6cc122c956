"""An LO's hand on one enrollment: pause, resume or exit it (the console's buttons).

The state changes are the engine's own (``engine.pause`` / ``resume`` / ``exit_``); this
reads, applies one, and writes it with its timeline item, retrying on a concurrent change.
"""
from __future__ import annotations

from datetime import datetime

from ..domain import analytics
from ..domain.lead import ValidationError
from ..sequences import engine
from ..sequences.catalog import SEQUENCES
from ..store.errors import Conflict
from ..store.writeset import WriteSet
from .context import Context

ACTIONS = ("pause", "resume", "exit")
REASON = "by the loan officer in the console"


def change(ctx: Context, lead_id: str, enrollment_id: str, action: str, now: datetime,
           by: str | None = None) -> dict | None:
    """The enrollment after ``action`` (``by``: who, on its timeline items); None when the lead or
    the enrollment does not exist."""
    if action not in ACTIONS:
        raise ValidationError({"action": f"must be one of {', '.join(ACTIONS)}"})
    for _ in range(3):
        e = next((x for x in ctx.enrollments.for_lead(lead_id) if x["enrollment_id"] == enrollment_id), None)
        if e is None or e["sequence"] not in SEQUENCES:
            return None
        if action == "pause" and e["status"] != "active":
            raise ValidationError({"action": "only an active enrollment can be paused"})
        if action == "resume" and e["status"] != "paused":
            raise ValidationError({"action": "only a paused enrollment can be resumed"})
        if action == "exit" and not engine.is_live(e):
            raise ValidationError({"action": "this enrollment has already ended"})
        if action == "pause":
            out = engine.pause(e, now, REASON)
        elif action == "resume":
            lead = ctx.leads.get(lead_id) or {"lead_id": lead_id}
            out = engine.resume(e, SEQUENCES[e["sequence"]], lead, now, REASON)
        else:
            out = engine.exit_(e, now, REASON)
        try:
            ctx.uow.commit(WriteSet([out.enrollment], timeline=[({**i, "by": by} if by else i, None)
                                                                for i in out.timeline]))
        except Conflict:
            continue
        counters = analytics.from_enrollment_items(out.timeline, {enrollment_id: e.get("step")})
        if counters:
            ctx.stats.add_all(analytics.aggregate(counters))
        return out.enrollment
    raise Conflict(enrollment_id)
