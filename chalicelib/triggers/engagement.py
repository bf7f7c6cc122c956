"""Replies and the LO's answer to them: a reply pauses the enrollment and notifies the LO."""
from __future__ import annotations

from .registry import CreateTask, Pause, Resume, TriggerInput, trigger


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
