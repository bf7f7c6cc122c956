"""Stage triggers: every transition of the pipeline enrolls, advances or exits sequences."""
from __future__ import annotations

from ..sequences.catalog import SEQUENCES
from .common import funded_long_ago
from .decisions import Enroll, Exit, JumpTo, TriggerInput, trigger


@trigger("lead_created", "stage_change_requested")
def stage_reached(inp: TriggerInput) -> list:
    new = inp.lead.get("stage")
    old = None if inp.event["type"] == "lead_created" else inp.before.get("stage")
    if new == old:
        return []
    decisions: list = []
    live = {e["sequence"]: e for e in inp.enrollments if e.get("status") in ("active", "paused")}
    for seq_id in live:
        seq = SEQUENCES.get(seq_id)
        if seq and new in seq.exit_on_stages:
            decisions.append(Exit(reason=f"stage:{new}", sequence=seq_id))
    imported = inp.event["type"] == "lead_created"
    for seq in SEQUENCES.values():
        if not seq.enabled:
            continue
        if imported and new == "funded" and funded_long_ago(inp.lead, inp.now.date()):  # a past client
            continue
        if new in seq.stage_steps:
            if seq.id in live:
                decisions.append(JumpTo(seq.id, seq.stage_steps[new], reason=f"stage:{new}"))
            else:
                decisions.append(Enroll(seq.id, reason=f"stage:{new}", start_step=seq.stage_steps[new]))
        elif f"stage:{new}" in seq.triggers:
            decisions.append(Enroll(seq.id, reason=f"stage:{new}"))
    return decisions


@trigger("converted")
def converted(inp: TriggerInput) -> list:
    return [Exit(reason="converted", sequence=e["sequence"]) for e in inp.enrollments
            if e.get("status") in ("active", "paused") and "converted" in SEQUENCES[e["sequence"]].exit_on]


@trigger("handoff")
def handoff(inp: TriggerInput) -> list:
    """The LO takes the conversation over: automation steps aside."""
    return [Exit(reason="handoff", sequence=e["sequence"]) for e in inp.enrollments
            if e.get("status") in ("active", "paused") and "handoff" in SEQUENCES[e["sequence"]].exit_on]
