"""Signing in to the console: a team token once, then a signed, expiring session cookie.

The cookie is signed (itsdangerous), not encrypted, and holds no borrower data: a random
session id, the CSRF token of this session and a short fingerprint of the team token it was
opened with, so revoking that token (its hash leaves SSM) ends its sessions too. HttpOnly,
SameSite=Strict, Path=/console, Secure whenever the request came over HTTPS.

CSRF: every state-changing form carries the session's token in a hidden field, compared in
constant time; SameSite=Strict is the second lock. The sign-in form itself has no session
yet: a cross-site Origin on it is refused instead.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache

COOKIE = "te_console"
MAX_AGE_SECONDS = 12 * 3600  # a working day; then sign in again
_SALT = "touchengine.console.session.v1"


@dataclass(frozen=True)
class Session:
    sid: str
    csrf: str
    token_fp: str


def _serializer():
    from ..tracking.links import keys

    secrets_by_kid, active = keys()
    # The tracking keys, derived for this one purpose (a MAC made here is never a valid tracking
    # token and back); itsdangerous signs with the last key and accepts every one (rotation).
    ordered = [k for kid, k in secrets_by_kid.items() if kid != active] + [secrets_by_kid[active]]
    derived = [hmac.new(k, _SALT.encode(), hashlib.sha256).digest() for k in ordered]
    return _cached_serializer(tuple(derived))


@lru_cache(maxsize=4)
def _cached_serializer(derived: tuple[bytes, ...]):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(list(derived), salt=_SALT)


def sign_in(token: str) -> tuple[Session, str] | None:
    """A new session and its cookie value for a valid team token, else None."""
    from ..api.http import fingerprint, token_hash

    digest = token_hash(token or "")
    if digest is None:
        return None
    session = Session(secrets.token_urlsafe(16), secrets.token_urlsafe(24), fingerprint(digest))
    value = _serializer().dumps({"s": session.sid, "c": session.csrf, "t": session.token_fp})
    return session, value


def read(cookie_header: str | None) -> Session | None:
    """The session a request carries, if its cookie is genuine, fresh, and its token still valid."""
    from itsdangerous import BadSignature

    from ..api.http import fingerprint_valid

    value = cookie_value(cookie_header, COOKIE)
    if not value:
        return None
    try:
        data = _serializer().loads(value, max_age=MAX_AGE_SECONDS)
        session = Session(str(data["s"]), str(data["c"]), str(data["t"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if not fingerprint_valid(session.token_fp):
        return None  # the token it was opened with has been revoked
    return session


def csrf_ok(session: Session | None, presented: str | None) -> bool:
    return bool(session and presented) and hmac.compare_digest(session.csrf.encode(), presented.encode())


def cookie_value(header: str | None, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def set_cookie(value: str, secure: bool, base: str = "") -> str:
    return (f"{COOKIE}={value}; Max-Age={MAX_AGE_SECONDS}; Path={base}/console; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else ""))


def clear_cookie(secure: bool, base: str = "") -> str:
    return f"{COOKIE}=; Max-Age=0; Path={base}/console; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
