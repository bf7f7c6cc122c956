"""The in-memory store's tables: what DynamoDB would hold, as plain dicts behind one lock.

Documents are stored as JSON text, as DynamoDB's JSON attributes hold them: a caller never
shares a dict with the store, and types come back as they would from the table.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from ..plan import DUE_SHARD, URGENT_SHARD

lock = threading.RLock()  # the local stack runs the API and the worker in two threads


def dump(doc) -> str:
    return json.dumps(doc, separators=(",", ":"), default=str)


def load(raw: str):
    return json.loads(raw)


def page(items: list, start: dict | None, key, limit: int, rank=None, descending: bool = False
         ) -> tuple[list, dict | None]:
    """Items after ``start`` (a key dict made by ``key``), at most ``limit``; the next start
    when the page is full and more follow. As DynamoDB does, a page goes on from the start key's
    place in the order (``rank`` of a key dict) even when that item has since left the index."""
    if start is not None:
        if rank is not None:
            at = rank(start)
            items = [i for i in items if (rank(key(i)) < at if descending else rank(key(i)) > at)]
        else:
            keys = [key(i) for i in items]
            items = items[keys.index(start) + 1:] if start in keys else []
    out = items[:limit]
    more = len(items) > limit
    return out, (key(out[-1]) if more and out else None)


@dataclass
class Tables:
    leads: dict[str, dict] = field(default_factory=dict)       # lead_id -> the record: {"doc", "version", keys...}
    contacts: dict[str, dict] = field(default_factory=dict)    # lead_id -> bookkeeping: {"doc", "version", "plan", "shard", "due_at"}
    identities: dict[str, str] = field(default_factory=dict)   # "email#..." / "phone#..." -> lead_id
    # the leads' due index, per partition: sorted (due_at, lead_id), one entry per lead plan
    due: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: {DUE_SHARD: [], URGENT_SHARD: []})
    enrollments: dict[tuple[str, str], dict] = field(default_factory=dict)  # finished: (lead_id, id) -> {"doc", "version"}
    touches: dict[tuple[str, str], dict] = field(default_factory=dict)      # (lead_id, touch_id) -> {"status", "doc", "history"}
    timeline: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # lead_id -> sorted [(sk, item json)]
    tasks: dict[str, str] = field(default_factory=dict)        # task_id -> doc json (insertion order = scan order)
    suppressions: dict[str, dict] = field(default_factory=dict)  # "erased#<HMAC>" -> {"lead_id", "at"}
