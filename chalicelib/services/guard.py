"""The mass-send circuit breaker as a service: count a run, hold its enrollments, release them.

How a run is guarded (the sweeps today, an import later):

1. The run calls :func:`hold_or_enroll` with the events that would each put one lead into a
   sequence (``sequence``: the sequence id, or a function of the event). Per sequence, the leads
   are added to the run's batch (``<run>-<sequence>``: one per night and sweep, or per import),
   once per invocation ``part`` so a re-run adds nothing. ``domain.guard.breaker`` then decides on
   the batch's running total against the team's book (a counter, :func:`count_leads`).
2. Go: the events are published as they are. Hold: the batch is marked held (the ops topic is
   told, once), its leads are recorded as members, and the events are published tagged
   ``data["hold"] = {"batch_id", "sequence", "reason"}``. The triggers run as ever (what they
   remember on the lead, tasks, transactional enrollments), but :func:`apply_hold` turns the new
   enrollment into that sequence into a ``held`` one: no ``due_at``, so it is never in the sparse
   "due" index and nothing is scheduled. A run that trips late (continuations of a large
   partition) has sent at most the limit before it tripped; everything after waits.
3. A person looks (``GET /holds``) and :func:`release`\\s the batch (each held enrollment starts as
   if enrolled now) or :func:`discard`\\s it (the enrollments end as ``discarded``, do not count
   against the sequence's re-entry, and the lead fields their trigger set, such as the refinance
   cooldown, are put back). Large batches continue on the events queue (``guard_page``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from .. import bus
from ..domain.guard import GuardSettings, breaker
from ..observability import logger
from .context import Context

MEMBERS_PER_CALL = 300      # leads settled per request or continuation message
CONTINUATION = "guard_page"


class BatchClosed(Exception):
    """The batch was already settled the other way (a released batch cannot be discarded)."""

    def __init__(self, batch: dict):
        super().__init__(batch["status"])
        self.batch = batch


def guard_settings(ctx: Context) -> GuardSettings:
    return GuardSettings.from_team(ctx.settings.team.guard)


def sequence_kind(sequence_id: str | None) -> str | None:
    """marketing when any touch of the sequence is marketing; None for a sequence not in the catalog."""
    from ..sequences.catalog import SEQUENCES

    seq = SEQUENCES.get(sequence_id or "")
    if seq is None:
        return None
    return "marketing" if any(t.kind == "marketing" for t in seq.touches()) else "transactional"


def count_leads(ctx: Context, n: int = 1) -> None:
    """The team's book grows by ``n`` leads (lead creates and imports call this). A lost count makes
    the book look smaller and the breaker stricter, never looser: logged, not raised."""
    try:
        ctx.book.add(n)
    except Exception:
        logger.exception("book count not updated", extra={"n": n})


def part_id(*keys) -> str:
    """A stable id for one invocation of a run (what it read from where), for :func:`hold_or_enroll`."""
    return hashlib.sha256(repr(keys).encode()).hexdigest()[:16]


def hold_or_enroll(ctx: Context, events: list[dict], *, run: str, part: str, now: datetime,
                   sequence: str | Callable[[dict], str | None]) -> dict:
    """Publish ``events`` that would enroll leads, holding those of a sequence whose run is over
    the team's share of the book. Returns ``{"published", "held", "batches": [batch ids held]}``."""
    pick = sequence if callable(sequence) else (lambda _e: sequence)
    groups: dict[str | None, list[dict]] = {}
    for e in events:
        groups.setdefault(pick(e), []).append(e)
    out = {"published": 0, "held": 0, "batches": []}
    for seq_id, group in groups.items():
        kind = sequence_kind(seq_id)
        if kind == "marketing":
            batch = _count(ctx, f"{run}-{seq_id}", part, group, seq_id, kind, run, now)
            if batch["status"] == "held":
                ctx.holds.add_members(batch["batch_id"], [e["lead_id"] for e in group])
                tag = {"batch_id": batch["batch_id"], "sequence": seq_id, "reason": batch["reason"]}
                group = [{**e, "data": {**(e.get("data") or {}), "hold": tag}} for e in group]
                out["held"] += len(group)
                out["batches"].append(batch["batch_id"])
        bus.publish_many(group)
        out["published"] += len(group)
    return out


def _count(ctx: Context, batch_id: str, part: str, group: list[dict], seq_id: str, kind: str, run: str,
           now: datetime) -> dict:
    batch, _ = ctx.holds.count(batch_id, part, len(group), seq_id, run, now)
    settings = guard_settings(ctx)
    if batch["status"] != "counted" or batch["leads"] < settings.breaker_min_batch:
        return batch  # a small run goes without reading the book
    book, recounted_at = ctx.book.state()
    verdict = breaker(batch["leads"], book, seq_id, kind, settings, recounted=recounted_at is not None)
    if not verdict.hold:
        return batch
    if ctx.holds.trip(batch_id, verdict.reason, now):
        from .notify import notify_ops

        logger.warning("mass send held", extra={"batch_id": batch_id, "leads": batch["leads"], "book": book})
        notify_ops(ctx, f"{batch['leads']} enrollments into {seq_id} held", {
            "batch_id": batch_id, "sequence": seq_id, "run": run, "leads": batch["leads"], "book": book,
            "reason": verdict.reason,
            "what_to_do": (f"Check the run, then POST /holds/{batch_id}/release to send as planned or "
                           f"POST /holds/{batch_id}/discard to drop it. Nothing is sent until then.")})
    return ctx.holds.get(batch_id)


# -- the events consumer's side ------------------------------------------------------------------

def apply_hold(ctx: Context, event: dict, lead_before: dict, result, enrollments: list[dict], now: datetime):
    """Turn the enrollment a held event makes into its sequence into a ``held`` one (for
    ``evaluate.handle_event``, between the triggers and the write). ``lead_before`` is the lead
    before the triggers ran: what they set on it is kept on the enrollment, to put back on discard.
    A batch released meanwhile enrolls as usual; one discarded meanwhile enrolls nothing."""
    from ..sequences import engine

    hold = (event.get("data") or {}).get("hold")
    if not hold:
        return result
    known = {e["enrollment_id"] for e in enrollments}
    new = {e["enrollment_id"]: e for e in result.enrollments
           if e["enrollment_id"] not in known and e["sequence"] == hold["sequence"] and e["status"] == "active"}
    if not new:
        return result
    batch = ctx.holds.get(hold["batch_id"]) or {"status": "held"}
    if batch["status"] == "released":
        return result
    set_fields = {k: v for k, v in result.lead.items() if lead_before.get(k) != v}
    was = {k: lead_before.get(k) for k in set_fields}
    timeline = [i for i in result.timeline if not (i.get("kind") == "enrollment" and i.get("enrollment_id") in new)]
    if batch["status"] == "discarded":
        result.enrollments = [e for e in result.enrollments if e["enrollment_id"] not in new]
        result.lead = _restored(result.lead, {"set": set_fields, "was": was}) or result.lead
        result.timeline = timeline
        return result
    held = {i: engine.hold(e, now, hold["reason"], hold["batch_id"], {"set": set_fields, "was": was})
            for i, e in new.items()}
    result.enrollments = [held[e["enrollment_id"]].enrollment if e["enrollment_id"] in held else e
                          for e in result.enrollments]
    result.timeline = timeline + [item for out in held.values() for item in out.timeline]
    return result


def _restored(lead: dict, undo: dict) -> dict | None:
    """The lead with what a discarded trigger set put back (fields changed since are left alone)."""
    out = dict(lead)
    for key, value in (undo.get("set") or {}).items():
        if out.get(key) != value:
            continue
        prior = (undo.get("was") or {}).get(key)
        if prior is None:
            out.pop(key, None)
        else:
            out[key] = prior
    return out if out != lead else None


# -- people: list, release, discard --------------------------------------------------------------

def list_batches(ctx: Context, status: str | None = "held") -> list[dict]:
    return ctx.holds.list(status)


def release(ctx: Context, batch_id: str, now: datetime, by: str | None = None) -> dict | None:
    """Let a held batch go: each held enrollment starts now. Again on a released batch: it picks
    up any enrollment that was still being written when the batch was released."""
    return _settle(ctx, batch_id, "released", now, by)


def discard(ctx: Context, batch_id: str, now: datetime, by: str | None = None) -> dict | None:
    return _settle(ctx, batch_id, "discarded", now, by)


def _settle(ctx: Context, batch_id: str, status: str, now: datetime, by: str | None) -> dict | None:
    batch = ctx.holds.get(batch_id)
    if batch is None:
        return None
    if batch["status"] == "held":
        ctx.holds.settle(batch_id, status, now, by)
        batch = ctx.holds.get(batch_id)
    if batch["status"] != status:
        raise BatchClosed(batch)
    done, more = walk_members(ctx, batch, None, now)
    logger.info("held batch settled", extra={"batch_id": batch_id, "status": status, "leads": done, "more": more})
    return {**ctx.holds.get(batch_id), "continuing": more}


def walk_members(ctx: Context, batch: dict, start: dict | None, now: datetime,
                 budget: int | None = None) -> tuple[int, bool]:
    """Settle the batch's members from ``start``; past ``budget`` leads the rest goes on as a
    ``guard_page`` message. Returns (enrollments settled, whether a continuation was queued)."""
    budget = budget or MEMBERS_PER_CALL
    done = seen = 0
    while True:
        ids, start = ctx.holds.members(batch["batch_id"], start, limit=min(100, budget))
        for lead_id in ids:
            done += _settle_lead(ctx, lead_id, batch, now)
        seen += len(ids)
        if not start:
            break
        if seen >= budget:
            bus.publish(bus.make_event(None, CONTINUATION, {"batch_id": batch["batch_id"], "start": start}, now,
                                       "guard", event_id=part_id(CONTINUATION, batch["batch_id"], start)))
            break
    if done:
        ctx.holds.tally(batch["batch_id"], **{batch["status"]: done})
    return done, bool(start)


def continue_page(ctx: Context, event: dict) -> None:
    """The ``guard_page`` handler: the next members of a released or discarded batch."""
    data = event.get("data") or {}
    batch = ctx.holds.get(data["batch_id"])
    if batch and batch["status"] in ("released", "discarded"):
        walk_members(ctx, batch, data.get("start"), datetime.fromisoformat(event["at"]))


def _settle_lead(ctx: Context, lead_id: str, batch: dict, now: datetime) -> int:
    from ..domain import analytics
    from ..sequences import engine
    from ..sequences.catalog import SEQUENCES
    from ..store.errors import Conflict
    from ..store.writeset import WriteSet

    for _ in range(3):
        mine = [e for e in ctx.enrollments.for_lead(lead_id)
                if e.get("status") == "held" and e.get("batch_id") == batch["batch_id"]]
        if not mine:
            return 0
        lead = ctx.leads.get(lead_id)
        if lead is None:
            return 0
        changed_lead = None
        if batch["status"] == "released":
            outs = [engine.release(e, SEQUENCES[e["sequence"]], lead, now) for e in mine]
        else:
            outs = [engine.discard(e, now, f"guard:discarded:{batch['batch_id']}") for e in mine]
            for e in mine:
                changed_lead = _restored(changed_lead or lead, e.get("undo") or {}) or changed_lead
        items = [(i, f"{batch['batch_id']}:{batch['status']}:{o.enrollment['enrollment_id']}")
                 for o in outs for i in o.timeline]
        try:
            ctx.uow.commit(WriteSet([o.enrollment for o in outs], changed_lead, timeline=items))
        except Conflict:
            continue
        counters = analytics.from_enrollment_items([i for i, _ in items], {})
        if counters:
            ctx.stats.add_all(analytics.aggregate(counters))
        return len(outs)
    logger.warning("held enrollment kept changing; settle the batch again", extra={"lead_id": lead_id})
    return 0
