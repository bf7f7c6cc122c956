"""Signed tracking tokens for open pixels, click redirects, unsubscribe links and reply addresses.

Format: ``<kid>.<payload>.<sig>``, all three URL-safe (``[A-Za-z0-9_-]``):

* ``kid`` names the key that signed it, so keys can rotate: sign with the new key, keep
  the old one in ``keys`` until mail carrying it has aged out, then drop it.
* ``payload`` is base64url (no padding) of the compact JSON array
  ``[kind, touch_id, lead_id]``, plus the destination URL for clicks.
* ``sig`` is HMAC-SHA256 over ``<context>.<kid>.<payload>``, truncated to 16 bytes
  (128 bits, well above what online forgery could reach), base64url. It covers the kid, so
  a token cannot be re-labelled to another key, and every payload byte, so no id or URL can
  be swapped.

Privacy: a token is signed, not encrypted. Anyone holding it can decode the payload, so it
carries only opaque ids (touch and lead ids are random hex, never a name, email or phone)
and, for clicks, the destination URL, which is the marketer's own link: visible to the
recipient anyway, and authenticated so the redirect cannot be turned into an open redirect.

``verify`` never raises: anything malformed, signed by an unknown key, badly signed or of
the wrong shape is ``None``. ``sign`` raises ``ValueError`` for bad input, a bug upstream.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

KINDS = {"o": "open", "c": "click", "u": "unsubscribe", "r": "reply"}

# Domain separation: if a key were ever reused for another purpose, MACs made there can't
# be replayed as tracking tokens. Bump the version with any change of payload layout.
_CONTEXT = b"touchengine.tracking.v1"
_SIG_BYTES = 16
_SIG_CHARS = 22  # base64url length of 16 bytes without padding
_MIN_KEY_BYTES = 16
# Bounds parsing work on hostile input; a click token with a long URL still fits easily.
MAX_TOKEN_CHARS = 4096
_KID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class TokenPayload:
    """What a token says: which touch, which lead, and for clicks where to send them."""

    kind: str  # 'o' open, 'c' click, 'u' unsubscribe, 'r' reply address
    touch_id: str
    lead_id: str
    url: str | None = None


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    # callers have already checked the alphabet, so nothing is silently discarded here
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_bytes(key: bytes | str | None) -> bytes | None:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES:
        return None  # a missing or too-short key signs nothing and verifies nothing
    return key


def _mac(key: bytes, kid: str, payload: str) -> str:
    message = _CONTEXT + b"." + kid.encode("ascii") + b"." + payload.encode("ascii")
    return _b64encode(hmac.new(key, message, hashlib.sha256).digest()[:_SIG_BYTES])


def _shape_ok(kind: object, touch_id: object, lead_id: object, url: object) -> bool:
    if kind not in KINDS:
        return False
    if not (isinstance(touch_id, str) and touch_id and isinstance(lead_id, str) and lead_id):
        return False
    # a click always carries its destination; nothing else carries one
    if kind == "c":
        return isinstance(url, str) and bool(url)
    return url is None


def sign(payload: TokenPayload, keys: Mapping[str, bytes], active_kid: str) -> str:
    """A token for ``payload`` signed with ``keys[active_kid]``."""
    if not _KID.fullmatch(active_kid or ""):
        raise ValueError("active_kid must be 1-16 characters of [A-Za-z0-9_-]")
    key = _key_bytes(keys.get(active_kid))
    if key is None:
        raise ValueError(f"no usable key (at least {_MIN_KEY_BYTES} bytes) for kid {active_kid!r}")
    if not _shape_ok(payload.kind, payload.touch_id, payload.lead_id, payload.url):
        raise ValueError(f"not a valid token payload: {payload!r}")
    fields = [payload.kind, payload.touch_id, payload.lead_id]
    if payload.url is not None:
        fields.append(payload.url)
    body = _b64encode(json.dumps(fields, separators=(",", ":")).encode("utf-8"))
    token = f"{active_kid}.{body}.{_mac(key, active_kid, body)}"
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError("token too long: destination URL is unreasonably long")
    return token


def verify(token: object, keys: Mapping[str, bytes]) -> TokenPayload | None:
    """The payload of a genuine token, else None. Never raises."""
    try:
        return _verify(token, keys)
    except Exception:  # noqa: BLE001 - an attacker-supplied string must never become a 500
        return None


def _verify(token: object, keys: Mapping[str, bytes]) -> TokenPayload | None:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    kid, body, sig = parts
    if not (_KID.fullmatch(kid) and _B64URL.fullmatch(body) and len(sig) == _SIG_CHARS
            and _B64URL.fullmatch(sig)):
        return None
    key = _key_bytes(keys.get(kid))
    if key is None:
        return None
    # signature first: nothing attacker-made reaches the JSON parser
    if not hmac.compare_digest(_mac(key, kid, body).encode("ascii"), sig.encode("ascii")):
        return None
    try:
        fields = json.loads(_b64decode(body).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(fields, list) or len(fields) not in (3, 4):
        return None
    kind, touch_id, lead_id = fields[:3]
    url = fields[3] if len(fields) == 4 else None
    if not _shape_ok(kind, touch_id, lead_id, url):
        return None
    return TokenPayload(kind, touch_id, lead_id, url)


def open_token(touch_id: str, lead_id: str, *, keys: Mapping[str, bytes], active_kid: str) -> str:
    """Token for the open-tracking pixel."""
    return sign(TokenPayload("o", touch_id, lead_id), keys, active_kid)


def click_token(touch_id: str, lead_id: str, url: str, *, keys: Mapping[str, bytes], active_kid: str) -> str:
    """Token for a click redirect to ``url``."""
    return sign(TokenPayload("c", touch_id, lead_id, url), keys, active_kid)


def unsubscribe_token(touch_id: str, lead_id: str, *, keys: Mapping[str, bytes], active_kid: str) -> str:
    """Token for the unsubscribe page and the List-Unsubscribe mailto."""
    return sign(TokenPayload("u", touch_id, lead_id), keys, active_kid)


def reply_token(touch_id: str, lead_id: str, *, keys: Mapping[str, bytes], active_kid: str) -> str:
    """Token for the ``reply+<token>@`` address that routes replies back to the lead."""
    return sign(TokenPayload("r", touch_id, lead_id), keys, active_kid)
