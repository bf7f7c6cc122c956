"""The composition root: one place that wires settings, repositories and adapters."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..config import Settings, settings


@dataclass
class Context:
    settings: Settings
    # An in-memory store (chalicelib/store/memory/: the fast simulator, fakes); None is DynamoDB.
    # Either way every repository is the Protocol of store/ports.py.
    store: object | None = None

    def _memory(self, name: str):
        return getattr(self.store, name) if self.store is not None else None

    @cached_property
    def leads(self):
        from ..store.leads import LeadRepo

        return self._memory("leads") or LeadRepo(self._team_keys)

    @cached_property
    def timeline(self):
        from ..store.timeline import TimelineRepo

        return self._memory("timeline") or TimelineRepo(self.settings.team.retention_years)

    @cached_property
    def tasks(self):
        from ..store.tasks import TaskRepo

        return self._memory("tasks") or TaskRepo()

    @cached_property
    def enrollments(self):
        from ..store.enrollments import EnrollmentRepo

        return self._memory("enrollments") or EnrollmentRepo()

    @cached_property
    def uow(self):
        """The unit of work: what one decision changed, written all-or-nothing (store/ports.py)."""
        from ..store.unit_of_work import UnitOfWork

        return self._memory("uow") or UnitOfWork(self._team_keys)

    @property
    def _team_keys(self) -> dict:
        # what a lead's index keys depend on, and how long the records a decision writes are kept
        return {"no_contact_days": self.settings.team.no_contact_days,
                "retention_years": self.settings.team.retention_years}

    @cached_property
    def privacy(self):
        """Erasure and suppression entries (store/privacy.py)."""
        from ..store.privacy import PrivacyRepo

        return self._memory("privacy") or PrivacyRepo()

    @cached_property
    def touches(self):
        from ..store.touches import TouchRepo

        return self._memory("touches") or TouchRepo(self.settings.team.retention_years)

    @cached_property
    def stats(self):
        from ..store.stats import StatsRepo

        return self._memory("stats") or StatsRepo()

    @cached_property
    def imports(self):
        from ..store.imports import ImportRepo

        return ImportRepo()

    @cached_property
    def switches(self):
        from ..store.switches import SwitchRepo

        return self._memory("switches") or SwitchRepo()

    @cached_property
    def rates(self):
        from ..store.rates import RateRepo

        return self._memory("rates") or RateRepo()

    @cached_property
    def templates(self):
        """Team versions of templates (store/templates.py)."""
        from ..store.templates import TemplateRepo

        return self._memory("templates") or TemplateRepo()

    @cached_property
    def deliverability(self):
        """Sender reputation: day counters, the brake's state, hard-bounced addresses."""
        from ..store.deliverability import DeliverabilityRepo

        return self._memory("deliverability") or DeliverabilityRepo()

    @cached_property
    def access(self):
        """Integration keys, the sign-in brake's counts, signed-out sessions and tokens, the audit log."""
        from ..store.access import AccessRepo

        return self._memory("access") or AccessRepo()

    @classmethod
    def in_memory(cls, s: Settings | None = None) -> "Context":
        """Every repository in memory (same interface and behaviour, held by the contract suite)."""
        from ..store.memory import MemoryStore

        s = s or settings()
        return cls(s, MemoryStore({"no_contact_days": s.team.no_contact_days}))

    # guard rails (store/guard.py): held batches, the book count, held rate quotes
    @cached_property
    def holds(self):
        from ..store.guard import HoldRepo

        return self._memory("holds") or HoldRepo()

    @cached_property
    def book(self):
        from ..store.guard import BookRepo

        return self._memory("book") or BookRepo()

    @cached_property
    def held_rates(self):
        from ..store.guard import HeldQuoteRepo

        return self._memory("held_rates") or HeldQuoteRepo()


_ctx: Context | None = None


def context() -> Context:
    global _ctx
    if _ctx is None:
        _ctx = Context(settings())
        _words_from(_ctx)
    return _ctx


def use(ctx: Context | None) -> None:
    """Make ``ctx`` the handlers' context (the fast simulator's in-memory one); None resets."""
    global _ctx
    _ctx = ctx
    if ctx is not None:
        _words_from(ctx)


def _words_from(ctx: Context) -> None:
    """Render reads the team's live template versions from this context's store (content/versions.py)."""
    from ..content import versions

    versions.install(ctx.templates.live_all)
