"""Integration keys, the sign-in brake's counts, signed-out sessions and the audit log in memory
(store/access.py)."""
from __future__ import annotations

from datetime import datetime

from ..keys import audit_months
from .tables import dump, load, lock


class MemoryAccessRepo:
    def __init__(self):
        self._keys: dict[str, str] = {}
        self._logins: dict[str, tuple[int, str | None]] = {}
        self._audit: list[str] = []  # in the order written
        self._revoked: dict[str, int] = {}

    def put_key(self, key_id: str, doc: dict) -> None:
        with lock:
            self._keys[key_id] = dump(doc)

    def key(self, key_id: str) -> dict | None:
        with lock:
            raw = self._keys.get(key_id)
        return load(raw) if raw else None

    def keys(self) -> list[dict]:
        with lock:
            return [load(self._keys[k]) for k in sorted(self._keys)]

    def login_failures(self, who: str) -> tuple[int, str | None]:
        with lock:
            return self._logins.get(who, (0, None))

    def claim_login_attempt(self, who: str, seen: int, failures: int, at: str) -> bool:
        with lock:
            if self._logins.get(who, (0, None))[0] != seen:
                return False
            self._logins[who] = (failures, at)
            return True

    def set_login_failures(self, who: str, failures: int, at: str | None) -> None:
        with lock:
            if failures == 0:
                self._logins.pop(who, None)
            else:
                self._logins[who] = (failures, at)

    def revoke(self, name: str, until: int) -> None:
        with lock:
            self._revoked[name] = until

    def revoked(self, name: str, now: int) -> bool:
        with lock:
            return self._revoked.get(name, 0) > now

    def append_audit(self, entry: dict) -> None:
        with lock:
            self._audit.append(dump(entry))

    def audit(self, since: str, limit: int, now: datetime) -> list[dict]:
        months = set(audit_months(since, now))  # the month partitions DynamoDB reads
        with lock:
            entries = [load(raw) for raw in reversed(self._audit)]
        entries.sort(key=lambda e: e["at"], reverse=True)  # stable: one instant's lines newest first
        return [e for e in entries if e["at"][:7] in months and e["at"] >= since][:limit]
