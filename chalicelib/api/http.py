"""HTTP helpers shared by the Blueprints: JSON bodies, errors in the API's shape, auth."""
from __future__ import annotations

import functools
import json

from chalice import Response

from ..domain.access import ACTIONS, Principal, allows
from ..domain.lead import ValidationError
from . import json_body

PUBLIC_PREFIXES = ("/t/", "/u/", "/auth/")
# The people's console signs in with the team token once and then carries a session cookie;
# its routes check that session themselves (chalicelib/console/session.py).
SESSION_PREFIXES = ("/console",)


def json_response(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body=json.dumps(body, default=str), status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def error(status: int, code: str, **extra) -> Response:
    return json_response({"error": code, **extra}, status)


def validation(fields: dict[str, str]) -> Response:
    return error(400, "validation", fields=fields)


def route(bp, path: str, *, action: str | None = None, **kwargs):
    """``bp.route`` for a signed-in route that names its action (domain/access.py ACTIONS).

    Here, not in each view: the principal may do the action (else ``403``); a route about one
    lead or task of another LO's book answers ``404`` to an LO (its existence is not disclosed);
    a change that succeeded is written to the audit log with who made it; and Chalice turns a
    view's exception into a 500 before middleware sees it, so validation, duplicates and
    conflicts are mapped to the API's shapes."""
    from ..store.errors import Conflict, Duplicate

    methods = kwargs.get("methods", ["GET"])
    changes = bool(set(methods) - {"GET", "HEAD"})
    if action is None:
        if changes:
            raise TypeError(f"{path}: a route that changes something names its action")
        action = "read"
    if action not in ACTIONS:
        raise TypeError(f"{path}: unknown action {action!r}")

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kw):
            request = bp.current_request
            principal = principal_of(request)
            if principal is None:
                return error(401, "unauthorized")
            if not allows(principal, action):
                return error(403, "forbidden")
            if principal.book is not None and not in_book(principal, kw):
                return error(404, "not_found")
            try:
                response = view(*args, **kw)
            except ValidationError as exc:
                return validation(exc.fields)
            except Duplicate as exc:
                if principal.book is not None and not in_book(principal, {"lead_id": exc.lead_id}):
                    return error(409, "duplicate")  # taken, but whose is not this LO's to learn
                return error(409, "duplicate", lead_id=exc.lead_id)
            except Conflict:
                return error(409, "conflict", detail="the resource changed concurrently; retry")
            except Forbidden:
                return error(403, "forbidden")
            if changes and action not in READS and response.status_code < 400:
                _audit(request, principal, " ".join(sorted(methods)) + " " + path, kw)
            return response
        if changes:
            # curl -d sends form encoding; the body is JSON whatever the header says
            kwargs.setdefault("content_types", ["application/json", "application/x-www-form-urlencoded", "text/plain"])
        return bp.route(path, **kwargs)(wrapped)
    return decorate


def principal_of(request) -> Principal | None:
    return (request.context or {}).get("principal")


def forbid_outside_book(request, lo_id: str | None) -> None:
    """An LO may create or move a lead only within their own book."""
    principal = principal_of(request)
    if principal is not None and lo_id is not None and not principal.sees(lo_id):
        raise Forbidden()


class Forbidden(Exception):
    pass


def outside_book(request, lead_id: object) -> bool:
    """Whether a lead named in a body (a preview's ``lead_id``) is another LO's: the view then
    answers 404 as for a path's lead (path parameters are checked by :func:`route` itself)."""
    principal = principal_of(request)
    if principal is None or principal.book is None or not isinstance(lead_id, str):
        return False
    return not in_book(principal, {"lead_id": lead_id})


def in_book(principal: Principal, params: dict) -> bool:
    from ..services.context import context

    ctx = context()
    if "lead_id" in params:
        lead = ctx.leads.get(params["lead_id"])
        return lead is None or principal.sees(lead.get("lo_id"))  # a missing lead is the view's 404
    if "task_id" in params:
        task = ctx.tasks.get(params["task_id"])
        if task is None:
            return True
        lead = ctx.leads.get(task["lead_id"]) if task.get("lead_id") else None
        return principal.sees((lead or task).get("lo_id"))  # the lead's LO now, if it was reassigned
    return True


READS = ("read", "read.desk")  # a POST that only reads (a preview) is not a change
TARGETS = (("lead_id", "lead"), ("task_id", "task"), ("batch_id", "hold"), ("import_id", "import"),
           ("key_id", "key"), ("user_id", "user"), ("sequence_id", "sequence"), ("identity", "identity"))


def target_of(params: dict, default: str) -> str:
    """What a change touched, as the audit log names it: ``lead:<id>``, ``task:<id>``..."""
    return next((f"{kind}:{params[name]}" for name, kind in TARGETS if name in params), default)


def _audit(request, principal: Principal, action: str, params: dict) -> None:
    from ..clock import now
    from ..domain.access import audit_data
    from ..services.people import record

    extra = (request.context or {}).get("audit") or {}
    target = extra.pop("target", None) or target_of(params, request.path.strip("/").split("/")[0])
    body = None
    if "json" in (request.headers.get("content-type") or "json") or request.raw_body[:1] in (b"{", b"["):
        try:
            body = json_body.parse(request.raw_body)
        except ValidationError:
            body = None
    record(principal.by, action, target, audit_data(body, extra), now())


def body_of(request) -> dict:
    """The JSON object of the body whatever the Content-Type says (curl -d sends form encoding),
    ``{}`` when empty; anything else is a 400 naming ``body`` (json_body.parse)."""
    return json_body.parse(request.raw_body)


def query(request, name: str, default: str | None = None) -> str | None:
    params = request.query_params or {}
    return params.get(name, default)


def int_query(request, name: str, default: int, low: int, high: int) -> int:
    raw = query(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: f"must be an integer between {low} and {high}"}) from None
    if not low <= value <= high:
        raise ValidationError({name: f"must be an integer between {low} and {high}"})
    return value


def actor(request) -> str:
    """Who made this request, as the timeline and the audit log name them: a person's e-mail or
    ``key:<name>``. The middleware puts the signed-in principal on the request's context."""
    principal = principal_of(request)
    return principal.by if principal is not None else "engine"
