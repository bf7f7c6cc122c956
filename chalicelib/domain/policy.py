"""The contact policy: send, defer or suppress one touch, with the reason. Pure.

Order of checks (the first that applies decides):
 1. LO tasks are not touches to the borrower: always sent.
 2. A recipient address must exist and not be suppressed (bounce, complaint) or opted out
    (an erased person created again is suppressed as "erased": domain/privacy.py).
    E-mail consent revoked in the ledger (domain/consent.py: unsubscribe, a reply asking to
    stop, a complaint, POST /leads/{id}/consent) is an opt-out: it stops marketing e-mail.
    Transactional e-mail (loan-status updates the borrower is waiting for) still goes after an
    opt-out, as CAN-SPAM's opt-out covers commercial messages only, but not to an address
    that bounced or complained: mailbox providers count every further message against the
    team's sending reputation.
 3. SMS and voice marketing need recorded prior express written consent (TCPA); a revoked
    consent stops transactional texts and calls too.
 4. SMS and voice only inside the calling window in the lead's local time (TCPA 8:00-21:00 and
    stricter state rules), in every zone the lead might be in when the zone is not known.
 5. Marketing email waits for business hours, unless it answers the lead's own action.
 6. State limits on how many solicitation calls and texts reach one person in 24 hours
    (Florida, Oklahoma, Maryland: 3). Hot signals do not bypass a statute.
 7. The frequency cap across all sequences: one marketing touch per ``cap_hours``; hot signals
    and answers to the lead bypass it; transactional updates are never held but count.
    A send that did not wait for the cap says why (``Decision.exempt``, shown on the timeline):
    "immediate" (it answers the lead's own action), "hot", "transactional". LO tasks and
    Realtor mail are not touches to the borrower: the cap does not count them (exempt None).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import consent
from .decision import SEND, Decision
from .quiet_hours import allowed_window_ok, business_hours_ok, next_allowed, next_business_time, rule_for
from .timezones import AREA_CODE_STATE, area_code, candidate_zones

REASONS = ("cap", "quiet_hours", "business_hours", "call_limit", "no_consent", "opted_out",
           "suppressed_address", "no_address", "merge_error", "regz", "no_recipient", "erased")

DAY = timedelta(hours=24)


@dataclass
class ContactState:
    """What one scheduler run knows about a lead's recent touches (mutated as it decides)."""
    last_capped_at: datetime | None = None
    # marketing texts and calls sent in the last 24 hours, for the state per-day limits
    solicitations: list[datetime] = field(default_factory=list)
    added: int = 0  # solicitations recorded by this run (the lead is rewritten only then)

    @classmethod
    def of(cls, lead: dict) -> "ContactState":
        return cls(last_capped_at(lead), [datetime.fromisoformat(t) for t in lead.get("recent_solicitations") or []])

    def recorded_on(self, lead: dict, now: datetime) -> dict:
        """The lead with this state's times, solicitations older than a day dropped."""
        lead = dict(lead)
        if self.last_capped_at is not None:
            lead["last_touch_at"] = self.last_capped_at.isoformat()
        if self.added:
            lead["recent_solicitations"] = [t.isoformat() for t in self.solicitations if now - t < DAY]
        return lead


def zones_for(lead: dict) -> tuple[str, ...]:
    tz = None if lead.get("timezone_derived") else lead.get("timezone")
    return candidate_zones(tz, lead.get("state"), lead.get("phone"))


def calling_states(lead: dict) -> tuple[str | None, ...]:
    """The lead's state and its phone's area-code state: the calling rules of both apply."""
    return (lead.get("state"), AREA_CODE_STATE.get(area_code(lead.get("phone")) or ""))


def _suppression(lead: dict, channel: str) -> str | None:
    record = (lead.get("suppressed") or {}).get(channel)
    if not record:
        return None
    if record.get("reason") == "erased":  # a person erased on request, created again: an opt-out no grant lifts
        return "erased"
    return "opted_out" if record.get("reason") in ("opted_out", "unsubscribed") else "suppressed_address"


# The scheduler does not queue a text or call that would reach delivery as the calling window
# shuts: delivery would hold it until morning, later than the cap and the daily count recorded.
SCHEDULING_MARGIN = timedelta(minutes=10)


def decide(order: dict, lead: dict, now: datetime, cap_hours: int, state: ContactState,
           margin: timedelta = timedelta(0)) -> Decision:
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

    if channel == "email" and not transactional and consent.revoked(lead, "email"):
        return Decision("suppress", "opted_out")
    if channel in ("sms", "voice"):
        if transactional:
            if consent.revoked(lead, channel):
                return Decision("suppress", "no_consent")
        elif not consent.granted(lead, channel):
            return Decision("suppress", "no_consent")
        zones, states = zones_for(lead), calling_states(lead)
        if not allowed_window_ok(now, zones, states) or not allowed_window_ok(now + margin, zones, states):
            return Decision("defer", "quiet_hours", next_allowed(now + margin, zones, states))
        limit = rule_for(states).max_calls_24h
        if not transactional and limit is not None:
            recent = sorted(t for t in state.solicitations if now - t < DAY)
            if len(recent) >= limit:
                return Decision("defer", "call_limit", recent[-limit] + DAY)
    elif channel == "email" and not transactional and not bypass:
        zones = zones_for(lead)
        if not business_hours_ok(now, zones):
            return Decision("defer", "business_hours", next_business_time(now, zones))

    if not transactional and not bypass and state.last_capped_at is not None:
        free_at = state.last_capped_at + timedelta(hours=cap_hours)
        if now < free_at:
            return Decision("defer", "cap", free_at)
    state.last_capped_at = now
    if channel in ("sms", "voice") and not transactional:
        state.solicitations.append(now)
        state.added += 1
    exempt = cap_exemption(order)
    return Decision("send", exempt=exempt) if exempt else SEND


def overtaken(order: dict, lead: dict, exit_stages: tuple[str, ...]) -> str | None:
    """Why a marketing touch already on the queue must not go after all, judged at delivery on
    the lead as it is now: the borrower moved to a stage its sequence leaves at (they applied
    while it waited), or another touch reached them after this one was planned (an answer to
    them, a loan update: the cap counts it). A transactional, hot or immediate touch goes."""
    if cap_exemption(order):
        return None
    if lead.get("stage") in exit_stages:
        return f"exited: the lead moved to {lead['stage']} after this touch was planned"
    last, planned = last_capped_at(lead), order.get("at")
    if last is not None and planned and last > datetime.fromisoformat(planned):
        return f"cap: another touch reached the lead at {last.isoformat()}, after this one was planned"
    return None


def cap_exemption(order: dict) -> str | None:
    """Why a touch to the borrower need not wait for the cap: the lead's own action first
    (the answer to a new inquiry), then a hot signal, then a transactional update."""
    if order.get("immediate"):
        return "immediate"
    if order.get("hot"):
        return "hot"
    return "transactional" if order.get("kind") == "transactional" else None


def last_capped_at(lead: dict) -> datetime | None:
    raw = lead.get("last_touch_at")
    return datetime.fromisoformat(raw) if raw else None
