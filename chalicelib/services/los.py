"""LOS milestone webhooks: ``POST /integrations/los`` in, a stage change out.

The route checks the body (and the signature, when the team set a secret) and queues one
``los_milestone`` event: one SendMessage, then 202. The events consumer finds the lead by loan
number (else by the borrower's e-mail), maps the milestone through the team's table
(``domain.milestones``) and, when it moves the lead forward, asks for the stage change exactly
as ``POST /leads/{id}/stage`` does (``leads.request_stage_change``), so the same triggers run.
Every milestone is recorded on the lead's timeline (``los_milestone``: applied, ignored or
unknown, with the reason) and counted by milestone and outcome (``GET /integrations/los/milestones``),
so a team sees which of its LOS's milestone names still need a line in its table.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone
from functools import lru_cache

from ..domain.lead import ValidationError, normalize_email
from ..domain.los_values import parse_loan_number, squeeze
from ..domain.milestones import judge, stage_for, table
from ..observability import logger
from .context import Context

EVENT = "los_milestone"
# Our header carries "sha256=<hex>"; Encompass signs with "Elli-Signature: <base64>". Both are an
# HMAC-SHA256 of the raw body with the shared secret.
SIGNATURE_HEADERS = ("x-touchengine-signature", "elli-signature")


@lru_cache(maxsize=1)
def _secret() -> bytes | None:
    from ..config import settings

    s = settings()
    if s.los_webhook_secret_param:
        from aws_lambda_powertools.utilities import parameters

        return parameters.get_parameter(s.los_webhook_secret_param, decrypt=True, max_age=300).encode()
    return s.los_webhook_secret.encode() if s.los_webhook_secret else None


def signature_ok(raw: bytes, headers: dict, secret: bytes | None = None) -> bool:
    """True when no secret is set, or when a signature header holds the body's HMAC-SHA256."""
    secret = secret if secret is not None else _secret()
    if not secret:
        return True
    digest = hmac.new(secret, raw or b"", hashlib.sha256).digest()
    expected = {"x-touchengine-signature": "sha256=" + digest.hex(),
                "elli-signature": base64.b64encode(digest).decode()}
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    ok = False
    for name in SIGNATURE_HEADERS:
        given = (lowered.get(name) or "").strip()
        ok |= bool(given) and hmac.compare_digest(given.encode(), expected[name].encode())
    return ok


def validate(body: object) -> dict:
    """The webhook's fields, or ValidationError naming each bad one."""
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    out: dict = {}
    milestone = body.get("milestone")
    if not isinstance(milestone, str) or not squeeze(milestone) or len(milestone) > 100:
        errors["milestone"] = "is required: the LOS milestone's name, e.g. \"Cond. Approval\""
    else:
        out["milestone"] = milestone.strip()
    if body.get("loan_number") is not None:
        number, problem = parse_loan_number(str(body["loan_number"]))
        if problem:
            errors["loan_number"] = problem
        elif number:
            out["loan_number"] = number
    borrower = body.get("borrower")
    if borrower is not None and not isinstance(borrower, dict):
        errors["borrower"] = "must be an object such as {\"email\": \"...\"}"
    elif borrower and borrower.get("email") is not None:
        email = normalize_email(borrower["email"])
        if email is None:
            errors["borrower.email"] = "is not a valid e-mail address"
        else:
            out["email"] = email
    if "loan_number" not in out and "email" not in out and not errors.keys() & {"loan_number", "borrower.email"}:
        errors["loan_number"] = "loan_number or borrower.email is required to find the lead"
    if body.get("at") is not None:
        try:
            at = datetime.fromisoformat(str(body["at"]).replace("Z", "+00:00"))
            if at.tzinfo is None:
                raise ValueError
            out["at"] = at.astimezone(timezone.utc).isoformat()
        except ValueError:
            errors["at"] = "must be an ISO 8601 time with offset"
    if errors:
        raise ValidationError(errors)
    return out


def receive(ctx: Context, body: object, now: datetime, correlation_id: str | None) -> str:
    """Queue a checked milestone; returns the event id."""
    from .. import bus

    fields = validate(body)
    event = bus.make_event(None, EVENT, fields, now, "los", correlation_id)
    bus.publish(event)
    return event["event_id"]


def _find(ctx: Context, data: dict) -> tuple[str | None, str | None]:
    if data.get("loan_number"):
        owner = ctx.imports.owner("loan", data["loan_number"])
        if owner:
            return owner, "loan"
    if data.get("email"):
        owner = ctx.leads.find_duplicate(data["email"], None)
        if owner:
            return owner, "email"
    return None, None


def handle_milestone(ctx: Context, event: dict, now: datetime) -> str:
    """Find, map, judge; move the lead when the milestone is a step forward."""
    from .leads import request_stage_change

    data = event.get("data") or {}
    name = data.get("milestone") or ""
    key = squeeze(name)
    lead_id, found_by = _find(ctx, data)
    lead = ctx.leads.get(lead_id) if lead_id else None
    if lead is None:
        ctx.imports.count_milestone(key, name, "unmatched", now)
        logger.info("LOS milestone matched no lead", extra={"milestone": name, "has_loan_number": "loan_number" in data})
        return "unmatched"
    known, stage = stage_for(name, table(ctx.settings.team.milestones))
    new_loan = found_by == "email" and bool(data.get("loan_number"))
    if not known:
        outcome, reason = "unknown", "not in the team's milestone table"
    elif stage is None:
        outcome, reason = "ignored", "the team's table maps it to no stage"
    else:
        applies, reason = judge(lead.get("stage") or "new_lead", stage, new_loan=new_loan)
        outcome = "applied" if applies else "ignored"
    if outcome == "applied":
        if data.get("loan_number"):
            ctx.imports.claim("loan", data["loan_number"], lead_id)
        request_stage_change(ctx, lead_id, {"stage": stage}, now, event.get("correlation_id") or "",
                             source="los", event_id=f"{event['event_id']}:stage")
    item = {"at": now.isoformat(), "kind": "event", "type": EVENT, "machine": False,
            "data": {"milestone": name, "loan_number": data.get("loan_number"), "stage": stage, "outcome": outcome,
                     "reason": reason, "los_at": data.get("at")}}
    if ctx.timeline.append(lead_id, item, item_id=event["event_id"], once=True):
        ctx.imports.count_milestone(key, name, outcome, now)  # a redelivered event is counted once
    logger.info("LOS milestone", extra={"lead_id": lead_id, "milestone": name, "outcome": outcome})
    return outcome


def milestones(ctx: Context) -> dict:
    """The team's effective table and what the LOS has sent, by milestone and outcome."""
    from ..domain.milestones import DEFAULT_MILESTONES

    effective = {**DEFAULT_MILESTONES, **ctx.settings.team.milestones}
    return {"table": effective, "received": sorted(ctx.imports.milestones(),
                                                   key=lambda m: (m.get("outcome", ""), -m["count"]))}
