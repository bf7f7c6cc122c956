"""Escalation watch (engine plumbing): after the LO answers a borrower's reply, wait for the
borrower. Silence for 3 days puts a task in front of the LO's manager."""
from .dsl import PIPELINE, REPLIED, Sequence, again_after, days, end, task, wait_for

SEQUENCE = Sequence(
    id="escalation_watch",
    name="Escalation watch (borrower silent after the LO answered)",
    version=1,
    description="Waits 3 days for the borrower to answer the LO; if not, a task for the LO's manager.",
    triggers=("lo_replied",),
    priority=PIPELINE,
    exit_on=("handoff", "converted"),
    reentry=again_after(0),
    pause_on_reply=False,
    internal=True,
    steps=(
        wait_for("borrower_answers", REPLIED, within=days(3), if_yes="end", if_no="manager_escalation"),
        task("manager_escalation", "escalation_watch/manager_escalation", due_minutes=4 * 60, assignee="manager"),
        end(),
    ),
)
