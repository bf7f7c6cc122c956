"""HTTP helpers shared by the Blueprints: JSON bodies, errors in the API's shape, auth."""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
from functools import lru_cache

from chalice import Response

from ..config import settings
from ..domain.lead import ValidationError
from . import json_body

PUBLIC_PREFIXES = ("/t/", "/u/")
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


def route(bp, path: str, **kwargs):
    """``bp.route`` with the API's error shapes: Chalice turns a view's exception into a 500
    before middleware sees it, so validation, duplicates and conflicts are mapped here."""
    from ..store.errors import Conflict, Duplicate

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kw):
            try:
                return view(*args, **kw)
            except ValidationError as exc:
                return validation(exc.fields)
            except Duplicate as exc:
                return error(409, "duplicate", lead_id=exc.lead_id)
            except Conflict:
                return error(409, "conflict", detail="the resource changed concurrently; retry")
        if set(kwargs.get("methods", ())) & {"POST", "PUT", "PATCH"}:
            # curl -d sends form encoding; the body is JSON whatever the header says
            kwargs.setdefault("content_types", ["application/json", "application/x-www-form-urlencoded", "text/plain"])
        return bp.route(path, **kwargs)(wrapped)
    return decorate


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
    principal = (request.context or {}).get("principal")
    return principal.by if principal is not None else "key:bootstrap"


@lru_cache(maxsize=1)
def _token_hashes() -> tuple[bytes, ...]:
    s = settings()
    if s.api_token_param:
        # Deployed stages: SSM SecureString with comma-separated SHA-256 hex digests.
        from aws_lambda_powertools.utilities import parameters

        raw = parameters.get_parameter(s.api_token_param, decrypt=True, max_age=300)
        return tuple(bytes.fromhex(h.strip()) for h in raw.split(",") if h.strip())
    if s.api_token:
        return (hashlib.sha256(s.api_token.encode()).digest(),)
    return ()


def authorized(request) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return token_hash(token) is not None


def token_hash(token: str) -> bytes | None:
    """The stored hash a team token matches, else None (the API's check and the console's)."""
    presented = hashlib.sha256(token.strip().encode()).digest()
    # Compare against every valid hash in constant time (no early exit on the first match).
    found = None
    for expected in _token_hashes():
        if hmac.compare_digest(presented, expected):
            found = expected
    return found


def fingerprint(digest: bytes) -> str:
    """A short, non-reversible name for a token's hash (what a console session remembers)."""
    return digest.hex()[:16]


def fingerprint_valid(value: str) -> bool:
    """Whether a token with this fingerprint is still among the team's (a session dies with it)."""
    return any(hmac.compare_digest(fingerprint(expected), value) for expected in _token_hashes())
