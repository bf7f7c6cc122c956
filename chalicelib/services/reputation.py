"""Sender reputation: the counters, the brake, resume, the scheduler's gate, readiness in SES.

The rules are domain/reputation.py's; this module reads and writes their state
(store/deliverability.py) and tells ops. Who feeds it:

* the minute scheduler: :func:`gate` once per run (one Query: today's counters and the state),
  then :func:`count_sends` (one ADD for the run's e-mails);
* SES's bounce and complaint notifications (``api/workers.receive_ses_feedback``):
  :func:`record_feedback` adds to the day's counters, remembers a hard-bounced address, and
  judges the window (:func:`evaluate`), which may brake the identity and tell ops;
* a person: ``POST /deliverability/{identity}/resume`` (:func:`resume`), recorded with ``by``.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from ..domain import reputation as rules
from ..observability import logger
from .context import Context


def settings_for(ctx: Context) -> dict:
    return rules.settings_of({"reputation": getattr(ctx.settings.team, "reputation", None) or {}})


def identities(ctx: Context) -> list[str]:
    """The team's sending identities: the domain of its From address."""
    return [rules.identity_of(ctx.settings.team.sender_email)]


def address_key(address: str) -> str:
    return hashlib.sha256((address or "").strip().lower().encode()).hexdigest()


def bounced_at(ctx: Context, address: str | None) -> str | None:
    """When this address bounced hard (on any lead), or None."""
    return ctx.deliverability.bounced(address_key(address)) if address else None


def screen(ctx: Context, lead: dict) -> dict:
    """Clean lists in, for a lead about to be created: a disposable address is refused (400
    naming ``email``), a role account flagged (``address_warning``), an address that bounced
    hard before (on any lead) suppressed at once, as the bounce suppressed it there."""
    from ..domain import addresses
    from ..domain.lead import ValidationError

    email = lead.get("email")
    if not email:
        return lead
    refused = addresses.refusal(email)
    if refused:
        raise ValidationError({"email": refused})
    lead = {**lead}
    if addresses.warning(email):
        lead["address_warning"] = addresses.warning(email)
    return suppress_if_bounced(ctx, lead)


def suppress_if_bounced(ctx: Context, lead: dict) -> dict:
    at = bounced_at(ctx, lead.get("email"))
    if at and "email" not in (lead.get("suppressed") or {}):
        lead = {**lead, "suppressed": {**(lead.get("suppressed") or {}),
                                       "email": {"reason": "bounced", "at": at, "source": "ses: an earlier hard bounce"}}}
    return lead


# -- the scheduler's side ----------------------------------------------------------------------

def gate(ctx: Context, now: datetime) -> rules.Gate:
    """The run's gate for the team's identity. A failed read must not stop the scheduler: it
    then plans as if the identity were fine and warm (logged)."""
    s = settings_for(ctx)
    identity = identities(ctx)[0]
    today = now.date()
    try:
        days, state = ctx.deliverability.read(identity, today.isoformat())
        if state and state.get("state") == "braked" and s["auto_resume"]:
            state = evaluate(ctx, now, identity) or state
    except Exception:
        logger.exception("deliverability state not read; planning without the brake", extra={"identity": identity})
        return rules.Gate(s)
    braked = bool(state and state.get("state") == "braked")
    return rules.Gate(s, braked=braked, reason=(state or {}).get("reason", ""),
                      limit=rules.daily_limit(today, s), used_today=int((days.get(today.isoformat()) or {}).get("marketing", 0)))


def count_sends(ctx: Context, touches: list[dict], now: datetime) -> None:
    """The e-mails a scheduler run queued into today's counters (one ADD; best effort, as the
    analytics counters are)."""
    counts = rules.tally(touches)
    if not counts["sent"]:
        return
    try:
        ctx.deliverability.add(identities(ctx)[0], now.date().isoformat(), counts)
    except Exception:
        logger.exception("deliverability counters not written", extra=counts)


# -- SES feedback and the brake ----------------------------------------------------------------

FEEDBACK = {"hard_bounce": "hard_bounces", "soft_bounce": "soft_bounces", "complaint": "complaints"}


def record_feedback(ctx: Context, kind: str, addresses: list[str], now: datetime, source: str | None = None) -> None:
    """One SES notification: its recipients counted against the identity that sent the mail
    (``source``: the From address SES reports; else the team's), a hard-bounced address
    remembered so every lead with it is suppressed, then the window judged."""
    identity = rules.identity_of(source) if source and "@" in source else identities(ctx)[0]
    if identity not in identities(ctx):
        identity = identities(ctx)[0]
    ctx.deliverability.add(identity, now.date().isoformat(), {FEEDBACK[kind]: len(addresses) or 1})
    if kind == "hard_bounce":
        for address in addresses:
            if address:
                ctx.deliverability.mark_bounced(address_key(address), now.isoformat())
    if kind != "soft_bounce":
        evaluate(ctx, now, identity)


def _window(ctx: Context, identity: str, now: datetime, s: dict) -> tuple[dict, dict | None]:
    first = (now.date() - timedelta(days=int(s["max_window_days"]))).isoformat()
    return ctx.deliverability.read(identity, first)


def evaluate(ctx: Context, now: datetime, identity: str) -> dict | None:
    """Judge the identity's window; brake it (and tell ops) or, with ``auto_resume``, let it go.
    Returns the state written, or None when nothing changed."""
    s = settings_for(ctx)
    for _ in range(3):
        days, state = _window(ctx, identity, now, s)
        verdict = rules.judge(days, now.date(), s)
        new = rules.next_state(state, verdict, now, s)
        if new is None:
            return None
        if ctx.deliverability.put_state(identity, new, int((state or {}).get("version", 0))):
            if new["state"] == "braked":
                from .notify import notify_ops

                notify_ops(ctx, f"marketing e-mail from {identity} braked", {
                    "identity": identity, "reason": new["reason"], "braked_at": new["braked_at"],
                    "what": "marketing e-mail waits (reason braked); loan-status updates and replies still go",
                    "resume": f"POST /deliverability/{identity}/resume once the cause is fixed"})
                logger.warning("sending identity braked", extra={"identity": identity, "reason": new["reason"]})
            return new
    return None


class NotBraked(Exception):
    def __init__(self, state: dict):
        self.state = state


def resume(ctx: Context, identity: str, now: datetime, by: str) -> dict | None:
    """A person lets marketing go again. The window's counts at that moment are kept, so the
    same numbers do not trip it again at once (new bounces or complaints do). None: no such
    identity; NotBraked: it was not braked."""
    if identity not in identities(ctx):
        return None
    s = settings_for(ctx)
    for _ in range(3):
        days, state = _window(ctx, identity, now, s)
        if not state or state.get("state") != "braked":
            raise NotBraked(public(identity, days, state, now, s))
        verdict = rules.judge(days, now.date(), s)
        new = {**state, "state": "ok", "reason": "", "resumed_at": now.isoformat(), "resumed_by": by,
               "resumed_counts": {"hard_bounces": verdict.bounces.count, "complaints": verdict.complaints.count},
               "last_brake": {"reason": state.get("reason"), "braked_at": state.get("braked_at")}}
        if ctx.deliverability.put_state(identity, new, int(state.get("version", 0))):
            logger.info("sending identity resumed", extra={"identity": identity, "by": by})
            return public(identity, days, {**new, "version": state.get("version", 0) + 1}, now, s)
    return None


# -- what people see ---------------------------------------------------------------------------

def public(identity: str, days: dict, state: dict | None, now: datetime, s: dict) -> dict:
    today = now.date()
    week = rules.seven_days(days, today, int(s["window_days"]))
    verdict = rules.judge(days, today, s)
    limit = rules.daily_limit(today, s)
    braked = bool(state and state.get("state") == "braked")
    name = "braked" if braked else ("warming" if limit is not None else "ok")
    sent = week["sent"]
    return {"identity": identity, "state": name, "sent_7d": sent, "marketing_7d": week["marketing"],
            "hard_bounces_7d": week["hard_bounces"], "soft_bounces_7d": week["soft_bounces"],
            "complaints_7d": week["complaints"],
            "bounce_rate_7d": round(week["hard_bounces"] / sent, 4) if sent else 0.0,
            "complaint_rate_7d": round(week["complaints"] / sent, 5) if sent else 0.0,
            "judged": {"bounce_rate": round(verdict.bounces.rate, 4), "bounce_days": verdict.bounces.days,
                       "bounce_sample": verdict.bounces.sent, "bounce_judged": verdict.bounces.judged,
                       "complaint_rate": round(verdict.complaints.rate, 5), "complaint_days": verdict.complaints.days,
                       "complaint_sample": verdict.complaints.sent, "complaint_judged": verdict.complaints.judged,
                       "bounce_over": "hard_bounces" in verdict.over_lines,
                       "complaint_over": "complaints" in verdict.over_lines},
            "thresholds": {"bounce": s["bounce_brake"], "complaint": s["complaint_brake"],
                           "min_sample": s["min_sample"], "complaint_min_sample": s["complaint_min_sample"],
                           "max_window_days": s["max_window_days"],
                           "auto_resume": bool(s["auto_resume"])},
            "daily_limit": limit, "marketing_today": int((days.get(today.isoformat()) or {}).get("marketing", 0)),
            "reason": state.get("reason", "") if braked else "",
            "braked_at": (state or {}).get("braked_at") if braked else None,
            "resumed_at": (state or {}).get("resumed_at"), "resumed_by": (state or {}).get("resumed_by"),
            "last_brake": (state or {}).get("last_brake")}


def view(ctx: Context, now: datetime) -> dict:
    s = settings_for(ctx)
    out = []
    for identity in identities(ctx):
        days, state = _window(ctx, identity, now, s)
        out.append(public(identity, days, state, now, s))
    return {"identities": out}


def readiness(ctx: Context) -> dict:
    """What SES says of the identity: DKIM signing and a custom MAIL FROM domain verified (both
    needed for SPF and DKIM alignment under DMARC), and the DMARC record the team must publish
    itself (SES does not report it). Unknown when SES cannot be asked."""
    from ..aws import client

    identity = identities(ctx)[0]
    out = {"identity": identity, "dkim": "unknown", "mail_from": "unknown", "mail_from_domain": None,
           "ready": False, "error": None,
           "dmarc": f"publish a DMARC record (TXT _dmarc.{identity}, at least p=none with rua=) and align SPF or "
                    "DKIM with the From domain: Gmail and Yahoo require it of bulk senders"}
    try:
        got = client("sesv2").get_email_identity(EmailIdentity=identity)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        out["error"] = "not an SES identity yet" if code == "NotFoundException" else f"SES not reachable ({code})"
        return out
    dkim = got.get("DkimAttributes") or {}
    mail_from = got.get("MailFromAttributes") or {}
    out["dkim"] = "verified" if dkim.get("SigningEnabled") and dkim.get("Status") == "SUCCESS" else \
        (dkim.get("Status") or "not set up").lower().replace("_", " ")
    out["mail_from_domain"] = mail_from.get("MailFromDomain") or None
    out["mail_from"] = "verified" if mail_from.get("MailFromDomainStatus") == "SUCCESS" else \
        (mail_from.get("MailFromDomainStatus") or "not set up").lower().replace("_", " ")
    out["ready"] = out["dkim"] == "verified" and out["mail_from"] == "verified"
    return out
