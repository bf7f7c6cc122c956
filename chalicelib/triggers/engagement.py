"""Replies and the LO's answer to them: a reply pauses the enrollment and notifies the LO."""
from __future__ import annotations

from .decisions import CreateTask, Enroll, Exit, Pause, Resume, TriggerInput, trigger


@trigger("email_replied", "sms_replied")
def reply_pauses(inp: TriggerInput) -> list:
    channel = "e-mail" if inp.event["type"] == "email_replied" else "text"
    name = inp.lead.get("first_name", "The borrower")
    snippet = (inp.event.get("data") or {}).get("body", "")[:280]
    return [
        Pause(reason=inp.event["type"]),
        CreateTask(kind="reply", title=f"{name} replied by {channel}: answer personally",
                   body=(f"{name} answered an automated {channel}. Their sequences are paused until you "
                         f"resume them or hand off.\n\n{snippet}").strip(),
                   due_minutes=60, key=f"reply:{inp.event['event_id']}", hot=True),
    ]


@trigger("resume")
def lo_resumes(inp: TriggerInput) -> list:
    return [Resume(reason="resumed by LO")]


@trigger("lo_replied")
def lo_answered(inp: TriggerInput) -> list:
    """The LO answered the borrower: watch for the borrower's answer (escalation after silence)."""
    if not inp.lead.get("last_inbound_at"):
        return []
    return [Enroll("escalation_watch", reason="lo_replied")]


def _reachable(lead: dict) -> bool:
    """Can any marketing still reach this lead? (e-mail not suppressed, or a consented phone)."""
    from ..domain import consent

    suppressed = lead.get("suppressed") or {}
    if lead.get("email") and "email" not in suppressed and not consent.revoked(lead, "email"):
        return True
    return any(lead.get("phone") and ch not in suppressed and consent.granted(lead, ch) for ch in ("sms", "voice"))


@trigger("sms_opt_out", "email_unsubscribed", "email_bounced", "email_complained")
def opted_out(inp: TriggerInput) -> list:
    """An opt-out takes effect at once for its channel (the policy checks every touch); when no
    channel is left, marketing sequences end. Pipeline updates the borrower waits for stay."""
    from ..sequences.dsl import PIPELINE

    if _reachable(inp.lead):
        return []
    return [Exit(reason="opted_out", only_priority_below=PIPELINE)]
