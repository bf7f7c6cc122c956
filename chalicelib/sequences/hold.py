"""A sequence switched off holds its live enrollments where they are. Pure.

The scheduler meets a held enrollment again every ``RECHECK`` (it stays in the due index, so
turning the sequence back on needs no search for who was held): while the sequence is off it
is pushed on again, once it is on the step runs as planned. The timeline says "held" once and
"resumed" once, not every hour.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from .engine import Outcome

RECHECK = timedelta(hours=1)
OFF_REASON = "sequence turned off"


def hold(enrollment: dict, now: datetime) -> Outcome:
    e = dict(enrollment, due_at=(now + RECHECK).isoformat(), held_off=True, updated_at=now.isoformat())
    out = Outcome(e)
    if not enrollment.get("held_off"):
        out.timeline.append({"at": now.isoformat(), "kind": "enrollment", "enrollment_id": e["enrollment_id"],
                             "sequence": e["sequence"], "action": "held", "reason": OFF_REASON})
    return out


def release(enrollment: dict, now: datetime) -> tuple[dict, list[dict]]:
    """The enrollment to advance now that its sequence is on again, and the timeline item."""
    if not enrollment.get("held_off"):
        return enrollment, []
    e = {k: v for k, v in enrollment.items() if k != "held_off"}
    return e, [{"at": now.isoformat(), "kind": "enrollment", "enrollment_id": e["enrollment_id"],
                "sequence": e["sequence"], "action": "resumed", "reason": "sequence turned back on"}]
