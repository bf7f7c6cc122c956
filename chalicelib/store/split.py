"""A lead is stored as two items: its record, and its contact bookkeeping.

The bookkeeping (when we last touched the lead, the texts of the last day, when we last had
contact, the first e-mail, the last opt-out line) changes with every touch; the record (names, loan, consent, stage)
rarely does. The record sits in six indexes that copy it whole, so rewriting it per touch cost
~10 write units; the bookkeeping item is small and in no index. Readers get one merged dict, as
before; writers write only the part that changed (each part under its own version).

The wake-up sweep key on the record is derived from the last contact when the record is
written; a touch does not move it (that would be the record rewrite this split avoids). The
wake-up sweep therefore meets some leads early, sees their real last contact in the merged
dict, and files them under their real day (services/sweeps.py).
"""
from __future__ import annotations

import hashlib
import json

# sms_notice_at: the last text that carried the opt-out line (domain/sms_notice.py), set with a text
CONTACT_FIELDS = ("last_touch_at", "recent_solicitations", "last_contact_at", "first_email_at", "sms_notice_at")
CONTACT_SUFFIX = "#contact"  # lead ids are hex: the bookkeeping item's key never collides


def split_lead(lead: dict) -> tuple[dict, dict]:
    """(record, bookkeeping) of a lead dict; keys starting with "_" are the store's own."""
    record = {k: v for k, v in lead.items() if not k.startswith("_") and k not in CONTACT_FIELDS}
    contact = {k: lead[k] for k in CONTACT_FIELDS if lead.get(k) is not None}
    return record, contact


def digest(part: dict) -> str:
    return hashlib.blake2b(json.dumps(part, sort_keys=True, separators=(",", ":"), default=str).encode(),
                           digest_size=12).hexdigest()


def merged(record: dict, contact: dict | None, version: int | None, contact_version: int | None,
           keys: dict | None = None) -> dict:
    """The lead as services see it, with what the store needs to write back only what changed:
    the parts' versions and digests (and, for re-keying, the sweep keys as stored)."""
    lead = {**record, **(contact or {})}
    rec, con = split_lead(lead)
    lead.update(_version=version, _contact_version=contact_version, _record=digest(rec), _contact=digest(con))
    if keys is not None:
        lead["_keys"] = digest(keys)
    return lead


def changes(lead: dict) -> tuple[bool, bool]:
    """(record changed, bookkeeping changed) since the lead was read; a new lead: both."""
    rec, con = split_lead(lead)
    return (lead.get("_record") != digest(rec) or lead.get("_version") is None,
            lead.get("_contact") != digest(con) and (bool(con) or lead.get("_contact_version") is not None))
