"""Tracked URLs for one touch: open pixel, click redirects, unsubscribe, reply address."""
from __future__ import annotations

import hashlib
import hmac

from ..config import settings
from .tokens import TokenPayload, sign, verify


def keys() -> tuple[dict[str, bytes], str]:
    """The signing keys and the active key id.

    Deployed stages keep them in an SSM SecureString ("kid:secret,kid2:secret2", the first
    signs, all verify, so a rotation keeps old links working); Powertools caches the value for
    five minutes. The local stage generates its key when the stack starts.
    """
    s = settings()
    if s.tracking_key_param:
        from aws_lambda_powertools.utilities import parameters

        raw = parameters.get_parameter(s.tracking_key_param, decrypt=True, max_age=300)
        pairs = [p.split(":", 1) for p in raw.split(",") if ":" in p]
        return {k.strip(): v.strip().encode() for k, v in pairs}, pairs[0][0].strip()
    return s.tracking_keys, s.tracking_active_kid


def _sign(kind: str, touch_id: str, lead_id: str, url: str | None = None) -> str:
    secrets, kid = keys()
    return sign(TokenPayload(kind, touch_id, lead_id, url), secrets, kid)


def check(token: str) -> TokenPayload | None:
    return verify(token, keys()[0])


class TouchTracker:
    """Implements content.render.Tracker for one touch."""

    def __init__(self, touch_id: str, lead_id: str, base_url: str | None = None):
        self.touch_id, self.lead_id = touch_id, lead_id
        self.base = (base_url or settings().team.public_base_url).rstrip("/")
        self.links: list[str] = []

    def click_url(self, url: str) -> str:
        self.links.append(url)
        return f"{self.base}/t/c/{_sign('c', self.touch_id, self.lead_id, url)}"

    def open_url(self) -> str:
        return f"{self.base}/t/o/{_sign('o', self.touch_id, self.lead_id)}"

    def unsubscribe_url(self) -> str:
        return f"{self.base}/u/{_sign('u', self.touch_id, self.lead_id)}"

    def reply_address(self) -> str:
        return f"reply+{address_tag('r', self.lead_id)}@{settings().team.reply_domain}"

    def unsubscribe_mailto(self) -> str:
        return f"mailto:unsubscribe+{address_tag('u', self.lead_id)}@{settings().team.reply_domain}"


def address_tag(kind: str, lead_id: str) -> str:
    """A short, lower-case, signed tag for the local part of an address.

    Full tokens do not fit: RFC 5321 caps the local part at 64 characters, and some servers
    lower-case it. The lead id (hex) plus a 40-bit MAC does, and forging one gains nothing
    but pausing a sequence.
    """
    secrets, kid = keys()
    mac = hmac.new(secrets[kid], f"{kind}:{lead_id}".encode(), hashlib.sha256).hexdigest()[:10]
    return f"{lead_id}-{mac}"


def lead_from_reply_address(address: str) -> str | None:
    local = address.split("@")[0].strip("<> ").lower()
    if "+" not in local:
        return None
    prefix, tag = local.split("+", 1)
    kind = "u" if prefix == "unsubscribe" else "r"
    lead_id, _, mac = tag.rpartition("-")
    for key in keys()[0].values():  # any live key: rotation keeps old replies working
        expected = hmac.new(key, f"{kind}:{lead_id}".encode(), hashlib.sha256).hexdigest()[:10]
        if lead_id and hmac.compare_digest(mac, expected):
            return lead_id
    return None
