"""One lead's decision, written all-or-nothing: shared by the DynamoDB and in-memory stores."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WriteSet:
    """Everything one lead's decision changes: enrollments, the lead, touch decisions,
    timeline items (item, id or None) and tasks; and the lead as it was read, whose plan the
    enrollments are saved into (store/plan.py) without reading it again."""
    enrollments: list[dict]
    lead: dict | None = None
    touches: list[dict] = field(default_factory=list)
    timeline: list[tuple[dict, str | None]] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    read: dict | None = None  # the lead as read, when ``lead`` is None (unchanged): its plan is the base

    def size(self, lead_repo) -> int:
        """Actions in a transaction (the lead's changed parts, when a lead repository writes it)."""
        return (len(self.enrollments) + (lead_repo.lead_actions(self.lead) if self.lead is not None and lead_repo else 0)
                + len(self.touches) + len(self.timeline) + len(self.tasks))

    def by_lead(self) -> dict[str, list[dict]]:
        """The enrollments per lead, in order."""
        out: dict[str, list[dict]] = {}
        for e in self.enrollments:
            out.setdefault(e["lead_id"], []).append(e)
        return out

    @property
    def lead_id(self) -> str | None:
        return (self.lead or {}).get("lead_id") or (self.enrollments[0]["lead_id"] if self.enrollments else None)
