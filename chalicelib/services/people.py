"""Who is asking, and what they did: sign-in, people, integration keys, the audit log.

A bearer token is one of three things: a person's Cognito access token (verified against the
pool's keys, the person looked up fresh to a minute), an integration key (``te_<key_id>_<secret>``:
its record read consistently, so a revoked key stops at once), or the stage's bootstrap key (the
token ``make run`` prints / the SSM hashes of a deployed stage), which is an ops key with every scope.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import datetime, timezone
from functools import lru_cache

from ..config import settings
from ..domain import access
from ..domain.access import Principal
from ..domain.lead import ValidationError

BOOTSTRAP = Principal(by="key:bootstrap", scopes=frozenset({"admin"}))
KEY_PREFIX = "te_"


def _repo():
    from .context import context

    return context().access


def _digest(secret: str) -> str:
    # A key is 256 random bits: a fast hash is the right one (no guessing to slow down), as for
    # any API token; passwords are Cognito's, never hashed here.
    return hashlib.sha256(secret.encode()).hexdigest()


def _key_principal(token: str) -> Principal | None:
    key_id, sep, secret = token[len(KEY_PREFIX):].partition("_")
    if not sep or not key_id.isalnum() or len(key_id) != 12:
        return None
    doc = _repo().key(key_id)
    if doc is None or not hmac.compare_digest(doc["hash"], _digest(secret)):
        return None
    return _of_key(doc)


def _of_key(doc: dict) -> Principal | None:
    return None if doc.get("revoked_at") else Principal(by=f"key:{doc['name']}", scopes=frozenset(doc["scopes"]))


def key_principal(key_id: str) -> Principal | None:
    """A console session opened with a key: the key as it stands now (revoked: None)."""
    doc = _repo().key(key_id) if key_id.isalnum() and len(key_id) == 12 else None
    return _of_key(doc) if doc is not None else None


def _person_principal(token: str) -> Principal | None:
    from ..people import directory, tokens

    claims = tokens.claims(token)
    if claims is None or _repo().revoked(f"jti:{claims['jti']}", int(time.time())):
        return None  # time.time(), as PyJWT reads the token's own expiry: Cognito's clock, not the engine's
    person = directory.lookup(claims["sub"])
    if person is None or not person.enabled:
        return None
    roles = frozenset(person.roles) & frozenset(access.ROLES)  # a group of another purpose grants nothing
    return Principal(by=person.email, roles=roles, lo_id=person.lo_id, user_id=person.user_id)


def sign_out(token: str) -> bool:
    """Sign a person's access token out at once, in every container and wherever it was copied
    (a console cookie holds it): revoked until it would have expired. False: not a person's valid
    token (an integration key is revoked with DELETE /keys)."""
    from ..people import directory, tokens

    token = (token or "").strip()
    claims = tokens.claims(token) if _a_jwt(token) else None
    if claims is None or _repo().revoked(f"jti:{claims['jti']}", int(time.time())):
        return False  # signed out already: no write for each replay of a stolen token
    _repo().revoke(f"jti:{claims['jti']}", int(claims["exp"]))
    directory.sign_out(token)  # and Cognito's user API, where a lifted token could set up MFA
    return True


def end_session(sid: str, until: int) -> None:
    """A console session signed out (an integration key's or the bootstrap key's: a person's ends
    with their token), whoever holds a copy of its cookie."""
    _repo().revoke(f"sid:{sid}", until)


def session_ended(sid: str) -> bool:
    return _repo().revoked(f"sid:{sid}", int(time.time()))


def _a_jwt(token: str) -> bool:
    """Shaped like a person's token (PyJWT is asked only for one), and not absurdly long."""
    return len(token) <= 8192 and token.count(".") == 2 and token.startswith("eyJ")


def principal_of(token: str) -> Principal | None:
    """The principal a bearer token stands for, else None (401)."""
    token = (token or "").strip()
    if not token or len(token) > 8192:
        return None
    if _a_jwt(token):
        return _person_principal(token)
    if token.startswith(KEY_PREFIX):
        return _key_principal(token)
    return BOOTSTRAP if token_hash(token) is not None else None


# -- the bootstrap key -------------------------------------------------------------------------

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


# -- signing in --------------------------------------------------------------------------------

class TooManyFailures(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _who(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def sign_in(email: str, password: str, now: datetime, code: str | None = None, session: str | None = None) -> dict:
    """``{"token", "expires_at", "user"}`` for a right password; SignInFailed for a wrong one,
    TooManyFailures once an e-mail has failed too often in a row (checked before Cognito is asked)."""
    from ..people import directory, tokens

    second_step = bool(code and session)  # the authenticator's code after a right password
    needed = (("email", email),) + ((("code", code), ("session", session)) if second_step else (("password", password),))
    missing = {k: "is required" for k, v in needed if not isinstance(v, str) or not v.strip()}
    if missing:
        raise ValidationError(missing)
    who = _who(email)
    failures, last = _repo().login_failures(who)
    last_at = datetime.fromisoformat(last) if last else None
    wait = access.login_wait(failures, last_at, now)
    if wait:
        raise TooManyFailures(wait)
    # counted as a failure before Cognito is asked, and forgiven when it proves right
    if not _repo().claim_login_attempt(who, failures, access.failures_after(failures, last_at, now), now.isoformat()):
        raise TooManyFailures(1)  # another attempt for this e-mail is under way this very moment
    result = directory.sign_in(email.strip().lower(), password, code, session)  # SignInFailed: stays counted
    _repo().set_login_failures(who, 0, None)
    token = result["AccessToken"]
    sub = tokens.subject(token)
    person = directory.lookup(sub) if sub else None
    if person is None or not person.enabled:
        raise directory.SignInFailed()
    expires = datetime.fromtimestamp(tokens.expiry(token), tz=timezone.utc)  # Cognito's clock, not the engine's
    return {"token": token, "expires_at": expires.isoformat(), "user": _user(person)}


def _user(person) -> dict:
    return {"user_id": person.user_id, "email": person.email, "name": person.name, "roles": list(person.roles),
            "lo_id": person.lo_id}


# -- people ------------------------------------------------------------------------------------

def create_person(ctx, body: object) -> dict:
    from ..people import directory

    fields = access.validate_person(body, tuple(lo.id for lo in ctx.settings.team.los))
    person = directory.create(fields["email"], fields["name"], fields["roles"], fields["lo_id"], fields["password"])
    return {**_user(person), "invited": fields["password"] is None}


def people() -> list[dict]:
    from ..people import directory

    return [p.public() for p in directory.everyone()]


def disable_person(user_id: str) -> dict | None:
    from ..people import directory

    person = directory.disable(user_id)
    return person.public() if person else None


# -- integration keys --------------------------------------------------------------------------

def create_key(body: object, now: datetime, by: str) -> dict:
    fields = access.validate_key(body, tuple(doc["name"] for doc in _repo().keys()))
    key_id = uuid.uuid4().hex[:12]
    secret = secrets.token_urlsafe(32)
    doc = {"key_id": key_id, "name": fields["name"], "scopes": fields["scopes"], "hash": _digest(secret),
           "created_at": now.isoformat(), "created_by": by, "revoked_at": None, "revoked_by": None}
    _repo().put_key(key_id, doc)
    return {**_public_key(doc), "key": f"{KEY_PREFIX}{key_id}_{secret}"}


def _public_key(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "hash"}


def keys() -> list[dict]:
    return sorted((_public_key(d) for d in _repo().keys()), key=lambda d: d["created_at"])


def revoke_key(key_id: str, now: datetime, by: str) -> dict | None:
    doc = _repo().key(key_id) if key_id.isalnum() and len(key_id) == 12 else None
    if doc is None:
        return None
    if not doc.get("revoked_at"):
        doc = {**doc, "revoked_at": now.isoformat(), "revoked_by": by}
        _repo().put_key(key_id, doc)
    return _public_key(doc)


# -- the audit log -----------------------------------------------------------------------------

def record(by: str, action: str, target: str, data: dict, now: datetime) -> None:
    """One audit line, written after the change it records: a lost line is logged loudly, never
    raised (the change is made; a 500 would only invite a retry of it)."""
    try:
        _repo().append_audit(access.AuditEntry(now.isoformat(), by, action, target, data).public())
    except Exception:
        from ..observability import logger

        logger.exception("audit write failed", extra={"action": action, "target": target})


def audit(since: str | None, limit: int, now: datetime) -> list[dict]:
    if since:
        try:
            since = datetime.fromisoformat(since.replace("Z", "+00:00")).isoformat()
        except ValueError:
            raise ValidationError({"since": "must be an ISO 8601 time such as 2027-03-02T15:00:00+00:00"}) from None
    return _repo().audit(since or "", limit, now)
