"""The composition root: one place that wires settings, repositories and adapters."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..config import Settings, settings


@dataclass
class Context:
    settings: Settings
    # An in-memory store (chalicelib/store/memory.py: the fast simulator, fakes); None is DynamoDB.
    store: object | None = None

    def _memory(self, name: str):
        return getattr(self.store, name) if self.store is not None else None

    @cached_property
    def leads(self):
        from ..store.repos import LeadRepo

        return self._memory("leads") or LeadRepo({"no_contact_days": self.settings.team.no_contact_days})

    @cached_property
    def timeline(self):
        from ..store.repos import TimelineRepo

        return self._memory("timeline") or TimelineRepo()

    @cached_property
    def tasks(self):
        from ..store.repos import TaskRepo

        return self._memory("tasks") or TaskRepo()

    @cached_property
    def enrollments(self):
        from ..store.repos import EnrollmentRepo

        return self._memory("enrollments") or EnrollmentRepo()

    @cached_property
    def touches(self):
        from ..store.repos import TouchRepo

        return self._memory("touches") or TouchRepo()

    @cached_property
    def stats(self):
        from ..store.repos import StatsRepo

        return self._memory("stats") or StatsRepo()

    @cached_property
    def rates(self):
        from ..store.repos import RateRepo

        return self._memory("rates") or RateRepo()

    @classmethod
    def in_memory(cls, s: Settings | None = None) -> "Context":
        """Every repository in memory (same interface and behaviour, held by the contract suite)."""
        from ..store.memory import MemoryStore

        s = s or settings()
        return cls(s, MemoryStore({"no_contact_days": s.team.no_contact_days}))


_ctx: Context | None = None


def context() -> Context:
    global _ctx
    if _ctx is None:
        _ctx = Context(settings())
    return _ctx


def use(ctx: Context | None) -> None:
    """Make ``ctx`` the handlers' context (the fast simulator's in-memory one); None resets."""
    global _ctx
    _ctx = ctx
