"""The one text a keyword earns: STOP is confirmed once, HELP gets the LO's contact, START
confirms the re-subscription. Sent at once (the borrower just wrote), recorded as a touch.

The touch is claimed ``sending`` before the text goes and marked ``sent`` (or failed) after, as a
delivery does (services/deliver.py): recorded "sent" up front, a claim whose answer was lost, or
a process that died before the send, left a record of a text that never went. The events
consumer calls this again for a redelivered keyword event (its claim may be all that was
written); a claim found ``sending`` is waited for, then failed "interrupted" once its lease is
over, never resent."""
from __future__ import annotations

from datetime import datetime

from ..content.merge import phone_fmt
from ..observability import logger


def keyword_text(kind: str, team, lo, language: str = "en") -> str:
    from ..content.language import keyword_text as words

    return words(kind, team.name, lo.name, lo.nmls_id, phone_fmt(lo.phone), lo.email, language)


def answer_language(lead: dict, event: dict) -> str:
    """Spanish to a lead who prefers it, and to anyone who wrote the keyword in Spanish ("ALTO")."""
    from ..domain.lead import lead_language
    from ..domain.optout import said_in_spanish

    if lead_language(lead) == "es" or said_in_spanish((event.get("data") or {}).get("body") or ""):
        return "es"
    return "en"


def answer_keyword(ctx, lead: dict, event: dict, now: datetime) -> None:
    from ..channels import sms
    from ..channels.errors import classify
    from .deliver import SEND_LEASE, InFlight, ambiguous, interrupted, unanswered

    team = ctx.settings.team
    lo = team.lo(lead.get("lo_id"))
    touch = {"touch_id": f"kw.{event['event_id'][:16]}", "lead_id": lead["lead_id"], "sequence": "system",
             "step": event["type"].replace("sms_", "keyword_"), "channel": "sms", "kind": "transactional",
             "status": "sending", "reason": "", "at": now.isoformat(), "to_role": "borrower", "exempt": "keyword"}
    if not ctx.touches.claim(touch, history=False):
        current = ctx.touches.get(lead["lead_id"], touch["touch_id"], consistent=True) or {}
        if current.get("status") != "sending":
            return  # already answered this very message
        if now - datetime.fromisoformat(current["at"]) < SEND_LEASE:
            raise InFlight(f"keyword answer {touch['touch_id']} is being sent")  # the event comes back later
        ctx.touches.mark({**touch, "status": "failed", "reason": interrupted(current["at"])}, expect="sending")
        return
    try:
        text = keyword_text(event["type"], team, lo, answer_language(lead, event))
        provider_id = sms.send(to=lead["phone"], text=text, origination_number=team.sms_origination_number,
                               transactional=True)
    except Exception as exc:  # the opt-out itself is already recorded; the answer is best effort
        reason = unanswered(exc) if ambiguous(exc) else str(classify(exc))[:300]
        ctx.touches.mark({**touch, "status": "failed", "reason": reason}, expect="sending")
        logger.warning("keyword answer failed", extra={"lead_id": lead["lead_id"], "type": event["type"]})
        return
    ctx.touches.mark({**touch, "status": "sent", "provider_id": provider_id}, expect="sending")
