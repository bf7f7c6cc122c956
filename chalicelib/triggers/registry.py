"""Triggers: pure rules that turn an event (or the passing of time) into decisions.

A trigger is ``fn(inp: TriggerInput) -> list[decision]`` (:mod:`.decisions`). The rule modules mark
their rules with :func:`~.decisions.trigger` for the event types they care about; this registry
lists the rule modules, collects their marked rules and :func:`evaluate` runs them all. A rule
module never imports the registry; rules share helpers through :mod:`.common`.
"""
from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from .decisions import (EVENT_TYPES, CreateTask, Enroll, Exit, JumpTo, Pause, Repace, Resume, SetLead, Stretch,
                        Trigger, TriggerInput, trigger)

# The input and the decisions are re-exported: the engine runner and the tests import them from here.
__all__ = ["CreateTask", "Enroll", "Exit", "JumpTo", "Pause", "Repace", "Resume", "SetLead", "Stretch", "Trigger",
           "TriggerInput", "evaluate", "rule_modules", "rules_for", "rules_of", "trigger"]


def rule_modules() -> tuple[ModuleType, ...]:
    """The rule modules, in the order their rules run for an event. Each new trigger family is one
    import and one entry here. They are imported on the first evaluation, not with the registry:
    they load the sequence catalog."""
    from . import behavioral, engagement, external, imported, programs, stage, time

    return (behavioral, engagement, external, stage, imported, programs, time)


def rules_of(module: ModuleType) -> list[Trigger]:
    """The rules a module defines (not ones it imports), in the order it defines them."""
    return [fn for fn in vars(module).values()
            if callable(fn) and hasattr(fn, EVENT_TYPES) and getattr(fn, "__module__", None) == module.__name__]


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[Trigger, ...]]:
    table: dict[str, list[Trigger]] = {}
    for module in rule_modules():
        for rule in rules_of(module):
            for t in getattr(rule, EVENT_TYPES):
                table.setdefault(t, []).append(rule)
    return {t: tuple(rules) for t, rules in table.items()}


def rules_for(event_type: str) -> list[Trigger]:
    table = _table()
    return list(table.get(event_type, ())) + list(table.get("*", ()))


def evaluate(inp: TriggerInput) -> list:
    decisions: list = []
    for rule in rules_for(inp.event["type"]):
        decisions.extend(rule(inp))
    return decisions
