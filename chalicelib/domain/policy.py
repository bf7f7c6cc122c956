"""The contact policy: send, defer or suppress one touch, with the reason. Pure.

Order of checks (the first that applies decides):
 1. LO tasks are not touches to the borrower: always sent.
 2. A recipient address must exist and not be suppressed (bounce, complaint) or opted out.
 3. SMS and voice marketing need recorded prior express written consent (TCPA); a revoked
    consent stops transactional texts and calls too.
 4. SMS and voice only inside the calling window in the lead's local time (TCPA 8:00-21:00 and
    stricter state rules), in every zone the lead might be in when the zone is not known.
 5. Marketing email waits for business hours, unless it answers the lead's own action.
 6. The frequency cap across all sequences: one marketing touch per ``cap_hours``; hot signals
    and answers to the lead bypass it; transactional updates are never held but count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..sequences.engine import SEND, Decision
from .lead import consent_state
from .quiet_hours import allowed_window_ok, business_hours_ok, next_allowed, next_business_time
from .timezones import candidate_zones

REASONS = ("cap", "quiet_hours", "business_hours", "no_consent", "opted_out", "suppressed_address",
           "no_address", "merge_error", "regz", "no_recipient")


@dataclass
class ContactState:
    """What one scheduler run knows about a lead's recent touches (mutated as it decides)."""
    last_capped_at: datetime | None = None


def zones_for(lead: dict) -> tuple[str, ...]:
    tz = None if lead.get("timezone_derived") else lead.get("timezone")
    return candidate_zones(tz, lead.get("state"), lead.get("phone"))


def _suppression(lead: dict, channel: str) -> str | None:
    record = (lead.get("suppressed") or {}).get(channel)
    if not record:
        return None
    return "opted_out" if record.get("reason") in ("opted_out", "unsubscribed") else "suppressed_address"


def decide(order: dict, lead: dict, now: datetime, cap_hours: int, state: ContactState) -> Decision:
    channel = order["channel"]
    if channel == "task":
        return SEND
    transactional = order.get("kind") == "transactional"
    bypass = bool(order.get("hot") or order.get("immediate"))

    if channel == "partner_email":
        if not (lead.get("realtor") or {}).get("email"):
            return Decision("suppress", "no_recipient")
        if (lead.get("suppressed") or {}).get("partner_email"):
            return Decision("suppress", "suppressed_address")
        return SEND

    address = lead.get("email") if channel == "email" else lead.get("phone")
    if not address:
        return Decision("suppress", "no_address")
    suppressed = _suppression(lead, channel)
    if suppressed == "suppressed_address" or (suppressed and not (transactional and channel == "email")):
        return Decision("suppress", suppressed)

    if channel in ("sms", "voice"):
        consent = consent_state(lead.get("consent_records", [])).get(channel)
        if transactional:
            if consent is not None and not consent["granted"]:
                return Decision("suppress", "no_consent")
        elif not (consent and consent["granted"]):
            return Decision("suppress", "no_consent")
        zones = zones_for(lead)
        if not allowed_window_ok(now, zones, lead.get("state")):
            return Decision("defer", "quiet_hours", next_allowed(now, zones, lead.get("state")))
    elif channel == "email" and not transactional and not bypass:
        zones = zones_for(lead)
        if not business_hours_ok(now, zones):
            return Decision("defer", "business_hours", next_business_time(now, zones))

    if not transactional and not bypass and state.last_capped_at is not None:
        free_at = state.last_capped_at + timedelta(hours=cap_hours)
        if now < free_at:
            return Decision("defer", "cap", free_at)
    state.last_capped_at = now
    return SEND


def last_capped_at(lead: dict) -> datetime | None:
    raw = lead.get("last_touch_at")
    return datetime.fromisoformat(raw) if raw else None
