"""The borrower's view (issue 29), local stage only: a lead's inbox and phone as the borrower sees
them, to watch a trigger fire in a demo without a terminal.

The inbox is read from the AWS stand-in's sent messages (``/moto-api/data.json``: raw MIME, exactly
what SES was given); each e-mail is served as sent, in a sandboxed frame whose links open the
tracked links themselves, so following one is the borrower's own click (``/t/c/...``, the
machine-click rules apply as to anyone). The phone is the stand-in's texts to the lead's number
with what the borrower typed here (kept in this process, as their own phone would: the engine
records that they answered, not their words); answering plays the same inbound simulators as
``POST /_local/inbound/sms`` and ``/email`` (STOP and HELP included). Every route answers 404 on
any stage that is not local.
"""
from __future__ import annotations

import json
from email import message_from_string, policy
from urllib.request import urlopen

from ..config import settings
from ..domain.lead import ValidationError
from ..services.context import context
from .routes import DONE, Page, page
from .web import CSP, environment

DONE.update({"texted": "Text sent as the borrower: the engine has it.",
             "emailed": "E-mail reply sent as the borrower: the engine has it.",
             "waited": "Time passed on the virtual clock: everything due meanwhile has run."})
WAITS = {"3600": "an hour", "86400": "a day", "259200": "three days", "1209600": "two weeks"}
# the lead page links here on the local stage only
environment().globals["borrower_view"] = settings().is_local
TYPED: dict[str, list[dict]] = {}  # lead id -> what the borrower sent from this view, oldest first
# the local stack's simulators (``inbound_sms(sender, body)``, ``inbound_email(sender, to, subject,
# body)``, ``advance(seconds)``: the virtual clock): chalicelib/local/routes.py sets them; a deployed stage has none (and the console
# never imports the local stack)
INBOUND = None
# an e-mail as sent: its own inline styles and images, no script, links open outside the frame
MAIL_CSP = ("default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'; font-src data:; "
            "form-action 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox")
PAGE_CSP = CSP + "; frame-src 'self'"
MAX_BODY = 1000


def _sent() -> dict:
    """What the AWS stand-in has sent: ``{"mail": [raw messages], "texts": [sms]}``."""
    base = settings().aws_endpoint_url or "http://127.0.0.1:5000"
    with urlopen(base.rstrip("/") + "/moto-api/data.json", timeout=30) as resp:  # noqa: S310 (the local stand-in)
        data = json.load(resp)
    return {"mail": (data.get("ses") or {}).get("RawMessage", []), "texts": (data.get("sns") or {}).get("SMS", [])}


def _part(message, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    return part.get_content() if part is not None else ""


def inbox(lead: dict, sent: dict) -> list[dict]:
    """The lead's e-mails, oldest first, each parsed as their mail program would."""
    address = (lead.get("email") or "").lower()
    out = []
    for m in sent["mail"]:
        if not address or address not in [d.lower() for d in m.get("destinations", [])]:
            continue
        msg = message_from_string(m["raw_data"], policy=policy.default)
        out.append({"n": len(out) + 1, "subject": str(msg["Subject"] or ""), "from": str(msg["From"] or ""),
                    "date": str(msg["Date"] or ""), "reply_to": str(msg["Reply-To"] or ""),
                    "html": _part(msg, "html"), "text": _part(msg, "plain")})
    return out


def phone(lead: dict, sent: dict, timeline: list[dict]) -> list[dict]:
    """The text thread, oldest first: the engine's texts (timed by their sent touches on the
    timeline, in order) and the borrower's own."""
    number = lead.get("phone")
    texts = [t["message"] for t in sent["texts"] if number and t.get("phone_number") == number]
    sent_at = [i["at"] for i in timeline if i.get("kind") == "touch" and i.get("channel") == "sms"
               and i.get("status") == "sent"]
    thread = [{"from": "engine", "body": body, "at": sent_at[k] if len(sent_at) == len(texts) else ""}
              for k, body in enumerate(texts)]
    thread += [{"from": "borrower", "body": t["body"], "at": t["at"]}
               for t in TYPED.get(lead["lead_id"], []) if t["channel"] == "sms"]
    if all(t["at"] for t in thread):
        thread.sort(key=lambda t: t["at"])
    return thread


def _local_lead(lead_id: str) -> dict | None:
    if not settings().is_local or INBOUND is None:
        return None
    return context().leads.get(lead_id)


def _missing(p: Page):
    return p.render("missing.html.j2", "", 404, what="lead")


@page("/console/leads/{lead_id}/borrower", action="local")
def borrower(p: Page, lead_id):
    from ..services.leads import timeline as lead_timeline

    lead = _local_lead(lead_id)
    if lead is None:
        return _missing(p)
    sent = _sent()
    items = lead_timeline(context(), lead_id) or []
    replies = [t for t in TYPED.get(lead_id, []) if t["channel"] == "email"]
    mail = inbox(lead, sent)
    return p.render("borrower.html.j2", "leads", headers={"Content-Security-Policy": PAGE_CSP}, lead=lead,
                    name=f"{lead.get('first_name', '')} {lead.get('last_name') or ''}".strip(),
                    mail=list(reversed(mail)), thread=phone(lead, sent, items), replies=replies, waits=WAITS)


@page("/console/leads/{lead_id}/borrower/mail/{n}", action="local")
def borrower_mail(p: Page, lead_id, n):
    """One e-mail's HTML part as sent, for the inbox's frame (its links are the tracked links)."""
    from chalice import Response

    from .web import SECURITY_HEADERS

    lead = _local_lead(lead_id)
    mail = inbox(lead, _sent()) if lead else []
    if not n.isdigit() or not 1 <= int(n) <= len(mail):
        return _missing(p)
    html = mail[int(n) - 1]["html"] or "<pre>" + mail[int(n) - 1]["text"].replace("<", "&lt;") + "</pre>"
    # links open in a window of their own: the borrower's browser following the tracked link
    html = html.replace("<head>", '<head><base target="_blank">', 1) if "<head>" in html else \
        '<base target="_blank">' + html
    return Response(html, status_code=200, headers={**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8",
                                                    "Content-Security-Policy": MAIL_CSP,
                                                    "X-Frame-Options": "SAMEORIGIN"})


def _typed(lead_id: str, channel: str, body: str, subject: str = "") -> None:
    from ..clock import now

    TYPED.setdefault(lead_id, []).append({"channel": channel, "body": body, "subject": subject,
                                          "at": now().isoformat()})


def _body(p: Page) -> str:
    body = (p.form.get("body") or "").strip()
    if not body:
        raise ValidationError({"body": "type what the borrower says"})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"at most {MAX_BODY} characters"})
    return body


@page("/console/leads/{lead_id}/borrower/sms", methods=["POST"], action="local")
def borrower_sms(p: Page, lead_id):
    """A text from the borrower's phone (STOP, HELP and START are understood as the carrier's)."""
    lead = _local_lead(lead_id)
    if lead is None:
        return _missing(p)
    body = _body(p)
    if not lead.get("phone"):
        raise ValidationError({"body": "this borrower has no phone number on file"})
    _typed(lead_id, "sms", body)
    INBOUND.inbound_sms(lead["phone"], body)
    return p.go(f"/console/leads/{lead_id}/borrower", done="texted")


@page("/console/leads/{lead_id}/borrower/email", methods=["POST"], action="local")
def borrower_email(p: Page, lead_id):
    """A reply from the borrower's mail program, to the latest e-mail's reply address."""
    lead = _local_lead(lead_id)
    if lead is None:
        return _missing(p)
    body = _body(p)
    if not lead.get("email"):
        raise ValidationError({"body": "this borrower has no e-mail address on file"})
    mail = inbox(lead, _sent())
    last = mail[-1] if mail else None
    from email.utils import parseaddr

    to = parseaddr(last["reply_to"])[1] if last and last["reply_to"] else settings().team.sender_email
    subject = f"Re: {last['subject']}" if last else "Question"
    _typed(lead_id, "email", body, subject)
    INBOUND.inbound_email(lead["email"], to, subject, body)
    return p.go(f"/console/leads/{lead_id}/borrower", done="emailed")


@page("/console/leads/{lead_id}/borrower/clock", methods=["POST"], action="local")
def borrower_wait(p: Page, lead_id):
    """Let time pass on the virtual clock (``POST /_local/clock``): the next touches go."""
    if _local_lead(lead_id) is None:
        return _missing(p)
    seconds = p.form.get("seconds", "")
    if seconds not in WAITS:
        raise ValidationError({"seconds": f"must be one of {', '.join(WAITS)}"})
    INBOUND.advance(float(seconds))
    return p.go(f"/console/leads/{lead_id}/borrower", done="waited")
