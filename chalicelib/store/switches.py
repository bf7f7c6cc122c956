"""Sequence on/off switches a manager flips in the console: one small partition of the stats
table (no new table), one item per sequence that was ever switched, with who and when."""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.models import Model

from .models import _meta

PARTITION = "switch#sequence"  # counters live under "seq#..." and "day#...": never collides


class SequenceSwitchModel(Model):
    Meta = _meta("stats")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)   # the sequence id
    enabled = BooleanAttribute()
    changed_at = UnicodeAttribute()
    changed_by = UnicodeAttribute(null=True)


class SwitchRepo:
    def all(self) -> dict[str, dict]:
        """Every switched sequence: one Query of one small partition."""
        return {m.sk: {"enabled": bool(m.enabled), "changed_at": m.changed_at, "changed_by": m.changed_by}
                for m in SequenceSwitchModel.query(PARTITION)}

    def put(self, sequence_id: str, enabled: bool, changed_at: str, changed_by: str | None) -> None:
        SequenceSwitchModel(PARTITION, sequence_id, enabled=enabled, changed_at=changed_at,
                            changed_by=changed_by).save()
