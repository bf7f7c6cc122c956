"""A lead's timeline in DynamoDB: one item per event, decision and action, oldest first."""
from __future__ import annotations

from pynamodb.exceptions import PutError

from ..domain.retention import DEFAULT_YEARS, timeline_expiry
from .ddb import is_conditional
from .keys import timeline_key
from .models import TimelineModel


def timeline_model(lead_id: str, item: dict, item_id: str | None = None, years: int = DEFAULT_YEARS) -> TimelineModel:
    """One timeline item, with its time to live (the team's retention; none for a tombstone)."""
    return TimelineModel(lead_id, timeline_key(item, item_id), item=item, expires_at=timeline_expiry(item, years))


class TimelineRepo:
    def __init__(self, retention_years: int = DEFAULT_YEARS):
        self._years = retention_years

    def append(self, lead_id: str, item: dict, item_id: str | None = None, *, once: bool = False) -> bool:
        """Append one item; with ``once`` the same item_id is written at most once (dedupe)."""
        model = timeline_model(lead_id, item, item_id, self._years)
        try:
            model.save(TimelineModel.sk.does_not_exist() if once else None)
        except PutError as exc:
            if once and is_conditional(exc):
                return False
            raise
        return True

    def append_many(self, lead_id: str, items: list[dict]) -> None:
        with TimelineModel.batch_write() as batch:
            for item in items:
                batch.save(timeline_model(lead_id, item, None, self._years))

    def list(self, lead_id: str) -> list[dict]:
        return [m.item for m in TimelineModel.query(lead_id)]
