"""How an event changes a lead, and how it reads on the timeline: pure."""
from __future__ import annotations

from datetime import datetime

from . import consent

INBOUND = ("email_replied", "sms_replied", "call_completed", "lo_replied")
HUMAN_CONTACT = ("email_replied", "sms_replied", "call_completed", "link_clicked", "document_downloaded")
BEHAVIOUR = ("email_opened", "link_clicked", "document_downloaded", "email_replied", "sms_replied", "lo_replied")
MAIL_READ = ("email_opened", "link_clicked", "email_replied")  # a person did something with an e-mail
ACTIVITY_KEEP = 100  # the behaviour window kept on the lead: enough for the 30-day rules


def _suppress(lead: dict, channel: str, reason: str, at: str, source: str) -> None:
    suppressed = dict(lead.get("suppressed") or {})
    suppressed[channel] = {"reason": reason, "at": at, "source": source}
    lead["suppressed"] = suppressed


def apply_event(lead: dict, event: dict, now: datetime) -> tuple[dict, dict]:
    """Return the updated lead and the timeline item that records the event."""
    lead = dict(lead)
    at = event["at"]
    etype = event["type"]
    data = dict(event.get("data") or {})
    machine = bool(data.get("machine", False))
    shown_type = etype
    if etype == "stage_change_requested":
        old, new = lead.get("stage"), data["stage"]
        shown_type = "stage_changed"
        data = {"from": old, "to": new}
        if old != new:
            lead["stage"] = new
            lead["stage_changed_at"] = at
            lead["stage_history"] = list(lead.get("stage_history") or []) + [{"stage": new, "at": at, "from": old}]
            if new == "funded":
                loan = dict(lead.get("loan") or {})
                loan.setdefault("funded_on", at[:10])
                lead["loan"] = loan
    elif etype == "lead_created":
        lead.setdefault("stage_history", [{"stage": lead.get("stage"), "at": at, "from": None}])
    elif etype == "sms_opt_out":
        # STOP by text revokes texts and calls at once (TCPA; FCC 2024 revocation rule).
        for channel in ("sms", "voice"):
            lead = consent.revoke(lead, channel, at, "sms keyword", (data.get("body") or "")[:160])
    elif etype == "sms_opt_in":
        lead = consent.grant(lead, "sms", at, "sms keyword", (data.get("body") or "")[:160])
    elif etype == "email_unsubscribed":
        source = consent.EMAIL_EXIT_SOURCES.get(data.get("via"), consent.EMAIL_EXIT_SOURCES["link"])
        lead = consent.revoke(lead, "email", at, source)
    elif etype == "email_complained":
        lead = consent.revoke(lead, "email", at, consent.COMPLAINT_SOURCE, reason="complained")
    elif etype == "email_bounced":  # the address is broken: suppressed, no consent changed
        _suppress(lead, "email", "bounced", at, "ses")
    if etype in BEHAVIOUR:
        entry = {"type": etype, "at": at, "machine": machine}
        for key in ("touch_id", "sequence", "step", "url"):
            if data.get(key):
                entry[key] = data[key]
        lead["activity"] = (list(lead.get("activity") or []) + [entry])[-ACTIVITY_KEEP:]
    if not machine and etype in HUMAN_CONTACT:
        lead["last_engaged_at"] = at
    if not machine and etype in MAIL_READ:  # sunset's clock (domain/reputation.py), past the activity window
        lead["last_email_read_at"] = max(at, lead.get("last_email_read_at") or at)
    if etype in INBOUND:
        lead["last_inbound_at" if etype != "lo_replied" else "last_lo_reply_at"] = at
        lead["last_contact_at"] = at
    lead["updated_at"] = now.isoformat()
    # Message bodies, addresses and device details stay off the timeline (PII).
    hidden = ("body", "machine", "user_agent", "ip", "address", "subject") + (
        () if shown_type == "stage_changed" else ("from", "to"))
    item = {"at": at, "kind": "event", "type": shown_type, "machine": machine,
            "data": {k: v for k, v in data.items() if k not in hidden}}
    if event.get("by"):
        item["by"] = event["by"]
    return lead, item
