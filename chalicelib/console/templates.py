"""The console's Templates pages (issue 27): the words the team owns. A list of every template,
and one page per template: the live words beside the built-in ones, every version with who wrote
and approved it, an editor whose errors show on their field, a preview for a chosen borrower
side by side with the live version, and approval, rollback and restore by role."""
from __future__ import annotations

from ..clock import now
from ..domain.lead import ValidationError
from ..services.context import context
from .routes import Page, _not_found, context_of, page
from .web import CSP, SECURITY_HEADERS, html

DONE = {"draft": "Draft saved. It goes live when compliance approves it.",
        "live": "Approved: the next messages use this version (within a minute).",
        "rollback": "Rolled back to the previous live version.", "restored": "The built-in version is live again."}
# The page shows the e-mail preview in a frame of its own address (the e-mail's inline styles,
# never its scripts: it has none, and the frame runs none).
PAGE_CSP = CSP + "; frame-src 'self'"
FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def _render(p: Page, status: int = 200, **data):
    return html("templates.html.j2", status, headers={"Content-Security-Policy": PAGE_CSP}, csrf=p.session.csrf,
                done=DONE.get(p.query.get("done", "")), **context_of("templates", p.principal), **data)


@page("/console/templates", action="read.desk")
def templates_list(p: Page):
    from ..services.templates import list_templates

    channel = p.query.get("channel", "")
    items = [i for i in list_templates(context()) if not channel or i["channel"] == channel]
    team_first = sorted(items, key=lambda i: (i["source"] != "team", i["template_id"]))
    return _render(p, items=team_first, channel=channel, one=None)


def _one(p: Page, template_id: str, status: int = 200, errors: dict | None = None, entered: dict | None = None):
    from ..services.templates import describe, preview
    from .views import _resolve_lead

    ctx = context()
    found = describe(ctx, template_id, p.query.get("language"))
    if found is None:
        return _not_found(p, "template")
    shown, lead_ref, preview_error = None, p.query.get("lead", ""), None
    version = p.query.get("version") or ""
    if lead_ref:
        lead = _resolve_lead(ctx, lead_ref)
        if lead is None or not p.principal.sees(lead.get("lo_id")):
            preview_error = "No borrower matches that e-mail, phone or lead id."
        else:
            shown = preview(ctx, template_id, found["language"], lead["lead_id"],
                            int(version) if version.isdigit() and int(version) else None, now())
            shown["lead"] = " ".join(x for x in (lead.get("first_name"), lead.get("last_name")) if x)
    latest = found["versions"][-1] if found["versions"] else None
    live = next((v for v in found["versions"] if v["status"] == "live"), None)
    start = entered or {"subject": (live or latest or {}).get("subject") or "",
                        "body": (live or latest or {}).get("body") or found["built_in"]["body"]}
    return _render(p, status, one=found, errors=errors or {}, entered=start, shown=shown, lead_ref=lead_ref,
                   version=version, preview_error=preview_error)


@page("/console/templates/{template_id}", action="read.desk")
def template_page(p: Page, template_id):
    return _one(p, template_id)


@page("/console/templates/{template_id}", methods=["POST"], action="content.write")
def save(p: Page, template_id):
    from ..services.templates import save_draft

    f = p.form
    body = {"language": f.get("language") or "en", "body": f.get("body", ""),
            **({"subject": f["subject"]} if "subject" in f else {})}
    try:
        saved = save_draft(context(), template_id, body, p.principal.by, now())
    except ValidationError as exc:  # the page again, the words as typed, each error on its field
        return _one(p, template_id, 400, errors=exc.fields, entered={"subject": f.get("subject", ""), "body": f.get("body", "")})
    if saved is None:
        return _not_found(p, "template")
    return p.go(f"/console/templates/{template_id}", done="draft", version=saved["version"])


@page("/console/templates/{template_id}/versions/{version}/approve", methods=["POST"], action="content.approve")
def approve(p: Page, template_id, version):
    from ..services.templates import NotYours, approve as run

    if not version.isdigit():
        return _not_found(p, "template version")
    try:
        done = run(context(), template_id, int(version), p.form.get("language"), p.principal, now())
    except NotYours:
        return html("forbidden.html.j2", 403, **context_of("", p.principal), signed_in=True)
    return p.go(f"/console/templates/{template_id}", done="live") if done else _not_found(p, "template version")


@page("/console/templates/{template_id}/rollback", methods=["POST"], action="content.write")
def rollback(p: Page, template_id):
    from ..services.templates import rollback as run

    done = run(context(), template_id, p.form.get("language"), p.principal.by, now())
    return p.go(f"/console/templates/{template_id}", done="rollback") if done else _not_found(p, "template")


@page("/console/templates/{template_id}/restore", methods=["POST"], action="content.write")
def restore(p: Page, template_id):
    from ..services.templates import restore_built_in

    done = restore_built_in(context(), template_id, p.form.get("language"), p.principal.by, now())
    return p.go(f"/console/templates/{template_id}", done="restored") if done else _not_found(p, "template")


@page("/console/templates/{template_id}/frame", action="read.desk")
def frame(p: Page, template_id):
    """One side of an e-mail preview, as the borrower's mail program would show it."""
    from chalice import Response

    from ..services.templates import preview
    from .views import _resolve_lead

    ctx = context()
    lead = _resolve_lead(ctx, p.query.get("lead", ""))
    version = p.query.get("version", "")
    if lead is None or not p.principal.sees(lead.get("lo_id")):
        return _not_found(p, "lead")
    shown = preview(ctx, template_id, p.query.get("language"), lead["lead_id"],
                    int(version) if version.isdigit() and int(version) else None, now())
    pane = (shown or {}).get("live" if p.query.get("side") == "live" else "candidate") or {}
    from markupsafe import escape

    body = pane.get("html") or f"<p>{escape(pane.get('error', 'Nothing to show.'))}</p>"
    return Response(body=body, status_code=200 if shown else 404, headers={
        **SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": FRAME_CSP,
        "X-Frame-Options": "SAMEORIGIN"})
