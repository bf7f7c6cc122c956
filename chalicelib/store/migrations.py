"""Migrations that `make deploy` runs (`python -m chalicelib.cli migrate --stage <team>`): each is
idempotent, safe beside the previous release's functions still running, and changes only items
that need it. CHANGELOG.md says which release brought which.

1.1 (retention, issue 30): touch records and timeline items written before their time to live
existed get ``expires_at``: the team's retention after the touch's last decision / the item's time.
The write is conditional on the attribute still being absent, so a record a new function has
stamped meanwhile keeps its own value; an erasure's tombstone is never stamped.
"""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from ..domain.retention import KEPT_FOR_GOOD, expires_at
from .ddb import is_conditional
from .models import TimelineModel, TouchModel


def _stamp(item, at: str | None, years: int) -> bool:
    if not at:
        return False
    try:
        item.update(actions=[type(item).expires_at.set(expires_at(at, years))],
                    condition=type(item).expires_at.does_not_exist())
    except UpdateError as exc:
        if is_conditional(exc):
            return False  # stamped since the scan read it
        raise
    return True


def stamp_retention(years: int) -> dict[str, int]:
    """``{"touches": n, "timeline": m}``: how many items this run stamped (0 and 0 the second time)."""
    done = {"touches": 0, "timeline": 0}
    for touch in TouchModel.scan(TouchModel.expires_at.does_not_exist()):
        history = touch.history or []
        last = history[-1].get("at") if history else None
        done["touches"] += _stamp(touch, last or (touch.doc or {}).get("at"), years)
    for entry in TimelineModel.scan(TimelineModel.expires_at.does_not_exist()):
        item = entry.item or {}
        if item.get("kind") not in KEPT_FOR_GOOD:
            done["timeline"] += _stamp(entry, item.get("at"), years)
    return done


MIGRATIONS = {"1.1-retention": lambda ctx: stamp_retention(ctx.settings.team.retention_years)}
