"""Items read by the nightly sweeps at N and at 10N leads with the same matches.

Run as ``python -m bench.sweeps OUT.json``. Each size gets a fresh moto (``mock_aws``) with the
tables of ``infra/template.json``; the leads are written as ``LeadRepo.save`` stores them, in
batches (no events), so only the sweep's own reads are counted.

The population: a fixed set of leads that match tonight (funding anniversaries and birthdays
within three days of tonight, no-contact wake-ups within three days, past clients whose note
rate is two points over today's market rate), the same in both runs; and filler that looks like
them but does not match (anniversaries, birthdays and wake-ups on other days, past clients under
the market rate). A sweep that reads what matches reads the same at N and at 10N.

Items read are counted by the botocore hook from the responses themselves (ScannedCount of each
Query or Scan, the items of GetItem and BatchGetItem), whatever code made the call; if the sweeps
report their own ``items_read``, that is recorded beside it.

Which sweeps run, in order of preference:
  1. ``chalicelib.api.sweeps.NIGHTLY`` (the EventBridge handlers the local runtime calls);
  2. ``chalicelib.services.sweeps``: its public ``sweep_*`` functions (or ``run_all``), called
     with ``(ctx, now)``;
  3. neither present yet: the sparse indexes queried directly with ``LeadRepo.query_index`` for
     tonight's keys, which is what a sweep that reads only what matches must do (said so in the
     output as ``source``).
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
from datetime import date, datetime, timedelta, timezone

from . import env, lambda_events

N_SMALL = int(os.environ.get("BENCH_SWEEP_N", "200"))
TONIGHT = datetime(2026, 6, 16, 7, 30, tzinfo=timezone.utc)   # 02:30 in Austin: the nightly run
WINDOW = range(-3, 4)                                          # days around tonight that match
PER_KIND_PER_DAY = 2
MARKET = {"conv30": 6.25, "conv15": 5.5}
TEAM_THRESHOLD = 0.75


def _shift_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:                       # Feb 29
        return d.replace(year=d.year + years, day=28)


def population(total: int, today: date) -> list[dict]:
    """Lead bodies: the matching set (same for every size), then filler up to ``total``."""
    bodies: list[dict] = []

    def lead(i: int, **fields) -> dict:
        return {"first_name": f"Sweep{i}", "last_name": "Client", "email": f"sweep{i}@example.com",
                "phone": f"+1737{3000000 + i:07d}", "state": "TX",
                "consent": {"email": True}, **fields}

    i = 0
    for offset in WINDOW:
        day = today + timedelta(days=offset)
        for _ in range(PER_KIND_PER_DAY):
            funded = _shift_years(day, -1)
            bodies.append(lead(i, stage="funded", loan={"product": "conv30", "rate": MARKET["conv30"] - 0.5,
                                                        "amount": 400000, "term_months": 360,
                                                        "funded_on": funded.isoformat()}, _kind="anniversary"))
            i += 1
            bodies.append(lead(i, birthday=_shift_years(day, -40).isoformat(), _kind="birthday"))
            i += 1
            bodies.append(lead(i, _created=day - timedelta(days=30), _kind="wake_up"))
            i += 1
            far = _shift_years(today + timedelta(days=120 + offset), -3)
            bodies.append(lead(i, stage="funded", loan={"product": "conv30", "rate": MARKET["conv30"] + 2.0,
                                                        "amount": 400000, "term_months": 360,
                                                        "funded_on": far.isoformat()}, _kind="refinance"))
            i += 1
    matching = len(bodies)
    while len(bodies) < total:
        k = len(bodies) - matching
        away = today + timedelta(days=20 + (k * 7) % 300)      # never within the window
        if k % 3 == 0:      # past client under the market rate, anniversary on another day
            bodies.append(lead(i, stage="funded", birthday=_shift_years(away, -35).isoformat(),
                               loan={"product": "conv30" if k % 2 else "conv15", "rate": 4.0, "amount": 300000,
                                     "term_months": 360, "funded_on": _shift_years(away, -2).isoformat()},
                               _kind="filler"))
        else:               # open lead, recently created: wakes up weeks from now
            bodies.append(lead(i, birthday=_shift_years(away, -30).isoformat(),
                               _created=today - timedelta(days=(k % 25)), _kind="filler"))
        i += 1
    return bodies


def _write_leads(ctx, bodies: list[dict], now: datetime) -> None:
    """The leads as ``LeadRepo.save`` stores them (its own item builders: record and contact
    bookkeeping), put with BatchWriteItem: a save is a transaction, and moto copies every table
    per transaction, which made 2,200 saves take a quarter of an hour. Only the sweeps' reads
    are measured."""
    from chalicelib.domain.lead import validate_lead
    from chalicelib.store.leads import lead_writes
    from chalicelib.store.models import LeadModel

    team = ctx.settings.team
    with LeadModel.batch_write() as batch:
        for n, body in enumerate(bodies):
            body = dict(body)
            body.pop("_kind")
            created = body.pop("_created", None)
            at = datetime.combine(created, now.timetz()) if created else now - timedelta(days=2)
            fields = validate_lead(body, at, lo_ids=tuple(lo.id for lo in team.los))
            lead = {"lead_id": f"sweep{n:06d}", "stage": "new_lead", "lo_id": team.los[0].id, **fields,
                    "created_at": at.isoformat(), "updated_at": at.isoformat(), "stage_changed_at": at.isoformat(),
                    "last_contact_at": at.isoformat(), "consent_records": fields.get("consent_records", []),
                    "suppressed": {}}
            for model in lead_writes(lead, {"no_contact_days": team.no_contact_days}, rekey=True):
                model.version = 1   # what a first save leaves
                batch.save(model)


def _sweepers(ctx, now):
    """[(name, callable)] and the source they come from."""
    from chalicelib.api import sweeps as api_sweeps
    from chalicelib.local import runtime

    nightly = tuple(getattr(api_sweeps, "NIGHTLY", ()) or ())
    if nightly:
        event = lambda_events.scheduled(now, "nightly")
        return "chalicelib.api.sweeps.NIGHTLY", [
            (getattr(h, "__name__", None) or getattr(getattr(h, "func", None), "__name__", repr(h)),
             lambda h=h: h(event, runtime._Context())) for h in nightly]
    try:
        service = importlib.import_module("chalicelib.services.sweeps")
    except ModuleNotFoundError:
        service = None
    if service is not None:
        fns = [(n, f) for n, f in vars(service).items()
               if inspect.isfunction(f) and f.__module__ == service.__name__ and n.startswith("sweep_")]
        if not fns and callable(getattr(service, "run_all", None)):
            fns = [("run_all", service.run_all)]
        usable = []
        for name, fn in fns:
            params = [p for p in inspect.signature(fn).parameters.values()
                      if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if len(params) == 2:
                usable.append((name, lambda fn=fn: fn(ctx, now)))
        if usable:
            return "chalicelib.services.sweeps", usable
    return "LeadRepo.query_index (no sweeps service yet)", _direct_sweeps(ctx, now)


def _direct_sweeps(ctx, now):
    """What a sweep that reads only what matches must do: one sparse-index partition per key."""
    from chalicelib.domain.sweeps import month_day
    from chalicelib.store.models import LeadModel

    today = now.date()
    threshold = {p: rate + TEAM_THRESHOLD for p, rate in MARKET.items()}

    def pages(index, key, cond=None):
        def run():
            read, start = 0, None
            while True:
                _items, start, n = ctx.leads.query_index(index, key, cond, page_size=100, start=start)
                read += n
                if not start:
                    return {"items_read": read}
        return run

    out = [("anniversaries", pages("by_funded_md", month_day(today.isoformat()))),
           ("birthdays", pages("by_birthday_md", month_day(today.isoformat()))),
           ("wake_ups", pages("by_wake_day", today.isoformat()))]
    out += [(f"rates:{p}", pages("by_refi_rate", p, LeadModel.refi_rate >= t)) for p, t in threshold.items()]
    return out


def measure(log, total: int) -> dict:
    from moto import mock_aws

    from chalicelib.clock import clock
    from chalicelib.config import settings
    from chalicelib.local.stack import create_resources
    from chalicelib.services.context import Context

    clock.start_at(TONIGHT)
    now = clock.now()
    with mock_aws():
        create_resources()
        ctx = Context(settings())
        for product, rate in MARKET.items():
            ctx.rates.put(product, rate, (now - timedelta(days=1)).date().isoformat(), "bench")
        bodies = population(total, now.date())
        _write_leads(ctx, bodies, now)
        source, sweepers = _sweepers(ctx, now)
        log.reset()
        reported, errors = {}, {}
        phase = f"sweep.{total}"
        for name, run in sweepers:
            with log.phase(phase):
                try:
                    result = run()
                except Exception as exc:  # a sweep still being written must not sink the bench
                    errors[name] = f"{type(exc).__name__}: {exc}"[:300]
                    continue
            if isinstance(result, dict) and "items_read" in result:
                reported[name] = result["items_read"]
        fanout = None
        if source != "LeadRepo.query_index (no sweeps service yet)":
            from chalicelib.local import runtime

            with log.phase(f"fanout.{total}"):
                runtime.drain()
            fanout = log.units(f"fanout.{total}")["items_read"]
        units = log.units(phase)
        return {"leads": total, "matching": sum(1 for b in bodies if b["_kind"] != "filler"), "source": source,
                "sweeps": [n for n, _ in sweepers], "items_read": units["items_read"],
                "items_read_by_table": units["items_read_by_table"],
                "items_read_reported": reported or None, "rru": units["rru"],
                "calls": log.by_operation(phase), "errors": errors or None,
                "items_read_fanout": fanout}


def main(out_path: str) -> None:
    env.apply()
    from .counting import CallLog

    log = CallLog().install()
    small = measure(log, N_SMALL)
    large = measure(log, 10 * N_SMALL)
    ratio = (large["items_read"] / small["items_read"]) if small["items_read"] else None
    with open(out_path, "w") as fh:
        json.dump({"small": small, "large": large, "ratio": ratio}, fh, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
