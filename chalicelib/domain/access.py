"""Who may do what: roles for people, scopes for integration keys, and the sign-in brake. Pure.

Every API route and console page names one action; :func:`allows` is the single answer to
"may this principal do it". An LO's book (the leads whose ``lo_id`` is theirs) is a filter the
API applies on top, never a choice the LO makes (:attr:`Principal.book`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .lead import ValidationError

ROLES = ("lo", "manager", "compliance", "ops")
SCOPES = ("read", "leads", "los", "imports", "rates", "admin")

_EVERYONE = frozenset(ROLES)
_DESK = frozenset({"manager", "ops"})
# action -> (the roles that may, the key scope that may; "admin" may everything)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "read": (_EVERYONE, "read"),                    # the book, tasks, rates, sequences, analytics
    "read.desk": (frozenset({"manager", "compliance", "ops"}), "read"),  # holds, import reports
    "leads": (frozenset({"lo", "manager", "ops"}), "leads"),  # create and change leads, tasks done
    "los": (_DESK, "los"),
    "imports": (_DESK, "imports"),
    "rates": (_DESK, "rates"),
    "desk": (_DESK, "admin"),                       # holds released, sequences on and off
    "local": (_DESK, "admin"),                      # the local stage's clock and inbound simulators
    "audit": (frozenset({"compliance", "ops"}), "admin"),
    "erase": (frozenset({"compliance", "ops"}), "admin"),   # a borrower's data removed on request
    "people": (frozenset({"ops"}), "admin"),        # people and integration keys
    "content.write": (frozenset({"manager", "compliance", "ops"}), "admin"),  # template drafts, rollback
    "content.approve": (frozenset({"compliance"}), "admin"),  # a draft live (a person, not its author)
    "deliverability": (_DESK, "read"),              # sender reputation: bounce and complaint rates, the brake
    "deliverability.resume": (frozenset({"ops"}), "admin"),  # a braked identity's marketing let go again
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a person (roles) or an integration key (scopes)."""
    by: str                                  # what the timeline and the audit log say: e-mail or key:<name>
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    lo_id: str | None = None
    user_id: str | None = None

    @property
    def is_key(self) -> bool:
        return self.by.startswith("key:")

    @property
    def book(self) -> str | None:
        """The one LO whose book this principal sees; None is the whole team. A person who is only
        an LO sees their own book, and an LO account with no ``lo_id`` sees nothing."""
        if self.is_key or self.roles - {"lo"}:
            return None
        return self.lo_id or "-"

    def sees(self, lo_id: str | None) -> bool:
        return self.book is None or lo_id == self.book

    def public(self) -> dict:
        return {"by": self.by, "roles": sorted(self.roles), "scopes": sorted(self.scopes), "lo_id": self.lo_id,
                "user_id": self.user_id}


def allows(principal: Principal, action: str) -> bool:
    roles, scope = ACTIONS[action]
    if principal.is_key:
        return "admin" in principal.scopes or scope in principal.scopes
    return bool(principal.roles & roles)


# -- sign-in brake -----------------------------------------------------------------------------

FREE_FAILURES = 5                      # the sixth wrong password in a row waits
FAILURE_MEMORY = timedelta(minutes=15)  # failures older than this are forgiven
MAX_WAIT = timedelta(minutes=15)


def login_wait(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """Seconds before this e-mail may try a password again (0: now). Doubles from one minute per
    failure past the fifth, at most a quarter of an hour: a guesser gets a few dozen tries a day,
    a person who mistyped waits a minute."""
    if failures < FREE_FAILURES or last_failure_at is None or now - last_failure_at >= FAILURE_MEMORY:
        return 0
    wait = min(timedelta(minutes=2 ** (failures - FREE_FAILURES)), MAX_WAIT)
    return max(0, int((last_failure_at + wait - now).total_seconds()) + 1)


def failures_after(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    """The count a new failure makes: a streak forgiven by time starts again at one."""
    if last_failure_at is None or now - last_failure_at >= FAILURE_MEMORY:
        return 1
    return failures + 1


# -- what people and keys are made of ----------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_KEY_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


def validate_person(body: object, lo_ids: tuple[str, ...]) -> dict:
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    email = body.get("email")
    if not isinstance(email, str) or not _EMAIL.match(email.strip()) or len(email) > 254:
        errors["email"] = "must be an e-mail address"
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 80:
        errors["name"] = "must be the person's name (1 to 80 characters)"
    roles = body.get("roles")
    if not isinstance(roles, list) or not roles or not all(r in ROLES for r in roles):
        errors["roles"] = f"must be a non-empty list of {', '.join(ROLES)}"
    lo_id = body.get("lo_id")
    if isinstance(roles, list) and "lo" in roles and lo_id not in lo_ids:
        errors["lo_id"] = f"an LO needs the loan officer they are: one of {', '.join(lo_ids)}"
    elif lo_id is not None and lo_id not in lo_ids:
        errors["lo_id"] = f"must be one of {', '.join(lo_ids)}"
    password = body.get("password")
    if password is not None and (not isinstance(password, str) or not 12 <= len(password) <= 256):
        errors["password"] = "must be 12 to 256 characters (or leave it out to invite the person)"
    if errors:
        raise ValidationError(errors)
    return {"email": email.strip().lower(), "name": name.strip(), "roles": sorted(set(roles)), "lo_id": lo_id,
            "password": password}


RESERVED_KEY_NAMES = ("bootstrap",)  # the stage's own key: no other may pass for it in the audit log


def validate_key(body: object, taken: tuple[str, ...] = ()) -> dict:
    """``taken``: the names of the team's keys so far (revoked ones too: a name stays one key's)."""
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    name = body.get("name")
    if not isinstance(name, str) or not _KEY_NAME.match(name):
        errors["name"] = "must be 1 to 40 lowercase letters, digits, '.', '_' or '-' (e.g. encompass)"
    elif name in RESERVED_KEY_NAMES or name in taken:
        errors["name"] = "is taken: each key has a name of its own (the audit log names it)"
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not scopes or not all(s in SCOPES for s in scopes):
        errors["scopes"] = f"must be a non-empty list of {', '.join(SCOPES)}"
    if errors:
        raise ValidationError(errors)
    return {"name": name, "scopes": sorted(set(scopes))}


@dataclass(frozen=True)
class AuditEntry:
    at: str
    by: str
    action: str          # "POST /leads/{lead_id}/stage", or a console form's "console: stage"
    target: str          # what it touched: "lead:<id>", "key:<id>", "user:<id>", "rates", ...
    data: dict = field(default_factory=dict)

    def public(self) -> dict:
        return {"at": self.at, "by": self.by, "action": self.action, "target": self.target, "data": self.data}


SAFE_FIELDS = ("stage", "channel", "granted", "type", "product", "rate", "as_of", "confirm", "enabled",
               "roles", "lo_id", "scopes", "milestone", "action", "status")


def audit_data(body: dict | None, extra: dict | None = None) -> dict:
    """What the audit log keeps of a change: which fields it set, and the values of those that are
    not a borrower's personal data (an erase must find none of it here)."""
    body = body if isinstance(body, dict) else {}
    data = {"fields": sorted(str(k) for k in body)[:30]}
    for key in SAFE_FIELDS:
        value = body.get(key)
        if isinstance(value, (str, int, float, bool)) and len(str(value)) <= 80 or \
                isinstance(value, list) and all(isinstance(v, str) and len(v) <= 40 for v in value[:10]):
            data[key] = value
    return {**data, **(extra or {})}
