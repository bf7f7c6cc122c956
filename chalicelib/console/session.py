"""Signing in to the console: a person's e-mail and password once (or, for scripts, an integration
key with the ``admin`` scope), then a signed, expiring session cookie.

The cookie is signed (itsdangerous), not encrypted, and holds no borrower data: a random
session id, the CSRF token of this session and what it was opened with: a person's Cognito
access token (verified again on every request, so a disabled person is out within a minute and
the session ends when the token does), an integration key's id (a revoked key ends its sessions),
or a short fingerprint of the bootstrap key (its hash leaving SSM ends its sessions). HttpOnly,
SameSite=Strict, Path=/console, Secure whenever the request came over HTTPS. Signing out
(:func:`end`) revokes the session, and a person's token in it, in the store (``access#revoked``):
a copy of the cookie, or the token lifted from it, is no good from the next request on.

CSRF: every state-changing form carries the session's token in a hidden field, compared in
constant time; SameSite=Strict is the second lock. The sign-in form itself has no session
yet: a cross-site Origin on it is refused instead.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from ..domain.access import Principal

COOKIE = "te_console"
MAX_AGE_SECONDS = 12 * 3600  # a working day; then sign in again
_SALT = "touchengine.console.session.v1"


@dataclass(frozen=True)
class Session:
    sid: str
    csrf: str
    cred: str  # "p:<access token>", "k:<key id>" or "b:<bootstrap fingerprint>"
    principal: Principal = field(compare=False, default=None)


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


def _open(cred: str, principal: Principal) -> tuple[Session, str]:
    session = Session(secrets.token_urlsafe(16), secrets.token_urlsafe(24), cred, principal)
    return session, _serializer().dumps({"s": session.sid, "c": session.csrf, "t": cred})


def sign_in_person(email: str, password: str, now, code: str | None = None,
                   mfa_session: str | None = None) -> tuple[Session, str]:
    """A session for a person's right password, and code when their account has MFA
    (SignInFailed, NeedsCode or TooManyFailures otherwise)."""
    from ..services.people import principal_of, sign_in

    token = sign_in(email, password, now, code, mfa_session)["token"]
    return _open(f"p:{token}", principal_of(token))


def sign_in_key(token: str) -> tuple[Session, str] | None:
    """A session for an integration key with the admin scope (scripts), else None."""
    from ..services.people import BOOTSTRAP, KEY_PREFIX, fingerprint, principal_of, token_hash

    principal = principal_of(token or "")
    if principal is None or "admin" not in principal.scopes:
        return None
    if principal == BOOTSTRAP:
        return _open(f"b:{fingerprint(token_hash(token))}", principal)
    return _open(f"k:{token.strip()[len(KEY_PREFIX):].split('_', 1)[0]}", principal)


def _principal(cred: str) -> Principal | None:
    from ..services.people import BOOTSTRAP, fingerprint_valid, key_principal, principal_of

    kind, _, value = cred.partition(":")
    if kind == "p":
        return principal_of(value)
    if kind == "k":
        return key_principal(value)
    if kind == "b" and fingerprint_valid(value):
        return BOOTSTRAP
    return None


def read(cookie_header: str | None) -> Session | None:
    """The session a request carries, if its cookie is genuine, fresh, and what opened it is
    still good (the person enabled and their token unexpired, the key not revoked)."""
    from itsdangerous import BadSignature

    value = cookie_value(cookie_header, COOKIE)
    if not value:
        return None
    try:
        data = _serializer().loads(value, max_age=MAX_AGE_SECONDS)
        sid, csrf, cred = str(data["s"]), str(data["c"]), str(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if not cred.startswith("p:") and _ended(sid):  # a person's session ends with its token (_principal)
        return None
    principal = _principal(cred)
    return Session(sid, csrf, cred, principal) if principal is not None else None


def _ended(sid: str) -> bool:
    from ..services.people import session_ended

    return session_ended(sid)


def end(session: Session) -> None:
    """Sign out, at once and for every copy of the cookie (it is signed, not encrypted: a person's
    access token could be lifted from it, so the token is signed out too, for the API as well)."""
    import time

    from ..services.people import end_session, sign_out

    kind, _, value = session.cred.partition(":")
    if kind == "p":
        sign_out(value)
    else:  # the cookie lives at most MAX_AGE_SECONDS from now (its last second included)
        end_session(session.sid, int(time.time()) + MAX_AGE_SECONDS + 1)


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
