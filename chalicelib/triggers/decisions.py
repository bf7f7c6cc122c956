"""What a trigger rule reads and what it decides: the vocabulary shared by the rule modules, the
registry that runs them and the engine runner that applies the decisions.

A rule is ``fn(inp: TriggerInput) -> list[decision]``, marked with :func:`trigger` for the event
types it answers. Marking does not register anything: the registry collects the marked rules of the
modules it lists, so a rule module never imports the registry.
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
    priority: str | None = None  # the LO's day's class (domain/lo_day.py) when kind and heat do not say it


@dataclass(frozen=True)
class SetLead:
    """Remember something on the lead (a cooldown, a flag) so rules do not fire twice."""
    fields: dict = field(default_factory=dict)


Trigger = Callable[[TriggerInput], list]
EVENT_TYPES = "trigger_events"  # the attribute :func:`trigger` sets on a rule


def trigger(*event_types: str):
    """Mark a rule for the event types it answers (``"*"``: every event)."""
    def mark(fn: Trigger) -> Trigger:
        setattr(fn, EVENT_TYPES, tuple(event_types))
        return fn
    return mark
