"""Match inbound messages (SMS, e-mail replies, bounces) to their lead, and say what they mean."""
from __future__ import annotations

from ..domain.lead import normalize_email, normalize_phone
from ..domain.optout import classify_sms, is_email_unsubscribe_reply


def _by_phone(ctx, event) -> str | None:
    phone = normalize_phone(event["data"].get("from"))
    return ctx.leads.find_duplicate(None, phone) if phone else None


def _by_email(ctx, event) -> str | None:
    email = normalize_email(event["data"].get("from") or event["data"].get("address"))
    return ctx.leads.find_duplicate(email, None) if email else None


def _reply(ctx, event) -> str | None:
    """A reply to a touch's reply address carries a signed token; else match the sender."""
    from ..tracking.links import lead_from_reply_address

    lead_id = lead_from_reply_address(event["data"].get("to") or "")
    if lead_id and ctx.leads.get(lead_id):
        return lead_id
    return _by_email(ctx, event)


RESOLVERS = {
    "sms_inbound": _by_phone,
    "email_inbound": _reply,
    "email_bounced": _by_email,
    "email_complained": _by_email,
}


def classify_inbound(event: dict) -> dict:
    """Give an inbound message its engine meaning: a reply, an opt-out, HELP, START."""
    data = event.get("data") or {}
    if event["type"] == "sms_inbound":
        kind = classify_sms(data.get("body", ""))
        return {**event, "type": {"stop": "sms_opt_out", "help": "sms_help", "start": "sms_opt_in"}.get(kind, "sms_replied")}
    if event["type"] == "email_inbound":
        if (data.get("to") or "").lower().startswith("unsubscribe+"):
            return {**event, "type": "email_unsubscribed", "data": {**data, "via": "mailto"}}
        if is_email_unsubscribe_reply(data.get("subject", ""), data.get("body", "")):
            return {**event, "type": "email_unsubscribed", "data": {**data, "via": "reply"}}
        return {**event, "type": "email_replied"}
    return event
