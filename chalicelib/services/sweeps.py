"""The nightly sweeps: read one sparse index partition each, emit one event per matching lead.

Reads grow with matches, never with the table: every sweep is a Query on a sparse GSI of the
leads table (never a Scan), keyed so that only the leads a sweep must see carry the key:

  anniversaries  by_funded_md   = today's month-day  (funded leads)            -> sweep_funding_anniversary
  birthdays      by_birthday_md = today's month-day                           -> sweep_birthday
  wake-ups       by_wake_day    = today            (open stages)             -> sweep_no_contact,
                                                                                 sweep_application_stalled
  rates          by_refi_rate   = product, note rate >= market + min_rate_drop -> rate_sweep_match

"Today" is the UTC date of the run. The schedule fires at 07:00 UTC, after midnight in the
Eastern, Central and Mountain zones (and Pacific in summer); the touches it starts wait for their
own lead-local hour (sequence ``at=`` delays, the business-hours rule), so the UTC hour never
shows. A Feb 29 date is keyed Feb 28 (``domain.sweeps.month_day``), so it comes up every year.

Fan-out: each page (``page_size`` leads) is filtered with the same pure predicates the triggers
use, and an invocation's matches go onto the events queue through the mass-send circuit breaker
(``services.guard.hold_or_enroll``: a run over the team's share of the book is held for a
person); the events consumer then runs the triggers per lead. One invocation reads at most ``max_pages``
pages; if the partition goes on, it enqueues a ``sweep_page`` continuation (the walk: sweep,
index, key, range, day, and the start key) on the events queue, whose handler reads the next
``CONTINUE_PAGES`` pages and re-enqueues itself until the partition ends. No invocation holds
more than a few thousand leads, whatever the partition size.

Idempotence: event ids are deterministic per (sweep, lead, day); a lead remembers the ids it
processed, so re-running a night (or a redelivered continuation) changes nothing.

Failure: a walk of the scheduled invocation that fails (a throttled write or queue call, among the
many a large partition makes) is handed whole to a continuation on the events queue, retried
there as SQS retries (five receives, then the dead-letter queue and its alarm). Failing the
invocation left it to Lambda's two asynchronous retries of the whole sweep, after which the
night was dropped and its day never swept (the year with faults lost rate sweeps this way).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from .. import bus
from ..domain.sweeps import month_day
from .context import Context

# The rules (triggers.time, domain.refi_offer) are imported where a sweep first needs them: every
# Lambda imports this module through app.py (the events consumer runs continuations), and the
# sequence catalog they pull in is not free at a cold start.

PAGE_SIZE = 500          # leads per Query page (DynamoDB returns at most 1 MB per page anyway)
MAX_PAGES = 20           # pages per scheduled invocation: ~10k leads, well inside a minute
CONTINUE_PAGES = 4       # pages per continuation message (it shares an events batch with others)
MAX_RATE_AGE_DAYS = 14   # PMMS is weekly; an older quote is stale and sweeps nothing
CONTINUATION = "sweep_page"


@dataclass(frozen=True)
class Walk:
    """One partition of one sparse index, as a serialisable description."""
    sweep: str                  # anniversaries | birthdays | wakeups | rates
    index: str
    key: str
    day: str                    # the sweep's day, ISO
    min_rate: str | None = None  # rates: note rate >= this
    market: dict | None = None   # rates: the quote {"product", "rate", "as_of"}


def sweep_day(now: datetime) -> date:
    return now.astimezone(timezone.utc).date()


def event_id(kind: str, lead_id: str, day: str) -> str:
    return hashlib.sha256(f"sweep:{kind}:{lead_id}:{day}".encode()).hexdigest()[:32]


def _team(ctx: Context) -> dict:
    from .engine_runner import team_view

    return team_view(ctx)


# -- what each sweep emits per lead (the triggers re-check each rule when the event arrives) ----

def _event(kind: str, type_: str, lead: dict, walk: Walk, now: datetime, data: dict | None = None) -> dict:
    return bus.make_event(lead["lead_id"], type_, {"day": walk.day, **(data or {})}, now, "sweep",
                          correlation_id=f"sweep-{walk.sweep}-{walk.day}",
                          event_id=event_id(kind, lead["lead_id"], walk.day))


def _anniversary_events(lead: dict, walk: Walk, now: datetime, team: dict) -> list[dict]:
    from ..triggers import time as time_rules

    day = date.fromisoformat(walk.day)
    if not time_rules.anniversary_due(lead, day):
        return []
    years = day.year - date.fromisoformat(lead["loan"]["funded_on"][:10]).year
    return [_event("anniversary", "sweep_funding_anniversary", lead, walk, now, {"years": years})]


def _birthday_events(lead: dict, walk: Walk, now: datetime, team: dict) -> list[dict]:
    from ..triggers import time as time_rules

    if not time_rules.birthday_due(lead, date.fromisoformat(walk.day)):
        return []
    return [_event("birthday", "sweep_birthday", lead, walk, now)]


def _wakeup_events(lead: dict, walk: Walk, now: datetime, team: dict) -> list[dict]:
    from ..triggers import time as time_rules

    day = date.fromisoformat(walk.day)
    out = []
    if time_rules.stalled_due(lead, day):
        out.append(_event("stalled", "sweep_application_stalled", lead, walk, now))
    if time_rules.no_contact_due(lead, day, int(team.get("no_contact_days", 30))):
        out.append(_event("no_contact", "sweep_no_contact", lead, walk, now))
    return out


def _rate_events(lead: dict, walk: Walk, now: datetime, team: dict) -> list[dict]:
    from ..domain import refi_offer

    market = walk.market or {}
    cooldown = refi_offer.RefiSettings.from_team(team).cooldown_days
    if refi_offer.arm_state(lead, market.get("rate"), now, cooldown) == "cooling":
        return []
    offer = refi_offer.offer(lead, market, date.fromisoformat(walk.day), team, source="rate_sweep")
    if not offer.ok:
        return []
    s = offer.snapshot
    data = {"market": market, "monthly_savings": s["monthly_savings"], "break_even_months": s.get("break_even_months"),
            "rate_drop": str(offer.scenario.rate_drop)}
    return [_event(f"rate:{market.get('product')}", "rate_sweep_match", lead, walk, now, data)]


EMITTERS = {"anniversaries": _anniversary_events, "birthdays": _birthday_events,
            "wakeups": _wakeup_events, "rates": _rate_events}
# The sequence each sweep event enrolls its lead into when the rule fires (triggers.time,
# triggers.external): what the mass-send circuit breaker (services.guard) counts per run.
FEEDS = {"sweep_funding_anniversary": "annual_review", "sweep_birthday": "birthday",
         "sweep_no_contact": "no_contact_check_in", "sweep_application_stalled": "application_stalled",
         "rate_sweep_match": "refinance_opportunity"}


# -- walking a partition -----------------------------------------------------------------------

def _rekey(ctx: Context, leads: list[dict], w: Walk, emitted: set[str], team: dict) -> int:
    """File leads met early under their real wake-up day. A touch updates a lead's contact
    bookkeeping, not its record (store/split.py), so the record's wake-up key can lag behind the
    last contact; the sweep that finds such a lead re-keys it: one write per lead per wake-up
    period, instead of a record rewrite per touch."""
    from ..domain.sweeps import wake_day
    from ..store.errors import Conflict

    n = 0
    for lead in leads:
        if lead["lead_id"] in emitted or wake_day(lead, int(team.get("no_contact_days", 30))) == w.key:
            continue
        try:
            ctx.leads.save(lead)
            n += 1
        except Conflict:  # changed meanwhile: that write re-keyed it
            pass
    return n


def _new_counts(name: str, day: str) -> dict:
    return {"sweep": name, "day": day, "items_read": 0, "pages": 0, "matched": 0, "events": 0, "continued": 0,
            "held": 0}


def _add(counts: dict, more: dict) -> dict:
    for k in ("items_read", "pages", "matched", "events", "continued", "held"):
        counts[k] += more.get(k, 0)
    return counts


def walk(ctx: Context, w: Walk, now: datetime, start: dict | None = None, max_pages: int = MAX_PAGES,
         page_size: int = PAGE_SIZE, team: dict | None = None) -> dict:
    """Read up to ``max_pages`` pages of one partition from ``start``, publish what matches through
    the mass-send circuit breaker (all of this invocation's matches at once), and enqueue a
    continuation if the partition goes on. Returns counts."""
    from .guard import hold_or_enroll, part_id

    team = team if team is not None else _team(ctx)
    emit = EMITTERS[w.sweep]
    counts = _new_counts(w.sweep, w.day)
    low = None if w.min_rate is None else float(w.min_rate)
    pages, began, matched = 0, start, []
    while pages < max_pages:
        leads, start, read = ctx.leads.query_index(w.index, w.key, low, page_size, start)
        pages += 1
        counts["items_read"] += read
        events = [e for lead in leads for e in emit(lead, w, now, team)]
        if w.sweep == "wakeups":
            counts["rekeyed"] = counts.get("rekeyed", 0) + _rekey(ctx, leads, w, {e["lead_id"] for e in events}, team)
        counts["matched"] += len({e["lead_id"] for e in events})
        counts["events"] += len(events)
        matched += events
        if not start:
            break
    if matched:
        counts["held"] = hold_or_enroll(ctx, matched, run=f"{w.sweep}-{w.day}", part=part_id(asdict(w), began),
                                        now=now, sequence=lambda e: FEEDS.get(e["type"]))["held"]
    counts["pages"] = pages
    if start:
        enqueue_continuation(w, start, now)
        counts["continued"] = 1
    return counts


def enqueue_continuation(w: Walk, start: dict | None, now: datetime) -> None:
    """A ``sweep_page`` message: the walk and where to resume (None: from its first page)."""
    data = {"walk": asdict(w), "start": start}
    eid = hashlib.sha256(f"{CONTINUATION}:{json.dumps(data, sort_keys=True)}".encode()).hexdigest()[:32]
    bus.publish(bus.make_event(None, CONTINUATION, data, now, "sweep", correlation_id=f"sweep-{w.sweep}-{w.day}",
                               event_id=eid))


def continue_sweep(ctx: Context, event: dict, max_pages: int = CONTINUE_PAGES, page_size: int = PAGE_SIZE) -> dict:
    """The ``sweep_page`` handler: the next pages of a walk, stamped with the sweep's own time."""
    data = event.get("data") or {}
    w = Walk(**data["walk"])
    return walk(ctx, w, datetime.fromisoformat(event["at"]), start=data.get("start"), max_pages=max_pages,
                page_size=page_size)


# -- the sweeps --------------------------------------------------------------------------------

def _run(ctx: Context, walks: list[Walk], name: str, day: str, now: datetime, max_pages: int, page_size: int) -> dict:
    """Walk each partition in turn on one page budget; partitions the budget does not reach
    are handed to continuations from their first page."""
    from ..observability import logger

    team = _team(ctx)
    counts = _new_counts(name, day)
    budget = max_pages
    for w in walks:
        if budget <= 0:
            enqueue_continuation(w, None, now)
            counts["continued"] += 1
            continue
        try:
            got = walk(ctx, w, now, None, budget, page_size, team)
        except Exception:  # re-walked from its first page on the events queue (idempotent, as a re-run)
            logger.exception("sweep walk failed: continued on the events queue", extra={"walk": asdict(w)})
            enqueue_continuation(w, None, now)
            counts["continued"] += 1
            budget = 0  # the rest of the night's walks follow it there
            continue
        budget -= got["pages"]
        _add(counts, got)
    logger.info("sweep run", extra=counts)
    return counts


def _month_day_walks(sweep: str, index: str, d: date) -> list[Walk]:
    # Feb 29 dates are keyed Feb 28, and were swept the day before: nothing is left for Feb 29.
    if (d.month, d.day) == (2, 29):
        return []
    return [Walk(sweep, index, month_day(d.isoformat()), d.isoformat())]


def anniversaries(ctx: Context, now: datetime, day: date | None = None, max_pages: int = MAX_PAGES,
                  page_size: int = PAGE_SIZE) -> dict:
    d = day or sweep_day(now)
    return _run(ctx, _month_day_walks("anniversaries", "by_funded_md", d), "anniversaries", d.isoformat(),
                now, max_pages, page_size)


def birthdays(ctx: Context, now: datetime, day: date | None = None, max_pages: int = MAX_PAGES,
              page_size: int = PAGE_SIZE) -> dict:
    d = day or sweep_day(now)
    return _run(ctx, _month_day_walks("birthdays", "by_birthday_md", d), "birthdays", d.isoformat(),
                now, max_pages, page_size)


def wakeups(ctx: Context, now: datetime, day: date | None = None, max_pages: int = MAX_PAGES,
            page_size: int = PAGE_SIZE) -> dict:
    d = day or sweep_day(now)
    return _run(ctx, [Walk("wakeups", "by_wake_day", d.isoformat(), d.isoformat())], "wakeups", d.isoformat(),
                now, max_pages, page_size)


def rates(ctx: Context, now: datetime, day: date | None = None, max_pages: int = MAX_PAGES,
          page_size: int = PAGE_SIZE) -> dict:
    """For each product with a fresh market rate: the past clients whose note rate is at least
    the team's ``min_rate_drop`` above it (a range Query on the product's partition)."""
    from ..domain.refinance import RefiThresholds

    d = day or sweep_day(now)
    drop = RefiThresholds.from_config(_team(ctx).get("refi") or {}).min_rate_drop
    walks, stale = [], 0
    for quote in ctx.rates.latest_all():
        product = quote["product"]
        if date.fromisoformat(quote["as_of"][:10]) < d - timedelta(days=MAX_RATE_AGE_DAYS):
            stale += 1
            continue
        rate = Decimal(str(quote["rate"]))
        market = {"product": product, "rate": str(rate), "as_of": quote["as_of"]}
        walks.append(Walk("rates", "by_refi_rate", product, d.isoformat(), min_rate=str(rate + drop), market=market))
    counts = _run(ctx, walks, "rates", d.isoformat(), now, max_pages, page_size)
    counts.update(products=len(walks), stale_products=stale)
    return counts


def counters(ctx: Context, now: datetime) -> dict:
    """The nightly roll-up of the analytics counters: each sequence's closed days added into
    its totals (store/stats.py), so an all-time view reads a day or two of live
    counters, never the stack's history."""
    from ..sequences.catalog import SEQUENCES

    rolled = ctx.stats.roll_up(sorted(SEQUENCES), now.date().isoformat())
    return {"sweep": "counters", "sequences_rolled": len(rolled), "days_rolled": sum(rolled.values())}
