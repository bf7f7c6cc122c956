"""Management use cases for leads: plain functions over repositories (no HTTP here)."""
from __future__ import annotations

import uuid
from datetime import datetime

from .. import bus
from ..domain import consent, timeline as timeline_rules
from ..domain.lead import EXTERNAL_EVENT_TYPES, STAGES, ValidationError, validate_consent_grant, validate_lead
from ..store.errors import Conflict, Duplicate  # noqa: F401  (re-exported for the API layer)
from .context import Context
from .guard import count_leads


def public_lead(lead: dict) -> dict:
    out = {k: v for k, v in lead.items() if not k.startswith("_") and k != "consent_records"}
    # the ledger's reading, the one the contact policy uses (an older lead's bare opt-out reads as revoked)
    out["consent"] = {ch: {k: v for k, v in rec.items() if k != "channel"} for ch, rec in consent.ledger(lead).items()}
    out["consent_history"] = lead.get("consent_records", [])
    return out


def create_lead(ctx: Context, body: object, now: datetime, correlation_id: str, by: str | None = None) -> dict:
    """``by``: who asks (api/http.py actor), recorded on the consent the request carries."""
    from .privacy import unless_erased

    team = ctx.settings.team
    fields = validate_lead(body, now, lo_ids=tuple(lo.id for lo in team.los))
    lead = {
        "lead_id": uuid.uuid4().hex,
        "stage": "new_lead",
        "lo_id": team.los[0].id,
        **fields,
        "created_at": now.isoformat(),
        "updated_at": now.isoformat(),
        "stage_changed_at": now.isoformat(),
        "consent_records": [{**r, "by": by or "api"} for r in fields.get("consent_records", [])],
        "suppressed": {},
    }
    from .reputation import screen

    lead = screen(ctx, lead)  # clean lists in: disposable refused, role flagged, a bounced address suppressed
    lead = ctx.leads.create(unless_erased(ctx, lead, now))  # a person erased before is never marketed to
    count_leads(ctx, 1)  # the book the mass-send breaker measures runs against
    bus.publish(bus.make_event(lead["lead_id"], "lead_created", {"stage": lead["stage"]}, now, "api",
                               correlation_id, by=by))
    return lead


def patch_lead(ctx: Context, lead_id: str, body: object, now: datetime) -> dict | None:
    team = ctx.settings.team
    validated = validate_lead(body, now, partial=True, lo_ids=tuple(lo.id for lo in team.los))
    from ..domain.addresses import refusal

    if refusal(validated.get("email")):
        raise ValidationError({"email": refusal(validated["email"])})
    for _ in range(3):
        fields = dict(validated)  # each attempt starts from the request, not from the last attempt
        lead = ctx.leads.get(lead_id)
        if lead is None:
            return None
        if ("email" in fields and fields["email"] != lead.get("email")) or \
                ("phone" in fields and fields["phone"] != lead.get("phone")):
            dup = ctx.leads.find_duplicate(fields.get("email"), fields.get("phone"), exclude=lead_id)
            if dup:
                raise Duplicate(dup)
        for nested in ("loan", "realtor"):
            if nested in fields:
                fields[nested] = {**(lead.get(nested) or {}), **fields[nested]}
        if "timezone" in fields:
            lead.pop("timezone_derived", None)  # an explicit zone is trusted as given
        elif lead.get("timezone_derived") and ("state" in fields or "phone" in fields):
            from ..domain.timezones import derive_timezone

            lead["timezone"] = derive_timezone(fields.get("state", lead.get("state")),
                                               fields.get("phone", lead.get("phone"))) or lead.get("timezone")
        was = {"email": lead.get("email"), "phone": lead.get("phone")}
        lead.update(fields)
        lead["updated_at"] = now.isoformat()
        try:
            return ctx.leads.save(lead, was=was)
        except Conflict:
            continue
    raise Conflict(lead_id)


def request_stage_change(ctx: Context, lead_id: str, body: object, now: datetime, correlation_id: str,
                         *, source: str = "api", event_id: str | None = None, by: str | None = None) -> bool:
    """``event_id``: a caller's own id (an LOS webhook's), so a redelivered request moves the lead once."""
    stage = body.get("stage") if isinstance(body, dict) else None
    if stage not in STAGES:
        raise ValidationError({"stage": f"must be one of {', '.join(STAGES)}"})
    if ctx.leads.get(lead_id) is None:
        return False
    bus.publish(bus.make_event(lead_id, "stage_change_requested", {"stage": stage}, now, source, correlation_id,
                               event_id=event_id, by=by))
    return True


def ingest_event(ctx: Context, lead_id: str, body: object, now: datetime, correlation_id: str,
                 by: str | None = None) -> bool:
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors = {}
    if body.get("type") not in EXTERNAL_EVENT_TYPES:
        errors["type"] = f"must be one of {', '.join(EXTERNAL_EVENT_TYPES)}"
    if not isinstance(body.get("data", {}), dict):
        errors["data"] = "must be an object"
    elif body.get("type") == "join_program":
        from ..domain.cadence import PROGRAMS

        if (body.get("data") or {}).get("program", PROGRAMS[0]) not in PROGRAMS:
            errors["data.program"] = f"must be one of {', '.join(PROGRAMS)}"
    if errors:
        raise ValidationError(errors)
    lead = ctx.leads.get(lead_id)
    if lead is None:
        return False
    from .rates import with_market

    # credit pulls and home values are judged against today's rate: the pure triggers can't read it
    data = with_market(ctx, lead, body["type"], body.get("data") or {}, now.date())
    bus.publish(bus.make_event(lead_id, body["type"], data, now, "api", correlation_id, by=by))
    return True


def change_consent(ctx: Context, lead_id: str, body: object, now: datetime, correlation_id: str,
                   by: str | None = None) -> dict | None:
    """Consent is history: a change appends a record, the latest per channel wins."""
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    channel = body.get("channel")
    if channel not in ("email", "sms", "voice"):
        errors["channel"] = "must be one of email, sms, voice"
    record = validate_consent_grant(channel or "?", {k: v for k, v in body.items() if k != "channel"},
                                    now, "", errors)
    if errors:
        raise ValidationError(errors)
    record = {**record, "by": by or "api"}
    for _ in range(3):
        lead = ctx.leads.get(lead_id)
        if lead is None:
            return None
        # a grant lifts the person's own opt-out or complaint, never a bounce (domain/consent.py)
        lead = consent.record(lead, record)
        lead["updated_at"] = now.isoformat()
        try:
            saved = ctx.leads.save(lead)
        except Conflict:
            continue
        ctx.timeline.append(lead_id, {"at": now.isoformat(), "kind": "event", "type": "consent_changed",
                                      "machine": False, "data": {k: v for k, v in record.items() if k != "text"},
                                      **({"by": by} if by else {})})
        bus.publish(bus.make_event(lead_id, "consent_changed", {"channel": channel, "granted": record["granted"]},
                                   now, "api", correlation_id, by=by))
        return saved
    raise Conflict(lead_id)


def timeline(ctx: Context, lead_id: str) -> list[dict] | None:
    if ctx.leads.get(lead_id) is None:
        return None
    return timeline_rules.assemble(ctx.timeline.list(lead_id), ctx.touches.for_lead(lead_id),
                                   ctx.enrollments.for_lead(lead_id))
