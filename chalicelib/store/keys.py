"""Keys and record shapes both stores share (DynamoDB and memory): pure, no PynamoDB."""
from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from datetime import datetime

from ..domain.lead import email_key, name_keys
from ..domain.sweeps import sweep_keys

SWEEP_KEYS = ("funded_md", "birthday_md", "wake_day", "refi_product", "refi_rate")
INDEX_KEYS = SWEEP_KEYS + ("name_key", "name_sort")  # computed from the lead; the record is re-keyed when they move
RETRYABLE = ("deferred", "retrying")  # touch statuses a new claim may take over
ROLL_EVERY_DAYS = 7  # counters: the nightly job rolls a sequence's closed days into its totals once a week
ORDER_ONLY = ("exit_on_stages",)  # what delivery reads from the queued order; the record would pay for it


def index_keys(lead: dict, team_settings: dict) -> dict:
    return {**sweep_keys(lead, team_settings), **name_keys(lead)}


def identities(email: str | None, phone: str | None) -> list[str]:
    """The identities table's keys a lead claims: "email#<folded address>", "phone#<E.164>"."""
    return ([f"email#{email_key(email)}"] if email else []) + ([f"phone#{phone}"] if phone else [])


_arrivals = itertools.count()


def timeline_key(item: dict, item_id: str | None = None) -> str:
    """A timeline item's sort key: its time, then, so that what happened in one second reads
    back in the order it happened, the order of writing. An item with an id of its own (an
    event, an LOS milestone, an import row: the cause) keeps ``<time>#<id>``, which its
    once-only write depends on; the items written without one (what the cause led to) sort
    after it ("~" follows every id character), by the writer's clock in nanoseconds and a
    per-process counter, with a random tail."""
    if item_id:
        return f"{item['at']}#{item_id}"
    return f"{item['at']}#~{time.time_ns():016x}{next(_arrivals) % 4096:03x}{uuid.uuid4().hex[:8]}"


def touch_doc(touch: dict) -> dict:
    """The touch as its record keeps it: without the order's delivery-only fields, so the
    record stays under 1 KB (one write unit per claim and per "sent" mark)."""
    return {k: v for k, v in touch.items() if k not in ORDER_ONLY}


def history_entry(touch: dict) -> dict:
    return {"status": touch["status"], "at": touch["at"], "reason": touch.get("reason") or ""}


def encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


MAX_CURSOR = 512  # a cursor holds one page's key (three short values, ~160 characters): never longer


def decode_cursor(cursor: str | None) -> dict | None:
    """The key a cursor holds; ValueError("cursor") for anything else. The length bound comes
    first: a forged cursor nested thousands deep would exhaust the JSON decoder's recursion."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR:
        raise ValueError("cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, json.JSONDecodeError):
        raise ValueError("cursor") from None
    if not isinstance(value, dict):
        raise ValueError("cursor")
    return value


def listing_start(cursor: str | None, lo_id: str | None, stage: str | None) -> dict | None:
    """The start key a lead listing's cursor holds; ValueError("cursor") for a cursor made by
    another listing or by hand."""
    start = decode_cursor(cursor)
    expected = {"lead_id"} | ({"lo_id", "created_at"} if lo_id else {"stage", "created_at"} if stage else set())
    if start is not None and (set(start) != expected or not all(
            isinstance(v, dict) and len(v) == 1 and isinstance(next(iter(v.values())), str) for v in start.values())):
        raise ValueError("cursor")
    return start


def grouped(items: list, size, max_actions: int = 100, keys=None) -> list[list]:
    """``items`` in order, grouped so each group's ``size`` adds up to at most ``max_actions``
    (TransactWriteItems takes 100 actions); an item larger than that goes alone. With ``keys``,
    items sharing a key go to different groups (a transaction may not write one item twice)."""
    groups, current, used, taken = [], [], 0, set()
    for item in items:
        n, mine = size(item), set(keys(item)) if keys else set()
        if current and (used + n > max_actions or mine & taken):
            groups.append(current)
            current, used, taken = [], 0, set()
        current.append(item)
        used += n
        taken |= mine
    return groups + ([current] if current else [])


def audit_months(since: str, until: datetime) -> list[str]:
    """The audit partitions from ``until``'s month back to ``since``'s, newest first."""
    year, month = until.year, until.month
    first = (int(since[:4]), int(since[5:7])) if since else (year - 1, month)
    out = []
    while (year, month) >= first and len(out) < 120:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out
