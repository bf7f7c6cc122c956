"""The store in memory, for the fast simulator and for fakes: the same repositories
(store/ports.py) over plain dicts, with the same answers and the same failures:
version-conditioned writes raise Conflict, identity claims raise Duplicate, a unit of work is
all-or-nothing, sparse indexes hold only the items that carry their key, and listings page
with opaque cursors. One contract suite (tests/integration/test_repo_contract.py) runs against
this store and against DynamoDB on moto, so a difference shows up as a failing test rather than
as a simulator that lies."""
from __future__ import annotations

from .access import MemoryAccessRepo
from .deliverability import MemoryDeliverabilityRepo
from .enrollments import MemoryEnrollmentRepo
from .guard import MemoryBookRepo, MemoryHeldQuoteRepo, MemoryHoldRepo
from .leads import MemoryLeadRepo
from .privacy import MemoryPrivacyRepo
from .rates import MemoryRateRepo
from .stats import MemoryStatsRepo, MemorySwitchRepo
from .tables import Tables
from .tasks import MemoryTaskRepo
from .templates import MemoryTemplateRepo
from .timeline import MemoryTimelineRepo
from .touches import MemoryTouchRepo
from .unit_of_work import MemoryUnitOfWork


class MemoryStore:
    """Every repository, in memory, over one set of tables (as DynamoDB's share a stack)."""

    def __init__(self, team_settings: dict):
        self.tables = Tables()
        self.leads = MemoryLeadRepo(self.tables, team_settings)
        self.enrollments = MemoryEnrollmentRepo(self.tables)
        self.uow = MemoryUnitOfWork(self.tables, team_settings)
        self.timeline = MemoryTimelineRepo(self.tables)
        self.tasks = MemoryTaskRepo(self.tables)
        self.touches = MemoryTouchRepo(self.tables)
        self.stats = MemoryStatsRepo()
        self.rates = MemoryRateRepo()
        self.switches = MemorySwitchRepo()
        self.holds = MemoryHoldRepo()
        self.book = MemoryBookRepo(self.tables)
        self.held_rates = MemoryHeldQuoteRepo()
        self.privacy = MemoryPrivacyRepo(self.tables)
        self.templates = MemoryTemplateRepo()
        self.deliverability = MemoryDeliverabilityRepo()
        self.access = MemoryAccessRepo()
