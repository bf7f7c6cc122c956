"""The composition root: one place that wires settings, repositories and adapters."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..config import Settings, settings


@dataclass
class Context:
    settings: Settings

    @cached_property
    def leads(self):
        from ..store.repos import LeadRepo

        return LeadRepo({"no_contact_days": self.settings.team.no_contact_days})

    @cached_property
    def timeline(self):
        from ..store.repos import TimelineRepo

        return TimelineRepo()

    @cached_property
    def tasks(self):
        from ..store.repos import TaskRepo

        return TaskRepo()

    @cached_property
    def enrollments(self):
        from ..store.repos import EnrollmentRepo

        return EnrollmentRepo()

    @cached_property
    def touches(self):
        from ..store.repos import TouchRepo

        return TouchRepo()

    @cached_property
    def stats(self):
        from ..store.repos import StatsRepo

        return StatsRepo()

    @cached_property
    def rates(self):
        from ..store.repos import RateRepo

        return RateRepo()

    # guard rails (store/guard.py): held batches, the book count, held rate quotes
    @cached_property
    def holds(self):
        from ..store.guard import HoldRepo

        return HoldRepo()

    @cached_property
    def book(self):
        from ..store.guard import BookRepo

        return BookRepo()

    @cached_property
    def held_rates(self):
        from ..store.guard import HeldQuoteRepo

        return HeldQuoteRepo()


_ctx: Context | None = None


def context() -> Context:
    global _ctx
    if _ctx is None:
        _ctx = Context(settings())
    return _ctx
