"""How an event changes a lead, and how it reads on the timeline: pure."""
from __future__ import annotations

from datetime import datetime

INBOUND = ("email_replied", "sms_replied", "call_completed")
HUMAN_CONTACT = INBOUND + ("link_clicked", "document_downloaded")


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
            lead.setdefault("stage_history", []).append({"stage": new, "at": at, "from": old})
            if new == "funded":
                loan = dict(lead.get("loan") or {})
                loan.setdefault("funded_on", at[:10])
                lead["loan"] = loan
    elif etype == "lead_created":
        lead.setdefault("stage_history", [{"stage": lead.get("stage"), "at": at, "from": None}])
    if not machine and etype in HUMAN_CONTACT:
        lead["last_engaged_at"] = at
    if etype in INBOUND:
        lead["last_inbound_at"] = at
        lead["last_contact_at"] = at
    lead["updated_at"] = now.isoformat()
    item = {"at": at, "kind": "event", "type": shown_type, "machine": machine,
            "data": {k: v for k, v in data.items() if k not in ("body", "machine")}}
    return lead, item
