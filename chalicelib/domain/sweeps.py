"""Keys of the sparse sweep indexes, derived from a lead: pure.

A nightly sweep reads one index partition (a month-day, a wake-up day, a product) and so
reads only the leads that match; a lead that no sweep needs carries no key at all.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

OPEN_STAGES = ("new_lead", "application_started", "application_submitted", "conditional_approval",
               "appraisal_ordered", "clear_to_close")
STALLED_AFTER_DAYS = 5
IMPORT_SPREAD_DAYS = 14  # an imported book's first no-contact checks, spread over two weeks


def _spread(lead_id: str) -> int:
    """0..IMPORT_SPREAD_DAYS-1 days, fixed per lead."""
    return int(hashlib.sha256(lead_id.encode()).hexdigest()[:8], 16) % IMPORT_SPREAD_DAYS


def month_day(iso_date: str | None) -> str | None:
    if not iso_date:
        return None
    d = date.fromisoformat(iso_date[:10])
    # A Feb 29 anniversary is celebrated on Feb 28 in common years.
    return "02-28" if (d.month, d.day) == (2, 29) else f"{d.month:02d}-{d.day:02d}"


def _day(iso: str | None) -> date | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).date() if iso else None


def wake_day(lead: dict, no_contact_days: int) -> str | None:
    """The next day a time sweep must look at this lead (no contact, stalled application)."""
    if lead.get("stage") not in OPEN_STAGES:
        return None
    candidates = []
    last = _day(lead.get("last_contact_at"))
    if last:
        candidates.append(last + timedelta(days=no_contact_days))
    elif _day(lead.get("created_at")):
        # Never contacted since it came in. An import brings a whole pipeline in one day: its
        # first checks are spread, so 500 open loans do not put 500 calls on one morning.
        spread = _spread(lead["lead_id"]) if lead.get("imported") and lead.get("lead_id") else 0
        candidates.append(_day(lead["created_at"]) + timedelta(days=no_contact_days + spread))
    if lead.get("stage") == "application_submitted" and lead.get("stage_changed_at"):
        submitted = _day(lead["stage_changed_at"])
        nudged = _day(lead.get("stalled_nudged_at"))
        if not nudged or nudged < submitted:
            candidates.append(submitted + timedelta(days=STALLED_AFTER_DAYS))
    return min(candidates).isoformat() if candidates else None


def sweep_keys(lead: dict, team: dict) -> dict:
    loan = lead.get("loan") or {}
    funded = lead.get("stage") == "funded"
    keys = {
        "funded_md": month_day(loan.get("funded_on")) if funded else None,
        "birthday_md": month_day(lead.get("birthday")),
        "wake_day": wake_day(lead, int(team.get("no_contact_days", 30))),
        "refi_product": None,
        "refi_rate": None,
    }
    if funded and loan.get("product") and loan.get("rate") is not None and not lead.get("opted_out_all"):
        keys["refi_product"] = loan["product"]
        keys["refi_rate"] = float(loan["rate"])
    return keys
