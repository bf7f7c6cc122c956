"""schedule_due_touches: every minute, run what is due and queue the touches to send.

Reads only the sparse "due" index (its urgent partition first). Per lead: its due enrollments
in priority order through the pure engine and contact policy; then pacing keeps what the
team's send rates allow this minute (domain/pacing.py); then one transaction per ~25 leads
(enrollments + the lead's last touch time + deferred/suppressed decisions), and the touch
orders onto the touches queue, those due in the same second of the minute packed ten to a
message (``pack``), each message delayed to its second.

The write goes first and the queueing after, so a touch is queued only for a plan that went in.
Either step can fail after doing its work (the write committed but its answer was lost; the
queue took a batch but the call timed out): a write whose outcome is unknown is read back
(``_not_written``), so the touches of the plans that did go in are still queued (the year with
faults lost a hundred touches this way: numbered by their enrollments, never queued); a queue
call that raises is tried again once and its touches then recorded failed, as an entry the
queue refuses (a second copy of a message that did go is one more delivery, which the claim
absorbs).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from ..aws import client
from ..config import settings
from ..domain import analytics, pacing, policy, reputation, sms_notice
from ..observability import logger, metrics
from ..sequences import engine, hold
from ..sequences.catalog import SEQUENCES
from ..triggers import behavioral
from ..store.writeset import WriteSet
from .context import Context

LEAD_FIELDS_FOR_DELIVERY = ("lead_id", "first_name", "last_name", "email", "phone", "state", "timezone",
                            "timezone_derived", "stage", "lo_id", "loan", "realtor", "birthday", "city",
                            "refi_snapshot", "home_snapshot", "suppressed")


def plan_lead(lead: dict, due: list[dict], now: datetime, team: dict) -> tuple[dict, list[engine.Outcome]]:
    """Pure: advance one lead's due enrollments, highest priority first, sharing the cap.

    Behaviour rules that depend on silence (slow the cadence, switch e-mail to SMS) adapt
    the enrollment and the touch first; then the contact policy decides.
    """
    state = policy.ContactState.of(lead)
    before = state.last_capped_at
    notice = {"at": lead.get(sms_notice.FIELD)}
    gate = team.get("mail_gate")  # sender reputation: brake, sunset, warm-up (domain/reputation.py)

    def decide(order: dict) -> engine.Decision:
        adapted = behavioral.adapt_touch(order, lead, now, team)
        if gate is not None:
            held, adapted = gate.before(adapted, lead, now)
            if held is not None:
                return replace(held, order=adapted)
        decision = policy.decide(adapted, lead, now, team["cap_hours"], state, policy.SCHEDULING_MARGIN)
        if gate is not None and decision.action == "send":
            gate.sent(adapted)
        if adapted["channel"] == "sms" and decision.action == "send":
            # the opt-out line on the first text and monthly after (domain/sms_notice.py)
            due = sms_notice.needs_notice(notice["at"], now)
            adapted = {**adapted, "opt_out_notice": due}
            if due:
                notice["at"] = now.isoformat()
        return replace(decision, order=adapted) if adapted is not order else decision

    lo_days = team.get("lo_days")
    # an LO call finds its day here (routine ones within capacity), before the policy sees it
    plan = (lambda order: lo_days.place(order, lead, now)) if lo_days is not None else None
    outcomes = []
    off = team.get("sequences_off") or ()
    for e in sorted(due, key=lambda x: (-x.get("priority", 0), x.get("due_at") or "")):
        seq = SEQUENCES.get(e["sequence"])
        if seq is None:
            continue
        if seq.id in off:  # switched off in the console: held where it is, rechecked hourly
            outcomes.append(hold.hold(e, now))
            continue
        e, released = hold.release(e, now)
        adapted = behavioral.adapt_enrollment(e, lead, now, team)
        outcome = engine.advance(adapted, seq, lead, now, decide, plan)
        outcome.timeline[:0] = released
        if adapted.get("stretch") != e.get("stretch"):
            outcome.timeline.append({"at": now.isoformat(), "kind": "enrollment", "enrollment_id": e["enrollment_id"],
                                     "sequence": e["sequence"], "action": "slowed",
                                     "reason": "no open in 30 days: remaining delays stretched"})
        outcomes.append(outcome)
    lead = state.recorded_on(lead, now)
    if notice["at"] != lead.get(sms_notice.FIELD):
        lead[sms_notice.FIELD] = notice["at"]
    if state.last_capped_at != before:
        lead["last_contact_at"] = now.isoformat()
    if not lead.get("first_email_at") and any(t["channel"] == "email" for o in outcomes for t in o.sends):
        lead["first_email_at"] = now.isoformat()
    if gate is not None:
        reputation.stamp(lead, [t for o in outcomes for t in o.sends], now)
    return lead, outcomes


PACK_ORDERS = 10             # orders per message: one SendMessage entry, one record of the deliver batch
PACK_BYTES = 64 * 1024       # a message stays well under SQS's 256 KiB
BATCH_BYTES = 240 * 1024     # SendMessageBatch's 256 KiB is the sum of its entries


def pack(orders: list[dict], delays: list[int]) -> list[tuple[list[dict], int, str]]:
    """Pure: the orders as messages (orders, delay, body). Orders that go out in the same second
    share a message, in their order, so one SendMessageBatch entry and one record of the
    deliver batch carry up to ten touches instead of one. A body is ``{"orders": [...]}``; the
    deliver side also takes the single-order form ``{"touch", "lead"}``."""
    by_delay: dict[int, list[list]] = {}
    for order, delay in zip(orders, delays):
        body = json.dumps(order, separators=(",", ":"), default=str)
        packs = by_delay.setdefault(delay, [[]])
        last = packs[-1]
        if len(last) >= PACK_ORDERS or (last and sum(len(b) for _, b in last) + len(body) > PACK_BYTES):
            last = []
            packs.append(last)
        last.append((order, body))
    return [([o for o, _ in group], delay, '{"orders":[' + ",".join(b for _, b in group) + "]}")
            for delay, packs in by_delay.items() for group in packs]


def _queue(ctx: Context, orders: list[dict], now: datetime, delays: list[int] | None = None) -> int:
    """Send the touch orders packed by the second they are due (``delays``, the pacing), up to
    ten entries and 240 KiB per SendMessageBatch; an entry the queue refuses is retried once,
    then its touches are recorded as failed so they show on the lead's timeline instead of
    vanishing. Returns how many touches could not be queued."""
    sqs = client("sqs")
    url = settings().touches_queue_url
    messages = pack(orders, delays or [0] * len(orders))
    lost = 0
    for chunk in _batches(messages):
        for _ in range(2):
            try:
                resp = sqs.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "MessageBody": body,
                     "MessageAttributes": {"correlation_id": {"DataType": "String",
                                                              "StringValue": group[0]["touch"]["touch_id"]}},
                     **({"DelaySeconds": d} if d else {})}
                    for i, (group, d, body) in enumerate(chunk)])
            except Exception:  # throttled, or no answer: the whole chunk again (a duplicate is absorbed)
                logger.exception("touches queue call failed", extra={"messages": len(chunk)})
                continue
            failed = {int(f["Id"]) for f in resp.get("Failed", [])}
            chunk = [c for i, c in enumerate(chunk) if i in failed]
            if not chunk:
                break
        for group, _, _ in chunk:
            for o in group:
                lost += 1
                logger.error("touch could not be queued", extra={"touch_id": o["touch"]["touch_id"]})
                for _ in range(3):  # its only trace: its enrollment has moved past it
                    try:
                        ctx.touches.claim({**o["touch"], "status": "failed", "at": now.isoformat(),
                                           "reason": "the touches queue refused it twice"})
                        break
                    except Exception:  # the rest of the run's touches still go
                        logger.exception("could not record an unqueued touch", extra={"touch_id": o["touch"]["touch_id"]})
    return lost


def _not_written(ctx: Context, plans: list) -> set[int]:
    """After a write whose outcome is unknown: the indexes of the plans that did not go in. Only the
    write that plans a touch numbers it (``touch_steps``, engine.touch_order), so a plan whose touch
    ids its lead's enrollments now carry (read consistently) went in. A plan with no touch to queue
    is taken as not written: if it was not, it is planned afresh next minute, and if it was, only
    its counters are missed."""
    sends = {n: {t["touch_id"] for o in outcomes for t in o.sends} for n, (_, _, outcomes) in enumerate(plans)}
    ids = [plans[n][0]["lead_id"] for n, touch_ids in sends.items() if touch_ids]
    fresh: dict = {}
    for start in range(0, len(ids), 100):
        fresh.update(ctx.leads.get_many(ids[start:start + 100], consistent=True))
    missing = set()
    for n, touch_ids in sends.items():
        lead_id = plans[n][0]["lead_id"]
        numbered: set = set()
        if touch_ids and lead_id in fresh:
            for e in ctx.enrollments.for_lead(lead_id, fresh[lead_id], consistent=True):
                numbered.update(e.get("touch_steps") or {})
        if not touch_ids & numbered:
            missing.add(n)
    return missing


def _batches(messages: list[tuple[list[dict], int, str]]):
    chunk, size = [], 0
    for m in messages:
        if chunk and (len(chunk) == 10 or size + len(m[2]) > BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(m)
        size += len(m[2])
    if chunk:
        yield chunk


def _read_due(ctx: Context, now: datetime, page_size: int, max_pages: int, enough: int) -> dict[str, list[dict]]:
    """What is due, by lead: the urgent partition whole (within ``max_pages``), then the rest
    oldest first until ``enough`` enrollments are in hand (a backlog waits in the index)."""
    by_lead: dict[str, list[dict]] = defaultdict(list)
    pages = read = 0
    for urgent in (True, False):
        start = None
        while pages < max_pages:
            due, start = ctx.enrollments.due(now.isoformat(), page_size, start, urgent=urgent)
            pages += 1
            for e in due:
                by_lead[e["lead_id"]].append(e)
            read += len(due)
            if not start or (not urgent and read >= enough):
                break
    return by_lead


def schedule_due(ctx: Context, now: datetime, page_size: int = 100, max_pages: int = 50) -> dict:
    from aws_lambda_powertools.metrics import MetricUnit

    from .engine_runner import team_view

    from .reputation import count_sends, gate

    team = {**team_view(ctx), "mail_gate": gate(ctx, now)}
    rates = ctx.settings.team.send_rates
    counts = {"enrollments": 0, "queued": 0, "deferred": 0, "suppressed": 0, "conflicts": 0, "queue_failures": 0,
              "errors": 0, "paced": 0}
    by_reason: dict[str, int] = {}
    minute = now.strftime("%Y-%m-%dT%H:%M")
    budget = pacing.per_minute(rates)
    by_lead = _read_due(ctx, now, page_size, max_pages, enough=2 * sum(budget.values()) + page_size)
    leads = {}
    ids = list(by_lead)
    for start in range(0, len(ids), 100):  # BatchGetItem takes 100 keys
        leads.update(ctx.leads.get_many(ids[start:start + 100]))
    plans = []
    for lead_id, enrollments in by_lead.items():
        lead = leads.get(lead_id)
        if lead is None:
            continue
        try:
            new_lead, outcomes = plan_lead(lead, enrollments, now, team)
        except Exception:  # one lead's broken plan (a step gone in a new version) must not stop the rest
            counts["errors"] += 1
            logger.exception("could not plan a lead's due touches", extra={"lead_id": lead_id})
            continue
        plans.append((lead, new_lead, outcomes))
    # Pacing: what the minute's send rates allow (less what an earlier run this minute
    # released), urgent first; the rest is not written and stays due, planned afresh next minute.
    sends = [[t for o in outcomes for t in o.sends] for _, _, outcomes in plans]
    # The minute's use is kept (one read, one ADD) only for runs that could come near the
    # limit: EventBridge runs this once a minute, and a rare second run after a light one
    # stays within 1.5x the rate for seconds (SES and SNS throttling is retried anyway).
    wanted = pacing.demand([t for x in sends for t in x])
    busy = any(n * 2 > budget[c] for c, n in wanted.items())
    used = ctx.stats.pace_used(minute) if busy else {}
    left = {c: max(0, n - used.get(c, 0)) for c, n in budget.items()}
    released, _ = pacing.release(sends, left)
    counts["paced"] = len(plans) - len(released)
    plans = [plans[i] for i in released]

    # Every lead's writes in as few transactions as fit: one per ~25 leads, not one per lead.
    sets = [WriteSet([o.enrollment for o in outcomes], new_lead if new_lead != lead else None,
                     [d for o in outcomes for d in o.decisions],
                     [(i, None) for o in outcomes for i in o.timeline], read=lead)
            for lead, new_lead, outcomes in plans]
    try:
        dropped = ctx.uow.commit_many(sets)
    except Exception:  # its outcome unknown: what went in is read back, so its touches are queued
        logger.exception("scheduler write failed; reading back what went in", extra={"leads": len(sets)})
        dropped = _not_written(ctx, plans)
    counts["conflicts"] += len(dropped)  # changed under us (an exit, a pause): next minute re-reads
    orders, page_counters = [], []
    for n, (lead, new_lead, outcomes) in enumerate(plans):
        if n in dropped:
            continue
        decisions = sets[n].touches
        page_counters += analytics.from_schedule([t for o in outcomes for t in o.sends], decisions)
        page_counters += analytics.from_enrollment_items([i for i, _ in sets[n].timeline], {})
        snapshot = {k: new_lead[k] for k in LEAD_FIELDS_FOR_DELIVERY if k in new_lead}
        orders += [{"touch": t, "lead": snapshot} for o in outcomes for t in o.sends]
        counts["enrollments"] += len(outcomes)
        for d in decisions:
            counts[d["status"]] += 1
            key = f"{d['status']}:{d['reason'].split(':')[0]}"
            by_reason[key] = by_reason.get(key, 0) + 1
    if orders:
        orders.sort(key=lambda o: (not pacing.urgent(o["touch"]), o["touch"].get("due_at") or ""))
        counts["queue_failures"] += _queue(ctx, orders, now, pacing.delays([o["touch"] for o in orders], rates))
        if busy:
            ctx.stats.pace_add(minute, dict(pacing.demand([o["touch"] for o in orders])))
        count_sends(ctx, [o["touch"] for o in orders], now)
    # one ADD per (sequence, step) per run: amortised over every touch of the run
    ctx.stats.add_all(analytics.aggregate(page_counters))
    counts["queued"] += len(orders)
    for name, key in (("TouchesQueued", "queued"), ("TouchesDeferred", "deferred"), ("TouchesSuppressed", "suppressed"),
                      ("TouchesPaced", "paced")):
        if counts[key]:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=counts[key])
    for key, value in by_reason.items():  # every decision counted with its reason
        status, reason = key.split(":")
        metrics.add_metric(name=f"Touches{status.title()}_{reason}", unit=MetricUnit.Count, value=value)
    if counts["enrollments"]:
        logger.info("scheduler run", extra={**counts, "by_reason": by_reason})
    return counts
