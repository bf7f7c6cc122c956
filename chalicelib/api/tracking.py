"""Public tracking routes: open pixel, click redirect, unsubscribe.

The request path verifies the signed token (no AWS call) and makes exactly one AWS call:
SendMessage of the event. Everything else (machine detection by timing, behaviour rules)
happens in the events consumer.
"""
from __future__ import annotations

import base64
import html

from chalice import Blueprint, Response

from .. import bus
from ..clock import now

bp = Blueprint(__name__)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache"}


def _check(token: str, kind: str):
    from ..tracking.links import check

    payload = check(token)
    return payload if payload and payload.kind == kind else None


def _request_facts() -> dict:
    req = bp.current_request
    identity = (req.context or {}).get("identity") or {}
    return {"method": req.method, "user_agent": (req.headers.get("user-agent") or "")[:300],
            "ip": identity.get("sourceIp") or req.headers.get("x-forwarded-for", "").split(",")[0].strip() or None}


def _first_pass_machine(facts: dict, kind: str) -> tuple[bool, str]:
    """What the request alone says (method, user agent, address); timing is judged later."""
    from ..tracking.machines import classify

    return classify(kind, facts["method"], facts["user_agent"], facts["ip"], now(), None)


def _enqueue(payload, type_: str, extra: dict) -> None:
    facts = _request_facts()
    machine, why = _first_pass_machine(facts, "open" if type_ == "email_opened" else "click")
    data = {"touch_id": payload.touch_id, **extra, **facts, "machine": machine, "machine_reason": why}
    bus.publish(bus.make_event(payload.lead_id, type_, data, now(), "tracking"))


@bp.route("/t/o/{token}", methods=["GET"])
def open_pixel(token):
    payload = _check(token, "o")
    if payload is not None:
        _enqueue(payload, "email_opened", {})
    return Response(body=PIXEL, status_code=200, headers={"Content-Type": "image/gif", **NO_STORE})


@bp.route("/t/c/{token}", methods=["GET", "HEAD"])
def click(token):
    payload = _check(token, "c")
    if payload is None or not payload.url:
        return Response(body='{"error": "not_found"}', status_code=404, headers={"Content-Type": "application/json"})
    _enqueue(payload, "link_clicked", {"url": payload.url})
    return Response(body="", status_code=302, headers={"Location": payload.url, **NO_STORE})


_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head><body style="font-family:Helvetica,Arial,sans-serif;max-width:520px;margin:48px auto;padding:0 16px;color:#1f2933">
<h1 style="font-size:22px">{title}</h1>{body}</body></html>"""

# The page's words in the language of the e-mail it came from (the link carries ``?lang=es``:
# content/render.py adds it; the page reads no record, so the route stays one AWS call).
WORDS = {
    "en": {"bad_title": "Link not recognised",
           "bad": "This unsubscribe link is not valid. Reply to the email with \"unsubscribe\" and we will remove you.",
           "bad_post": "This unsubscribe link is not valid.",
           "ask_title": "Unsubscribe from these emails?",
           "ask": "Confirm and you will stop receiving marketing emails from us. Updates about a loan in progress "
                  "may still reach you.",
           "button": "Unsubscribe", "done_title": "You are unsubscribed",
           "done": "You will not receive marketing emails from us any more."},
    "es": {"bad_title": "No reconocemos este enlace",
           "bad": "Este enlace para cancelar la suscripción no es válido. Responda al correo con la palabra "
                  "\"BAJA\" y lo quitaremos de la lista.",
           "bad_post": "Este enlace para cancelar la suscripción no es válido.",
           "ask_title": "¿Desea dejar de recibir estos correos?",
           "ask": "Confírmelo y dejará de recibir nuestros correos de promoción. Es posible que siga recibiendo "
                  "avisos sobre un préstamo que esté en trámite.",
           "button": "Cancelar la suscripción", "done_title": "Su suscripción quedó cancelada",
           "done": "Ya no recibirá nuestros correos de promoción."},
}


def _lang() -> str:
    query = bp.current_request.query_params or {}
    return "es" if query.get("lang") == "es" else "en"


def _page(title: str, body: str, status: int = 200, lang: str = "en") -> Response:
    return Response(body=_PAGE.format(title=html.escape(title), body=body, lang=lang), status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", **NO_STORE})


@bp.route("/u/{token}", methods=["GET"])
def unsubscribe_page(token):
    # A GET never unsubscribes: link scanners follow every link in a message.
    lang = _lang()
    w = WORDS[lang]
    if _check(token, "u") is None:
        return _page(w["bad_title"], f"<p>{html.escape(w['bad'])}</p>", 404, lang)
    action = html.escape(f"/u/{token}" + ("?lang=es" if lang == "es" else ""))
    return _page(w["ask_title"],
                 f'<p>{html.escape(w["ask"])}</p><form method="post" action="{action}">'
                 f'<input type="hidden" name="List-Unsubscribe" value="One-Click">'
                 f'<input type="hidden" name="via" value="page">'
                 f'<button type="submit" style="font-size:16px;padding:10px 18px">{html.escape(w["button"])}</button>'
                 f'</form>', lang=lang)


@bp.route("/u/{token}", methods=["POST"], content_types=["application/x-www-form-urlencoded", "application/json",
                                                          "text/plain", "multipart/form-data"])
def unsubscribe(token):
    lang = _lang()
    w = WORDS[lang]
    payload = _check(token, "u")
    if payload is None:
        return _page(w["bad_title"], f"<p>{html.escape(w['bad_post'])}</p>", 404, lang)
    # the page's button says so; a mailbox's RFC 8058 POST carries only List-Unsubscribe=One-Click
    raw = bp.current_request.raw_body or b""
    via = "page" if b"via=page" in raw.split(b"&") else "one_click"
    bus.publish(bus.make_event(payload.lead_id, "email_unsubscribed",
                               {"touch_id": payload.touch_id, "via": via}, now(), "tracking"))
    return _page(w["done_title"], f"<p>{html.escape(w['done'])}</p>", lang=lang)
