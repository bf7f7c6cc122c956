"""The one text a keyword earns: STOP is confirmed once, HELP gets the LO's contact, START
confirms the re-subscription. Sent at once (the borrower just wrote), recorded as a touch."""
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

    team = ctx.settings.team
    lo = team.lo(lead.get("lo_id"))
    touch = {"touch_id": f"kw.{event['event_id'][:16]}", "lead_id": lead["lead_id"], "sequence": "system",
             "step": event["type"].replace("sms_", "keyword_"), "channel": "sms", "kind": "transactional",
             "status": "sent", "reason": "", "at": now.isoformat(), "to_role": "borrower", "exempt": "keyword"}
    if not ctx.touches.claim(touch):
        return  # already answered this very message
    try:
        sms.send(to=lead["phone"], text=keyword_text(event["type"], team, lo),
                 origination_number=team.sms_origination_number, transactional=True)
    except Exception as exc:  # the opt-out itself is already recorded; the answer is best effort
        ctx.touches.mark({**touch, "status": "failed", "reason": str(classify(exc))[:300]})
        logger.warning("keyword answer failed", extra={"lead_id": lead["lead_id"], "type": event["type"]})
