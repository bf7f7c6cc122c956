"""Integration keys, the sign-in brake's counts and the audit log: small partitions of the stats
table (as the sequence switches are), so people and keys add no table. Accounts themselves live
in Cognito (chalicelib/people/directory.py); nothing here holds a password.

- ``access#key`` / <key_id>: a key's name, scopes, SHA-256 of its secret, who made and revoked it;
- ``access#login`` / <sha256(e-mail)>: the failures in a row and when the last one was;
- ``access#revoked`` / <name>: a signed-out session (``sid:<id>``) or access token (``jti:<id>``),
  until it would have expired anyway (``expires_at``: the stats table's TTL removes it then);
- ``audit#<YYYY-MM>`` / <at>#<id>: one entry per change, a month per partition.
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .keys import audit_months
from .models import _meta

KEYS = "access#key"
LOGINS = "access#login"
REVOKED = "access#revoked"
AUDIT = "audit#"


class AccessModel(Model):
    Meta = _meta("stats")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    failures = NumberAttribute(null=True)
    last_failure_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL (epoch seconds): only on a revocation


class AccessRepo:
    # -- integration keys
    def put_key(self, key_id: str, doc: dict) -> None:
        AccessModel(KEYS, key_id, doc=doc).save()

    def key(self, key_id: str) -> dict | None:
        try:  # a strongly consistent read: a revoked key stops at once
            return AccessModel.get(KEYS, key_id, consistent_read=True).doc
        except AccessModel.DoesNotExist:
            return None

    def keys(self) -> list[dict]:
        return [m.doc for m in AccessModel.query(KEYS)]

    # -- the sign-in brake
    def login_failures(self, who: str) -> tuple[int, str | None]:
        try:
            m = AccessModel.get(LOGINS, who, consistent_read=True)
        except AccessModel.DoesNotExist:
            return 0, None
        return int(m.failures or 0), m.last_failure_at

    def claim_login_attempt(self, who: str, seen: int, failures: int, at: str) -> bool:
        """Count an attempt before Cognito is asked, if the count is still the ``seen`` one: of
        attempts made at once, one goes on and the others wait (a burst cannot slip past the brake)."""
        from pynamodb.exceptions import PutError

        from .ddb import is_conditional

        same = AccessModel.failures.does_not_exist() if seen == 0 else AccessModel.failures == seen
        try:
            AccessModel(LOGINS, who, failures=failures, last_failure_at=at).save(condition=same)
        except PutError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def set_login_failures(self, who: str, failures: int, at: str | None) -> None:
        if failures == 0:
            AccessModel(LOGINS, who).delete()
        else:
            AccessModel(LOGINS, who, failures=failures, last_failure_at=at).save()

    # -- signed-out sessions and tokens
    def revoke(self, name: str, until: int) -> None:
        AccessModel(REVOKED, name, expires_at=until).save()

    def revoked(self, name: str, now: int) -> bool:
        """Revoked and not yet past its own expiry (TTL deletes within days, not at the second)."""
        try:  # strongly consistent: a sign-out holds from the next request on
            m = AccessModel.get(REVOKED, name, consistent_read=True)
        except AccessModel.DoesNotExist:
            return False
        return int(m.expires_at or 0) > now

    # -- the audit log
    def append_audit(self, entry: dict) -> None:
        # within one second, the order of writing (newest first reads back the way it happened)
        AccessModel(AUDIT + entry["at"][:7], f"{entry['at']}#{time.time_ns():016x}{uuid.uuid4().hex[:6]}", doc=entry).save()

    def audit(self, since: str, limit: int, now: datetime) -> list[dict]:
        """Newest first, at most ``limit``, none before ``since`` (ISO time; "" is a year back)."""
        out: list[dict] = []
        for month in audit_months(since, now):
            query = AccessModel.query(AUDIT + month, AccessModel.sk >= since if since else None,
                                      scan_index_forward=False, limit=limit - len(out))
            out.extend(m.doc for m in query)
            if len(out) >= limit:
                break
        return out[:limit]
