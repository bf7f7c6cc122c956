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


def keyword_text(kind: str, team, lo) -> str:
    if kind == "sms_opt_out":
        return (f"{team.name}: you are unsubscribed and will get no more texts or calls from us. "
                f"Reply START to resubscribe.")
    if kind == "sms_help":
        return (f"{team.name}: {lo.name}, NMLS #{lo.nmls_id}, {phone_fmt(lo.phone)}, {lo.email}. "
                f"Msg&data rates may apply. Reply STOP to opt out.")
    return f"{team.name}: you are resubscribed to texts from {lo.name}. Reply HELP for help, STOP to opt out."


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
        provider_id = sms.send(to=lead["phone"], text=keyword_text(event["type"], team, lo),
                               origination_number=team.sms_origination_number, transactional=True)
    except Exception as exc:  # the opt-out itself is already recorded; the answer is best effort
        reason = unanswered(exc) if ambiguous(exc) else str(classify(exc))[:300]
        ctx.touches.mark({**touch, "status": "failed", "reason": reason}, expect="sending")
        logger.warning("keyword answer failed", extra={"lead_id": lead["lead_id"], "type": event["type"]})
        return
    ctx.touches.mark({**touch, "status": "sent", "provider_id": provider_id}, expect="sending")
