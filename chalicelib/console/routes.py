"""The console's routes: parse, call a service or a view, render. Every page and every form
goes through :func:`page`, which is where the session and the CSRF token are checked, so no
route can forget them."""
from __future__ import annotations

import functools

from chalice import Blueprint

from ..api.http import in_book, target_of
from ..clock import now
from ..domain.access import ACTIONS, allows
from ..domain.lead import ValidationError
from ..services.context import context
from . import session as sessions
from .web import base_path, current_path, form, html, is_https, local_path, query, redirect, static, url

bp = Blueprint(__name__)

FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]
NAV = (("today", "/console", "Today", "read"), ("leads", "/console/leads", "Leads", "read"),
       ("sequences", "/console/sequences", "Sequences", "read"), ("analytics", "/console/analytics", "Analytics", "read"),
       ("coverage", "/console/coverage", "Coverage", "read.desk"), ("people", "/console/people", "People", "people"),
       ("rates", "/console/rates", "Rates", "rates"), ("holds", "/console/holds", "Holds", "desk"),
       ("imports", "/console/imports", "Imports", "imports"), ("templates", "/console/templates", "Templates", "read.desk"),
       ("deliverability", "/console/deliverability", "Deliverability", "deliverability"),
       ("audit", "/console/audit", "Audit log", "audit"))
DONE = {  # what the page says after a form; fixed words, never echoed input
    "task": "Task marked done.", "pause": "Enrollment paused.", "resume": "Enrollment resumed.",
    "exit": "Enrollment ended.", "stage": "Stage change sent: it shows here within a minute.",
    "consent": "Consent recorded.", "on": "Sequence turned on.", "off": "Sequence turned off.",
    "person": "Account created.", "disabled": "Account disabled: signed out everywhere within a minute.",
    "revoked": "Key revoked: it stopped working at once.",
    "resumed": "Marketing e-mail resumed: it goes again from the next minute.",
}


class Page:
    """What a view gets: the session, the form (for POST) and the query."""

    def __init__(self, request, session: sessions.Session, fields: dict[str, str]):
        self.request, self.session, self.form, self.query = request, session, fields, query(request)

    @property
    def principal(self):
        return self.session.principal

    def render(self, template: str, nav: str, status: int = 200, **context):
        return html(template, status, csrf=self.session.csrf, done=DONE.get(self.query.get("done", "")),
                    **context_of(nav, self.principal), **context)

    def go(self, path: str, **params):
        """303 to a console page after a form (the Post/Redirect/Get pattern)."""
        return redirect(base_path(self.request) + url(path, **params), 303)


def context_of(nav: str, principal=None) -> dict:
    team = context().settings.team
    shown = tuple((key, href, label) for key, href, label, action in NAV if principal and allows(principal, action))
    return {"nav": shown, "active": nav, "team": team.name, "now": now(), "base": base_path(bp.current_request),
            "path": current_path(bp.current_request), "who": principal.by if principal else None,
            "may": (lambda action: allows(principal, action)) if principal else (lambda action: False)}


def page(path: str, methods=("GET",), action: str = "read"):
    """A console page or form: signed in (else to the sign-in page), allowed the action (else 403:
    the page is not served, not only hidden), within an LO's book (else 404), a form's CSRF token
    right (else 403); a form that changed something is written to the audit log."""
    if action not in ACTIONS:
        raise TypeError(f"{path}: unknown action {action!r}")

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kw):
            req = bp.current_request
            session = sessions.read(req.headers.get("cookie"))
            if req.method == "GET" and session is None:
                back = current_path(req).rstrip("/")
                return redirect(base_path(req) + url("/console/login", next=None if back == "/console" else back), 302)
            fields = form(req) if req.method != "GET" else {}
            if req.method != "GET" and not sessions.csrf_ok(session, fields.get("csrf")):
                return html("forbidden.html.j2", 403, **context_of(""), signed_in=session is not None)
            if not allows(session.principal, action):
                return html("forbidden.html.j2", 403, **context_of("", session.principal), signed_in=True)
            p = Page(req, session, fields)
            if session.principal.book is not None and not in_book(session.principal, kw):
                return _not_found(p, "lead" if "lead_id" in kw else "task")
            response = _guard(lambda: view(p, *args, **kw))
            if req.method != "GET" and response.status_code < 400 and path != "/console/logout":
                _audit(p, path, kw)
            return response
        return bp.route(path, methods=list(methods),
                        **({"content_types": FORM_TYPES} if "POST" in methods else {}))(wrapped)
    return decorate


def _audit(p: Page, path: str, params: dict) -> None:
    from ..domain.access import audit_data
    from ..services.people import record

    fields = {k: v for k, v in p.form.items() if k not in ("csrf", "back", "next")}
    record(p.principal.by, f"console {path}", target_of(params, path.split("/")[2]), audit_data(fields), now())


def _guard(call):
    from ..store.errors import Conflict

    try:
        return call()
    except ValidationError as exc:
        return html("invalid.html.j2", 400, **context_of(""), fields=exc.fields)
    except Conflict:
        return html("invalid.html.j2", 409, **context_of(""),
                    fields={"form": "this changed while you were looking at it; go back and try again"})


def _not_found(p: Page, what: str):
    return p.render("missing.html.j2", "", 404, what=what)


# -- signing in -------------------------------------------------------------------------------

@bp.route("/console/login", methods=["GET"])
def login_form():
    if sessions.read(bp.current_request.headers.get("cookie")):
        return redirect(base_path(bp.current_request) + "/console", 303)
    return html("login.html.j2", **context_of(""), error=None, next=local_path(query(bp.current_request).get("next")))


@bp.route("/console/login", methods=["POST"], content_types=FORM_TYPES)
def login():
    req = bp.current_request
    origin = req.headers.get("origin")
    host = req.headers.get("host")
    if origin and host and origin.split("://", 1)[-1] != host:
        # no session yet, so no CSRF token: a sign-in posted from another site is refused instead
        return html("forbidden.html.j2", 403, **context_of(""), signed_in=False)
    fields = form(req)
    nxt = local_path(fields.get("next"))
    if fields.get("token"):  # scripts: an integration key with the admin scope
        opened = sessions.sign_in_key(fields["token"])
        if opened is None:
            return html("login.html.j2", 401, **context_of(""), error="That key is not valid here.", next=nxt)
    else:
        from ..people.directory import NeedsCode, SignInFailed
        from ..services.people import TooManyFailures

        try:
            opened = sessions.sign_in_person(fields.get("email", ""), fields.get("password", ""), now(),
                                             fields.get("code"), fields.get("mfa_session"))
        except (SignInFailed, ValidationError):
            return html("login.html.j2", 401, **context_of(""), error="That e-mail and password do not match.",
                        next=nxt, email=fields.get("email", ""))
        except NeedsCode as exc:  # the password was right: the authenticator's code is the second step
            return html("login.html.j2", 401, **context_of(""), next=nxt, email=fields.get("email", ""),
                        mfa_session=exc.session, error="Enter the 6-digit code from your authenticator app.")
        except TooManyFailures as exc:
            return html("login.html.j2", 429, **context_of(""), next=nxt, email=fields.get("email", ""),
                        error=f"Too many wrong passwords: try again in {max(1, round(exc.retry_after / 60))} "
                              f"minute(s).", headers={"Retry-After": str(exc.retry_after)})
    _, value = opened
    base = base_path(req)
    return redirect(base + nxt, 303, headers={"Set-Cookie": sessions.set_cookie(value, is_https(req), base)})


@page("/console/logout", methods=["POST"])
def logout(p: Page):
    sessions.end(p.session)
    base = base_path(p.request)
    return redirect(base + "/console/login", 303,
                    headers={"Set-Cookie": sessions.clear_cookie(is_https(p.request), base)})


@bp.route("/console/static/{name}", methods=["GET"])
def static_file(name):
    return static(name)


# -- Today ------------------------------------------------------------------------------------

def _lo_of_today(p: Page) -> str | None:
    """An LO's Today is their own; a person who is an LO and more opens on their own and may pick
    "Everyone" (``lo=``); anyone else opens on everyone."""
    book = p.principal.book
    if book is not None:
        return book
    return p.query["lo"] if "lo" in p.query else p.principal.lo_id


@page("/console")
def today(p: Page):
    from .views import today as build

    return p.render("today.html.j2", "today", own_book=p.principal.book is not None,
                    **build(context(), now(), _lo_of_today(p)))


@page("/console/today/live")
def today_live(p: Page):
    """The part of Today that refreshes itself (console.js fetches it every few seconds)."""
    from .views import today as build

    return p.render("today_live.html.j2", "today", **build(context(), now(), _lo_of_today(p)))


@page("/console/tasks/{task_id}/complete", methods=["POST"], action="leads")
def complete_task(p: Page, task_id):
    from ..services.tasks import complete

    task, _ = complete(context(), task_id, p.form.get("note") or None, now(),
                       p.request.context.get("correlation_id"), by=p.principal.by)
    if task is None:
        return _not_found(p, "task")
    return p.go(local_path(p.form.get("back")), done="task")


# -- Leads ------------------------------------------------------------------------------------

@page("/console/leads")
def leads(p: Page):
    from .views import find_leads

    q = p.query
    book = p.principal.book
    return p.render("leads.html.j2", "leads", own_book=book is not None,
                    **find_leads(context(), q.get("q", ""), q.get("lo"), q.get("stage"), q.get("cursor"), book))


@page("/console/leads/{lead_id}")
def lead(p: Page, lead_id):
    from .views import lead_page

    data = lead_page(context(), lead_id, now())
    return p.render("lead.html.j2", "leads", **data) if data else _not_found(p, "lead")


@page("/console/leads/{lead_id}/export", action="read.desk")
def lead_export(p: Page, lead_id):
    """The borrower's record (GET /leads/{id}/export) as a file to download."""
    import json

    from chalice import Response

    from ..api.http import actor
    from ..services.privacy import export

    record = export(context(), lead_id, now(), actor(p.request))
    if record is None:
        return _not_found(p, "lead")
    return Response(json.dumps(record, indent=1, default=str), status_code=200, headers={
        "Content-Type": "application/json", "Content-Disposition": f'attachment; filename="lead-{lead_id}.json"'})


@page("/console/leads/{lead_id}/enrollment", methods=["POST"], action="leads")
def enrollment_action(p: Page, lead_id):
    from ..services.enrollments import change

    action = p.form.get("action", "")
    if change(context(), lead_id, p.form.get("enrollment_id", ""), action, now(), by=p.principal.by) is None:
        return _not_found(p, "enrollment")
    return p.go(f"/console/leads/{lead_id}", done=action)


@page("/console/leads/{lead_id}/stage", methods=["POST"], action="leads")
def stage(p: Page, lead_id):
    from ..services.leads import request_stage_change

    if not request_stage_change(context(), lead_id, {"stage": p.form.get("stage")}, now(),
                                p.request.context.get("correlation_id", ""), by=p.principal.by):
        return _not_found(p, "lead")
    return p.go(f"/console/leads/{lead_id}", done="stage")


@page("/console/leads/{lead_id}/consent", methods=["POST"], action="leads")
def consent(p: Page, lead_id):
    from ..services.leads import change_consent

    f = p.form
    granted = {"yes": True, "no": False}.get(f.get("granted", ""))
    problems = {}
    if granted is None:
        problems["granted"] = "choose given or withdrawn"
    if not (f.get("source") or "").strip():
        problems["source"] = "say how the borrower gave or withdrew consent (the record the law asks for)"
    if problems:
        raise ValidationError(problems)
    body = {"channel": f.get("channel"), "granted": granted, "source": (f.get("source") or "").strip() or None}
    if f.get("text", "").strip():
        body["text"] = f["text"].strip()
    if change_consent(context(), lead_id, body, now(), p.request.context.get("correlation_id", ""),
                      by=p.principal.by) is None:
        return _not_found(p, "lead")
    return p.go(f"/console/leads/{lead_id}", done="consent")


# -- Sequences --------------------------------------------------------------------------------

@page("/console/sequences")
def sequences(p: Page):
    from .views import sequences as build

    return p.render("sequences.html.j2", "sequences", sequences=build(context(), now()))


@page("/console/sequences/{sequence_id}")
def sequence(p: Page, sequence_id):
    from .views import sequence_page

    branch = "no" if p.query.get("branch") == "no" else "yes"
    data = sequence_page(context(), sequence_id, p.query.get("lead"), branch, now(), p.principal.book)
    return p.render("sequence.html.j2", "sequences", **data) if data else _not_found(p, "sequence")


@page("/console/sequences/{sequence_id}/switch", methods=["POST"], action="desk")
def switch(p: Page, sequence_id):
    from ..sequences.catalog import SEQUENCES
    from ..services.switches import set_enabled

    seq = SEQUENCES.get(sequence_id)
    if seq is None or seq.internal:
        return _not_found(p, "sequence")
    on = {"on": True, "off": False}.get(p.form.get("enabled", ""))
    if on is None:
        raise ValidationError({"enabled": "must be on or off"})
    set_enabled(context(), sequence_id, on, now(), p.principal.by)
    return p.go(local_path(p.form.get("back"), f"/console/sequences/{sequence_id}"), done="on" if on else "off")


# -- Analytics and coverage -------------------------------------------------------------------

@page("/console/analytics")
def analytics(p: Page):
    from datetime import date, timedelta

    from .views import analytics as build

    first, last = p.query.get("from") or None, p.query.get("to") or None
    if p.query.get("range") in ("7", "30", "90"):
        last = now().date().isoformat()
        first = (now().date() - timedelta(days=int(p.query["range"]) - 1)).isoformat()
    fields = {}
    for name, value in (("from", first), ("to", last)):
        try:
            if value:
                date.fromisoformat(value)
        except ValueError:
            fields[name] = "must be a date such as 2027-04-01"
    if (first is None) != (last is None):
        fields["to" if last is None else "from"] = "give both dates, or neither for all time"
    elif first and last and not fields and first > last:
        fields["to"] = "must not be before the first date"
    if fields:
        raise ValidationError(fields)
    return p.render("analytics.html.j2", "analytics", range=p.query.get("range", ""), **build(context(), first, last))


@page("/console/coverage", action="read.desk")
def coverage(p: Page):
    from .views import coverage as build

    return p.render("coverage.html.j2", "coverage", **build(context(), now()))


# -- People, keys and the audit log (ops; the audit log also compliance) ------------------------

def _people_page(p: Page, status: int = 200, new_key: dict | None = None):
    from ..domain.access import ROLES, SCOPES
    from ..services import people as svc

    return p.render("people.html.j2", "people", status, people=svc.people(), keys=svc.keys(), roles=ROLES,
                    scopes=SCOPES, los=context().settings.team.los, new_key=new_key)


@page("/console/people", action="people")
def people(p: Page):
    return _people_page(p)


@page("/console/people", methods=["POST"], action="people")
def add_person(p: Page):
    from ..people.directory import AlreadyExists
    from ..services.people import create_person

    f = p.form
    body = {"email": f.get("email", ""), "name": f.get("name", ""), "lo_id": f.get("lo_id") or None,
            "roles": [r for r in ("lo", "manager", "compliance", "ops") if f.get(f"role_{r}")],
            **({"password": f["password"]} if f.get("password") else {})}
    try:
        create_person(context(), body)
    except AlreadyExists:
        raise ValidationError({"email": "a person with this e-mail already has an account"}) from None
    return p.go("/console/people", done="person")


@page("/console/people/{user_id}/disable", methods=["POST"], action="people")
def disable_person(p: Page, user_id):
    from ..services.people import disable_person as disable

    return p.go("/console/people", done="disabled") if disable(user_id) else _not_found(p, "person")


@page("/console/keys", methods=["POST"], action="people")
def add_key(p: Page):
    from ..domain.access import SCOPES
    from ..services.people import create_key

    key = create_key({"name": p.form.get("name", ""), "scopes": [s for s in SCOPES if p.form.get(f"scope_{s}")]},
                     now(), p.principal.by)
    return _people_page(p, 201, new_key=key)  # shown once, on this page only (no redirect carries it)


@page("/console/keys/{key_id}/revoke", methods=["POST"], action="people")
def revoke_key(p: Page, key_id):
    from ..services.people import revoke_key as revoke

    return p.go("/console/people", done="revoked") if revoke(key_id, now(), p.principal.by) else _not_found(p, "key")


@page("/console/audit", action="audit")
def audit(p: Page):
    from ..services.people import audit as entries

    return p.render("audit.html.j2", "audit", items=entries(p.query.get("since"), 200, now()))

