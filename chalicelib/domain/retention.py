"""How long touch and timeline records are kept: pure.

A team keeps each touch record and timeline item ``retention_years`` after its time (team file,
default five: the TCPA's four-year limitation period plus a year of margin), through DynamoDB's
time to live (the ``expires_at`` attribute of the touches and timeline tables, infra/template.json).
The consent ledger lives on the lead's own record, which never expires: it goes only with the
lead (an erasure, domain/privacy.py). An erasure's tombstone is kept for good.
"""
from __future__ import annotations

from datetime import datetime, timezone

DEFAULT_YEARS = 5
MIN_YEARS = 4  # the TCPA's limitation period: a team's evidence must outlive a claim
KEPT_FOR_GOOD = ("erased",)  # timeline kinds that never expire


def years_problem(value: object) -> str | None:
    """What is wrong with a team's ``retention_years``, or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "retention_years must be a whole number of years"
    if not MIN_YEARS <= value <= 50:
        return f"retention_years must be between {MIN_YEARS} (the TCPA's limitation period) and 50"
    return None


def expires_at(at: str, years: int) -> int:
    """The TTL (epoch seconds) of a record made at ``at`` (ISO 8601), ``years`` later; a
    29 February lands on the 28th."""
    when = datetime.fromisoformat(at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        later = when.replace(year=when.year + years)
    except ValueError:
        later = when.replace(year=when.year + years, day=28)
    return int(later.timestamp())


def timeline_expiry(item: dict, years: int) -> int | None:
    """A timeline item's TTL; None for what is kept for good (an erasure's tombstone)."""
    return None if item.get("kind") in KEPT_FOR_GOOD else expires_at(item["at"], years)
