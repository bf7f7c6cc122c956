"""The console's routes: parse, call a service or a view, render. Every page and every form
goes through :func:`page`, which is where the session and the CSRF token are checked, so no
route can forget them."""
from __future__ import annotations

import functools

from chalice import Blueprint

from ..clock import now
from ..domain.lead import ValidationError
from ..services.context import context
from . import session as sessions
from .web import base_path, current_path, form, html, is_https, local_path, query, redirect, static, url

bp = Blueprint(__name__)

FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]
NAV = (("today", "/console", "Today"), ("leads", "/console/leads", "Leads"),
       ("sequences", "/console/sequences", "Sequences"), ("analytics", "/console/analytics", "Analytics"),
       ("coverage", "/console/coverage", "Coverage"))
DONE = {  # what the page says after a form; fixed words, never echoed input
    "task": "Task marked done.", "pause": "Enrollment paused.", "resume": "Enrollment resumed.",
    "exit": "Enrollment ended.", "stage": "Stage change sent: it shows here within a minute.",
    "consent": "Consent recorded.", "on": "Sequence turned on.", "off": "Sequence turned off.",
}


class Page:
    """What a view gets: the session, the form (for POST) and the query."""

    def __init__(self, request, session: sessions.Session, fields: dict[str, str]):
        self.request, self.session, self.form, self.query = request, session, fields, query(request)

    def render(self, template: str, nav: str, status: int = 200, **context):
        return html(template, status, csrf=self.session.csrf, done=DONE.get(self.query.get("done", "")),
                    **context_of(nav), **context)

    def go(self, path: str, **params):
        """303 to a console page after a form (the Post/Redirect/Get pattern)."""
        return redirect(base_path(self.request) + url(path, **params), 303)


def context_of(nav: str) -> dict:
    team = context().settings.team
    return {"nav": NAV, "active": nav, "team": team.name, "now": now(), "base": base_path(bp.current_request),
            "path": current_path(bp.current_request)}


def page(path: str, methods=("GET",)):
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kw):
            req = bp.current_request
            session = sessions.read(req.headers.get("cookie"))
            if req.method == "GET":
                if session is None:
                    back = current_path(req).rstrip("/")
                    return redirect(base_path(req) + url("/console/login", next=None if back == "/console" else back),
                                    302)
                return _guard(lambda: view(Page(req, session, {}), *args, **kw))
            fields = form(req)
            if not sessions.csrf_ok(session, fields.get("csrf")):
                return html("forbidden.html.j2", 403, **context_of(""), signed_in=session is not None)
            return _guard(lambda: view(Page(req, session, fields), *args, **kw))
        return bp.route(path, methods=list(methods),
                        **({"content_types": FORM_TYPES} if "POST" in methods else {}))(wrapped)
    return decorate


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
    opened = sessions.sign_in(fields.get("token", ""))
    if opened is None:
        return html("login.html.j2", 401, **context_of(""), error="That team token is not valid.",
                    next=local_path(fields.get("next")))
    _, value = opened
    base = base_path(req)
    return redirect(base + local_path(fields.get("next")), 303,
                    headers={"Set-Cookie": sessions.set_cookie(value, is_https(req), base)})


@page("/console/logout", methods=["POST"])
def logout(p: Page):
    base = base_path(p.request)
    return redirect(base + "/console/login", 303,
                    headers={"Set-Cookie": sessions.clear_cookie(is_https(p.request), base)})


@bp.route("/console/static/{name}", methods=["GET"])
def static_file(name):
    return static(name)


# -- Today ------------------------------------------------------------------------------------

@page("/console")
def today(p: Page):
    from .views import today as build

    return p.render("today.html.j2", "today", **build(context(), now(), p.query.get("lo")))


@page("/console/today/live")
def today_live(p: Page):
    """The part of Today that refreshes itself (console.js fetches it every few seconds)."""
    from .views import today as build

    return p.render("today_live.html.j2", "today", **build(context(), now(), p.query.get("lo")))


@page("/console/tasks/{task_id}/complete", methods=["POST"])
def complete_task(p: Page, task_id):
    from ..services.tasks import complete

    task, _ = complete(context(), task_id, p.form.get("note") or None, now(),
                       p.request.context.get("correlation_id"))
    if task is None:
        return _not_found(p, "task")
    return p.go(local_path(p.form.get("back")), done="task")


# -- Leads ------------------------------------------------------------------------------------

@page("/console/leads")
def leads(p: Page):
    from .views import find_leads

    q = p.query
    return p.render("leads.html.j2", "leads", **find_leads(context(), q.get("q", ""), q.get("lo"), q.get("stage"),
                                                           q.get("cursor")))


@page("/console/leads/{lead_id}")
def lead(p: Page, lead_id):
    from .views import lead_page

    data = lead_page(context(), lead_id, now())
    return p.render("lead.html.j2", "leads", **data) if data else _not_found(p, "lead")


@page("/console/leads/{lead_id}/export")
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


@page("/console/leads/{lead_id}/enrollment", methods=["POST"])
def enrollment_action(p: Page, lead_id):
    from ..services.enrollments import change

    action = p.form.get("action", "")
    if change(context(), lead_id, p.form.get("enrollment_id", ""), action, now()) is None:
        return _not_found(p, "enrollment")
    return p.go(f"/console/leads/{lead_id}", done=action)


@page("/console/leads/{lead_id}/stage", methods=["POST"])
def stage(p: Page, lead_id):
    from ..services.leads import request_stage_change

    if not request_stage_change(context(), lead_id, {"stage": p.form.get("stage")}, now(),
                                p.request.context.get("correlation_id", "")):
        return _not_found(p, "lead")
    return p.go(f"/console/leads/{lead_id}", done="stage")


@page("/console/leads/{lead_id}/consent", methods=["POST"])
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
    if change_consent(context(), lead_id, body, now(), p.request.context.get("correlation_id", "")) is None:
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
    data = sequence_page(context(), sequence_id, p.query.get("lead"), branch, now())
    return p.render("sequence.html.j2", "sequences", **data) if data else _not_found(p, "sequence")


@page("/console/sequences/{sequence_id}/switch", methods=["POST"])
def switch(p: Page, sequence_id):
    from ..sequences.catalog import SEQUENCES
    from ..services.switches import set_enabled

    seq = SEQUENCES.get(sequence_id)
    if seq is None or seq.internal:
        return _not_found(p, "sequence")
    on = {"on": True, "off": False}.get(p.form.get("enabled", ""))
    if on is None:
        raise ValidationError({"enabled": "must be on or off"})
    set_enabled(context(), sequence_id, on, now(), "console")
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


@page("/console/coverage")
def coverage(p: Page):
    from .views import coverage as build

    return p.render("coverage.html.j2", "coverage", **build(context(), now()))
