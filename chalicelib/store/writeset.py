"""One lead's decision, written all-or-nothing by a unit of work (DynamoDB's or memory's)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .plan import from_plan


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

    def by_lead(self) -> dict[str, list[dict]]:
        """The enrollments per lead, in order."""
        out: dict[str, list[dict]] = {}
        for e in self.enrollments:
            out.setdefault(e["lead_id"], []).append(e)
        return out

    def as_read(self, lead_id: str, enrollments: list[dict]) -> dict | None:
        """The lead as this set read it, carrying its plan (``_plan``) at the version the
        enrollments read from that plan had; None when the set holds no such lead."""
        expected = {e["_version"] for e in enrollments if from_plan(e)}
        for lead in (self.lead, self.read):
            if lead and lead.get("lead_id") == lead_id and "_plan" in lead and \
                    expected <= {lead.get("_contact_version")}:
                return lead
        return None

    @property
    def lead_id(self) -> str | None:
        return (self.lead or {}).get("lead_id") or (self.enrollments[0]["lead_id"] if self.enrollments else None)
