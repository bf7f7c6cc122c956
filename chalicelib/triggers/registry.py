"""Triggers: pure rules that turn an event (or the passing of time) into decisions.

A trigger is ``fn(inp: TriggerInput) -> list[decision]``. Modules register their rules with
:func:`trigger` for the event types they care about; :func:`evaluate` runs them all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable


@dataclass(frozen=True)
class TriggerInput:
    lead: dict                 # after the event was applied
    before: dict               # before it
    event: dict
    now: datetime
    settings: dict             # team settings the rules read (thresholds, cap...)
    enrollments: tuple = ()    # the lead's enrollments
    recent: tuple = ()         # recent timeline events (newest last), for behaviour windows


@dataclass(frozen=True)
class Enroll:
    sequence: str
    reason: str
    hot: bool = False
    start_step: str | None = None


@dataclass(frozen=True)
class Exit:
    reason: str
    sequence: str | None = None            # None: every live enrollment
    only_priority_below: int | None = None  # keep pipeline updates when a marketing opt-out comes


@dataclass(frozen=True)
class Pause:
    reason: str


@dataclass(frozen=True)
class Resume:
    reason: str


@dataclass(frozen=True)
class JumpTo:
    sequence: str
    step: str
    reason: str


@dataclass(frozen=True)
class Stretch:
    factor: float
    reason: str


@dataclass(frozen=True)
class Repace:
    """A paced program's next touch re-timed at a new pace (a hot signal: sooner)."""
    sequence: str
    pace: float
    tier: str


@dataclass(frozen=True)
class CreateTask:
    kind: str                  # call | reply | escalation | review | check_in
    title: str
    body: str
    due_minutes: int = 24 * 60
    assignee: str = "lo"       # lo | manager
    key: str = ""              # dedupe key: one task per (lead, key)
    hot: bool = False


@dataclass(frozen=True)
class SetLead:
    """Remember something on the lead (a cooldown, a flag) so rules do not fire twice."""
    fields: dict = field(default_factory=dict)


Trigger = Callable[[TriggerInput], list]
_RULES: dict[str, list[Trigger]] = {}


def trigger(*event_types: str):
    def register(fn: Trigger) -> Trigger:
        for t in event_types:
            _RULES.setdefault(t, []).append(fn)
        return fn
    return register


def rules_for(event_type: str) -> list[Trigger]:
    return list(_RULES.get(event_type, ())) + list(_RULES.get("*", ()))


def evaluate(inp: TriggerInput) -> list:
    _load_rule_modules()
    decisions: list = []
    for rule in rules_for(inp.event["type"]):
        decisions.extend(rule(inp))
    return decisions


def _load_rule_modules() -> None:
    # Importing the modules registers their rules; each new trigger family is one import here.
    from . import behavioral, engagement, external, imported, programs, stage, time  # noqa: F401
