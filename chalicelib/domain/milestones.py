"""LOS milestones in the engine's stages, and whether a milestone moves a lead. Pure.

LOSs speak milestones ("Cond. Approval", "Clear to Close", "Funding"); the engine speaks
stages. The team's milestone table (``milestones`` in the team file: {"<milestone>": "<stage>"})
is laid over the defaults below, which cover Encompass's thirteen out-of-the-box milestones and
the names other LOSs (Arive, LendingPad, Calyx) and CRMs use. Names are compared squeezed
(case, spaces and punctuation ignored: "Cond. Approval" = "cond approval" = "CondApproval").
A team can map a milestone to ``null`` to have it recorded and never acted on.
"""
from __future__ import annotations

from .lead import STAGES
from .los_values import squeeze

DEFAULT_MILESTONES: dict[str, str | None] = {
    # Encompass, out of the box, in its order
    "Started": "application_started",
    "Qualification": "application_started",
    "Processing": "application_submitted",
    "Submittal": "application_submitted",
    "Cond. Approval": "conditional_approval",
    "Resubmittal": "conditional_approval",
    "Approval": "clear_to_close",            # final approval: every condition cleared
    "Doc Preparation": "clear_to_close",
    "Docs Signing": "clear_to_close",
    "Funding": "funded",
    "Post Closing": "funded",
    "Shipping": "funded",
    "Completion": "funded",
    # other LOSs and CRMs
    "Lead": "new_lead", "Prospect": "new_lead", "New Lead": "new_lead", "Inquiry": "new_lead",
    "Application Started": "application_started", "Application Taken": "application_started",
    "File Started": "application_started", "Application In Progress": "application_started",
    "Application": "application_submitted", "Application Submitted": "application_submitted",
    "Application Received": "application_submitted", "Submitted": "application_submitted",
    "Submitted to Underwriting": "application_submitted", "Underwriting": "application_submitted",
    "In Processing": "application_submitted", "Disclosures Sent": "application_submitted",
    "Conditional Approval": "conditional_approval", "Conditionally Approved": "conditional_approval",
    "Approved with Conditions": "conditional_approval", "Cond Approved": "conditional_approval",
    "Approved": "conditional_approval",     # LendingPad, Arive: approved with conditions; CTC follows
    "Appraisal Ordered": "appraisal_ordered", "Appraisal Received": "appraisal_ordered",
    "Appraisal": "appraisal_ordered",
    "Clear to Close": "clear_to_close", "Cleared to Close": "clear_to_close", "CTC": "clear_to_close",
    "Final Approval": "clear_to_close", "Docs Out": "clear_to_close",
    "Closing": "clear_to_close", "Closing Scheduled": "clear_to_close", "Docs Drawn": "clear_to_close",
    "Closed": "clear_to_close",              # signed, not yet funded (a refinance waits out rescission)
    "Funded": "funded", "Purchased": "funded", "Servicing": "funded", "Loan Funded": "funded",
    "Denied": "lost", "Declined": "lost", "Withdrawn": "lost", "Cancelled": "lost", "Canceled": "lost",
    "Adverse": "lost", "Adverse Action": "lost", "Not Interested": "lost",
    "Dead": "lost", "Lost": "lost", "Closed Lost": "lost",
}

# Pipeline order: a milestone moves a lead forward, never back.
ORDER = {stage: i for i, stage in enumerate(STAGES) if stage != "lost"}
CLOSED = ("funded", "lost")


def table(team_milestones: dict | None) -> dict[str, str | None]:
    """The team's table over the defaults, keyed by squeezed name."""
    out = {squeeze(name): stage for name, stage in DEFAULT_MILESTONES.items()}
    out.update({squeeze(name): stage for name, stage in (team_milestones or {}).items()})
    return out


def validate_table(team_milestones: object) -> list[str]:
    """Problems with a team's milestone table (the team file is checked when it loads)."""
    if not isinstance(team_milestones, dict):
        return ["milestones must be an object {\"<milestone>\": \"<stage>\"}"]
    return [f"milestones.{name}: {stage!r} is not a stage ({', '.join(STAGES)})"
            for name, stage in team_milestones.items() if stage is not None and stage not in STAGES]


def stage_for(milestone: str | None, milestones: dict[str, str | None]) -> tuple[bool, str | None]:
    """(known, stage): an unknown milestone is (False, None); one mapped to null is (True, None)."""
    key = squeeze(milestone or "")
    if not key or key not in milestones:
        return False, None
    return True, milestones[key]


def judge(current: str, target: str, *, new_loan: bool = False) -> tuple[bool, str]:
    """Whether an LOS milestone's stage applies to a lead now at ``current``; and why (or why not).

    Decided by pipeline order, not by the event's time: an LOS retries and reorders webhooks,
    and a late "Processing" after "Cond. Approval" must not move a loan back. ``lost`` may come
    from any open stage; a lost file that the LOS reopens moves on; a funded lead moves only
    for a new loan (a loan number it does not hold yet: a past client's next purchase or refinance).
    """
    if target == current:
        return False, f"already {current}"
    if current == "funded":
        if new_loan and target not in CLOSED:
            return True, "new loan"
        return False, "funded: the milestone belongs to a closed loan"
    if current == "lost":
        return (True, "reopened") if target != "lost" else (False, "already lost")
    if target == "lost":
        return True, "lost"
    if ORDER[target] < ORDER[current]:
        return False, f"older than the lead's stage ({current})"
    return True, "forward"
