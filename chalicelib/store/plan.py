"""A lead's plan: its live enrollments, packed onto its bookkeeping item. Pure.

Every touch moves an enrollment (its step, its due time) and the lead's bookkeeping (last
touch, the day's texts) together, and DynamoDB bills a transaction's write by item and by KB.
Held as two items, a touch cost 2 + 2 units plus 2 for the due index; held as one, 2 + 2.
So the enrollments that still run (active, paused, held) live on the ``<lead_id>#contact``
item as raw DEFLATE of their compact JSON (74% of borrowers have one, 18% two: about 450
bytes with the bookkeeping, under the 1 KB write unit), and the item carries the lead's place
in the due index: its earliest due time, in the urgent partition when any of them is urgent
(so a transactional step never waits behind the lead's own marketing). A finished enrollment
leaves the plan for its own item in the enrollments table, where the timeline reads it.
"""
from __future__ import annotations

import json
import zlib

FORMAT = 1  # the first byte: a later layout can be read beside this one
LIVE = ("active", "paused", "held")  # sequences.engine.is_live
HOME = "plan"  # an enrollment dict's "_home" when it was read from its lead's plan
DUE_SHARD = "due"
URGENT_SHARD = "due#urgent"  # answers to the lead, hot signals, transactional updates: read first


def is_live(enrollment: dict) -> bool:
    return enrollment.get("status") in LIVE


def from_plan(enrollment: dict) -> bool:
    """Whether the enrollment was read from its lead's plan (its version is the plan's)."""
    return enrollment.get("_home") == HOME


def moves(enrollment: dict) -> bool:
    """Whether saving this enrollment changes its lead's plan: it runs, or it ran from there."""
    return is_live(enrollment) or from_plan(enrollment)


def due_shard(enrollment: dict) -> str | None:
    """The due partition an enrollment belongs in; None (not due at all) when nothing is due."""
    if not enrollment.get("due_at"):
        return None
    return URGENT_SHARD if (enrollment.get("next_touch") or {}).get("urgent") else DUE_SHARD


def entry(docs: list[dict]) -> tuple[str | None, str | None]:
    """(partition, due time) of a plan in the due index; (None, None) keeps it out."""
    due = [(d["due_at"], due_shard(d)) for d in docs if due_shard(d)]
    if not due:
        return None, None
    return (URGENT_SHARD if any(s == URGENT_SHARD for _, s in due) else DUE_SHARD), min(t for t, _ in due)


def due_by(docs: list[dict], now_iso: str) -> list[dict]:
    """The plan's enrollments due by ``now_iso`` (what the scheduler advances)."""
    return [d for d in docs if d.get("due_at") and d["due_at"] <= now_iso]


def pack(docs: list[dict]) -> bytes | None:
    """The docs (without the lead id every one of them repeats), or None for an empty plan."""
    if not docs:
        return None
    rows = [{k: v for k, v in d.items() if k != "lead_id"} for d in sorted(docs, key=lambda d: d["enrollment_id"])]
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw: no header, no checksum
    return bytes([FORMAT]) + deflate.compress(json.dumps(rows, separators=(",", ":"), default=str).encode()) \
        + deflate.flush()


def unpack(blob: bytes | None, lead_id: str) -> list[dict]:
    if not blob:
        return []
    if blob[0] != FORMAT:
        raise ValueError(f"unknown plan format {blob[:1]!r}")
    return [{**row, "lead_id": lead_id} for row in json.loads(zlib.decompress(bytes(blob[1:]), -15))]
