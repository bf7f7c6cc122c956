"""A borrower's record on request (export) and erasure on request, and the suppression an
erasure leaves, checked wherever a person comes in (a new lead, an import, a queued touch).

What stays and what goes is decided in domain/privacy.py; the store applies it
(store/privacy.py and its memory twin). ``by`` is who asked (api/http.py ``actor``).
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache, partial

from ..domain import privacy, timeline as timeline_rules
from ..domain.lead import ValidationError, text_problem
from ..observability import logger
from .context import Context

REASON_LIMIT = 500


class NotConfigured(Exception):
    """The stage has no erasure key: nothing is erased (the API says so: 503, not a 500)."""


@lru_cache(maxsize=1)
def _secret() -> bytes | None:
    """The team's erasure key (config.py): None when the stage has none, and then nothing can
    have been erased on it (``erase`` refuses)."""
    from ..config import settings

    s = settings()
    if s.erasure_key_param:
        from aws_lambda_powertools.utilities import parameters

        return parameters.get_parameter(s.erasure_key_param, decrypt=True, max_age=300).encode()
    return s.erasure_key.encode() if s.erasure_key else None


def _keys(email: str | None, phone: str | None) -> list[str]:
    secret = _secret()
    return privacy.suppression_keys(email, phone, secret) if secret else []


# -- the suppression, where people come in -------------------------------------------------------

def erased_before(ctx: Context, email: str | None, phone: str | None) -> bool:
    """Whether this e-mail or phone belongs to a person erased on request (one BatchGetItem)."""
    keys = _keys(email, phone)
    return bool(keys) and bool(ctx.privacy.suppressed(keys))


def unless_erased(ctx: Context, lead: dict, now: datetime) -> dict:
    """A new lead, suppressed on every channel if it is a person erased before."""
    if erased_before(ctx, lead.get("email"), lead.get("phone")):
        logger.info("a person erased before came back: suppressed", extra={"lead_id": lead.get("lead_id")})
        return privacy.suppress_erased(lead, now.isoformat())
    return lead


def erased_among(ctx: Context, people: list[tuple[str | None, str | None]]) -> list[bool]:
    """For each (e-mail, phone), whether it is a person erased before: one lookup for all."""
    keyed = [_keys(email, phone) for email, phone in people]
    found = ctx.privacy.suppressed([k for keys in keyed for k in keys]) if any(keyed) else {}
    return [any(k in found for k in keys) for keys in keyed]


# -- the record ----------------------------------------------------------------------------------

def _tombstone(items: list[dict]) -> dict | None:
    return next((i for i in items if i.get("kind") == privacy.ERASED), None)


def _rerender(ctx: Context, touch: dict, lead: dict) -> tuple[dict | None, str | None]:
    """A sent touch's content, rendered again from its template for the lead as it is now, at
    the time it was sent (no tracking links: they would record opens)."""
    from ..content.merge import build_context, lead_extras
    from ..content.render import Blocked, MergeError, render
    from .templates import words_sent

    team = ctx.settings.team
    at = datetime.fromisoformat(next((h["at"] for h in touch.get("history") or [] if h.get("status") == "sent"),
                                     touch["at"]))
    try:
        r = render({**touch, "pinned_text": words_sent(ctx, touch)} if touch.get("template_version") else touch,
                   build_context(lead, team, team.links, at, lead_extras(lead)))
    except (Blocked, MergeError, KeyError) as exc:
        return None, f"could not be rendered again: {exc}"
    return {k: v for k, v in (("subject", r.subject), ("title", r.title), ("text", r.text)) if v is not None}, None


def export(ctx: Context, lead_id: str, now: datetime, by: str) -> dict | None:
    """The borrower's whole record as one document; what an erasure left, for an erased lead;
    None for a lead that never was. The export itself goes on the timeline (who, when)."""
    lead = ctx.leads.get(lead_id)
    items = ctx.timeline.list(lead_id)
    tomb = _tombstone(items)
    if lead is None and tomb is None:
        return None
    touches = ctx.touches.for_lead(lead_id)
    enrollments = ctx.enrollments.for_lead(lead_id, lead) if lead else []
    contents = {t["touch_id"]: _rerender(ctx, t, lead) for t in touches
                if lead and any(h.get("status") == "sent" for h in t.get("history") or [])}
    record = privacy.borrower_record(
        lead_id, lead, touches, contents, timeline_rules.assemble(items, touches, enrollments),
        ctx.tasks.list(None, None, lead_id=lead_id, limit=1000), tomb, now.isoformat(), by)
    ctx.timeline.append(lead_id, {"at": now.isoformat(), "kind": "event", "type": "record_exported",
                                  "machine": False, "by": by, "data": {}})
    logger.info("borrower record exported", extra={"lead_id": lead_id, "by": by, "erased": tomb is not None})
    return record


# -- erasure -------------------------------------------------------------------------------------

def _reason(body: object) -> str | None:
    if body in (None, {}):
        return None
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise ValidationError({unknown[0]: "is not a field of an erasure (only reason)"})
    reason = body.get("reason")
    if reason in (None, ""):
        return None
    problem = text_problem(reason, REASON_LIMIT, multiline=True)
    if problem:
        raise ValidationError({"reason": problem})
    return reason.strip()


def erase(ctx: Context, lead_id: str, body: object, now: datetime, by: str) -> dict | None:
    """Remove the person from every table, keep their suppression and a tombstone. In this order,
    so that a failure half way loses nothing the law needs: the suppression entries, then the lead
    with its claims and plan (nothing runs for it any more) and the tombstone in one transaction,
    then the records around it. Asked again, it finishes what a failed run left (200 either way);
    None for a lead that never was."""
    reason = _reason(body)
    lead = ctx.leads.get(lead_id)
    at = now.isoformat()
    if lead is None:
        tomb = _tombstone(ctx.timeline.list(lead_id))
        if tomb is None:
            return None
        counts = ctx.privacy.scrub(lead_id, privacy.scrub_touch, privacy.scrub_item, privacy.scrub_task)
        return {"lead_id": lead_id, "erased": {"at": tomb["at"], "by": tomb.get("by")}, "already": True,
                "removed": counts}
    secret = _secret()
    if not secret:
        raise NotConfigured("no erasure key on this stage: set ERASURE_KEY_PARAM (docs/operations.md)")
    ctx.privacy.suppress(privacy.suppression_keys(lead.get("email"), lead.get("phone"), secret), lead_id, at)
    ctx.privacy.erase_lead(lead, privacy.tombstone(lead, at, by, reason))
    words = privacy.needles(lead)
    counts = ctx.privacy.scrub(lead_id, partial(privacy.scrub_touch, words=words),
                               partial(privacy.scrub_item, words=words), privacy.scrub_task)
    counts["imports"] = ctx.privacy.forget_in_imports(words)
    from .guard import count_leads

    count_leads(ctx, -1)
    logger.info("lead erased", extra={"lead_id": lead_id, "by": by, **counts})
    return {"lead_id": lead_id, "erased": {"at": at, "by": by}, "already": False, "removed": counts}
