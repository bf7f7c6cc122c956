"""A lead's timeline in DynamoDB: one item per event, decision and action, oldest first."""
from __future__ import annotations

from pynamodb.exceptions import PutError

from .ddb import is_conditional
from .keys import timeline_key
from .models import TimelineModel


class TimelineRepo:
    def append(self, lead_id: str, item: dict, item_id: str | None = None, *, once: bool = False) -> bool:
        """Append one item; with ``once`` the same item_id is written at most once (dedupe)."""
        model = TimelineModel(lead_id, timeline_key(item, item_id), item=item)
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
                batch.save(TimelineModel(lead_id, timeline_key(item), item=item))

    def list(self, lead_id: str) -> list[dict]:
        return [m.item for m in TimelineModel.query(lead_id)]
