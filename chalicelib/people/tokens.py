"""Cognito's access tokens, verified with PyJWT against the pool's published keys (RS256): the
signature, the issuer, the expiry, that it is an access token and that it was issued to this
app's client. No crypto of our own."""
from __future__ import annotations

import threading
from functools import lru_cache

import jwt

from .directory import pool

_lock = threading.Lock()


@lru_cache(maxsize=4)
def _keys(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


@lru_cache(maxsize=4)
def _file_keys(url: str) -> jwt.PyJWKSet:
    """Keys pinned in a file (COGNITO_JWKS_URL=file://...: the tests' in-process stand-in, which
    serves no HTTP); PyJWKClient fetches over HTTP(S) only."""
    from pathlib import Path
    from urllib.parse import urlparse

    return jwt.PyJWKSet.from_json(Path(urlparse(url).path).read_text())


def _signing_key(url: str, token: str):
    if url.startswith("file:"):
        return _file_keys(url)[jwt.get_unverified_header(token)["kid"]].key
    with _lock:  # PyJWKClient fetches on a miss; one fetch at a time
        return _keys(url).get_signing_key_from_jwt(token).key


def claims(token: str) -> dict | None:
    """The claims of a valid access token of this team's pool (``sub``, ``jti``, ``exp``...), else None."""
    p = pool()
    try:
        key = _signing_key(p.jwks_url, token)
        found = jwt.decode(token, key, algorithms=["RS256"], issuer=p.issuer,
                           options={"require": ["exp", "iss", "sub", "token_use", "jti"]})
    except (jwt.PyJWTError, KeyError):  # KeyError: a kid the pool never published
        return None
    if found.get("token_use") != "access" or found.get("client_id") != p.client_id:
        return None
    return found


def subject(token: str) -> str | None:
    """The ``sub`` of a valid access token of this team's pool, else None."""
    found = claims(token)
    return found["sub"] if found else None


def expiry(token: str) -> int:
    """The expiry of a token just issued by Cognito (read, not trusted: it came from Cognito itself)."""
    return int(jwt.decode(token, options={"verify_signature": False})["exp"])
