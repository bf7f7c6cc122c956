"""A burst: 5,000 e-mail touches due in the same minute, against the team's e-mail send rate.

Run as ``python -m bench.burst OUT.json`` (bench.run does). One fresh process, the engine's own
scheduler and delivery handlers on the in-memory store and AWS clients (chalicelib/store/memory/,
chalicelib/local/memory_aws.py: the fast simulator's stand-ins, held to DynamoDB's behaviour by
the repository contract suite).

The population: ``BENCH_BURST`` funded past clients in Austin, each enrolled in ``annual_review``
so that its e-mail is due at 10:00 local on a Tuesday (15:00 UTC), plus 1% new leads whose
transactional ``pipeline_progression`` e-mail falls due in the same minute (it must not wait
behind the marketing mail). Leads and enrollments are written straight through the repositories.

The team's send rates come from the team settings the pacing feature reads: ``send_rates`` =
``{"email_per_second": 14, "sms_per_second": 3}`` (``Team.send_rates``), written into a copy of
the team file (``TEAM_CONFIG_FILE``). Without that setting the run still happens and says
``"pacing": "absent"``: the figure then shows an unpaced engine against SES's 14/s.

The virtual clock is stepped, not running: every virtual minute the scheduler Lambda runs once
(``schedule_due_touches``, i.e. ``schedule_due(ctx, now)``); then the queues are drained second
by second through the handlers the local runtime calls, a message being handled at the first
second it is visible (Lambda's event source keeps up with the queue: a backlog released at once
is sent at once). Each SES ``SendEmail`` is stamped with that virtual second. So:
  peak_per_second   the most sends in any one second of virtual time (the rate SES would see);
                    ``peak_per_second_minute_average`` is the busiest minute / 60, beside it;
  duplicates        sends of a touch id already sent (from the SES requests themselves);
  minutes_to_drain  minutes from the due minute to the last send (the minute of the last send + 1).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from . import env, lambda_events

N_TOUCHES = int(os.environ.get("BENCH_BURST", "5000"))
TRANSACTIONAL_SHARE = 0.01
DUE = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)     # a Tuesday, 10:00 in Austin (CDT)
SEND_RATES = {"email_per_second": 14, "sms_per_second": 3}  # the defaults: a new SES account, 10DLC
SES_DEFAULT_RATE = 14
MAX_MINUTES = 180


class SteppedClock:
    """The virtual clock held still at a chosen second (the engine's clock runs on real time)."""

    def __init__(self, clock):
        self.clock, self.at = clock, DUE
        clock.now = lambda: self.at   # the instance attribute shadows Clock.now for everyone

    def set(self, at: datetime) -> datetime:
        self.at = at
        return at


def _team_file() -> str | None:
    """A copy of the team settings with ``send_rates``, if the Team knows the setting."""
    from chalicelib.config import Team

    if "send_rates" not in {f.name for f in dataclasses.fields(Team)}:
        return None
    return env.team_file(send_rates=dict(SEND_RATES))


def _probe_due_paging() -> bool:
    """Does the in-memory due index page on after a key that left it, as DynamoDB does?

    The scheduler reads the due index a page at a time and moves each page's enrollments on
    before reading the next, so the next page starts after a key that is no longer in the
    index. DynamoDB continues from that key's position; a stand-in that looks the key up and
    finds nothing ends the run after one page. (The scheduler now reads every page before it
    writes, so the burst does not depend on it; reported as a gap in the contract suite.)"""
    from chalicelib.store.memory import MemoryStore
    from chalicelib.store.writeset import WriteSet

    store = MemoryStore({})
    at = DUE.isoformat()
    for i in range(3):
        store.uow.commit(WriteSet([{"enrollment_id": f"probe{i}", "lead_id": f"probe{i}", "status": "active",
                                    "due_at": at}]))
    first, start = store.enrollments.due(at, 1)
    store.uow.commit(WriteSet([{**first[0], "due_at": (DUE + timedelta(days=1)).isoformat()}]))
    second, _ = store.enrollments.due(at, 1, start)
    return bool(second) and second[0]["enrollment_id"] == "probe1"


def _population(ctx, n: int) -> dict[str, str]:
    """Write the leads and their due enrollments; returns touch kind by lead id."""
    from chalicelib.domain.lead import validate_lead
    from chalicelib.sequences import engine
    from chalicelib.sequences.catalog import SEQUENCES
    from chalicelib.store.writeset import WriteSet

    team = ctx.settings.team
    lo_ids = tuple(lo.id for lo in team.los)
    enrolled_at = DUE - timedelta(minutes=30)
    contacted = (DUE - timedelta(days=40)).isoformat()
    n_transactional = max(1, round(n * TRANSACTIONAL_SHARE))
    kinds: dict[str, str] = {}
    for i in range(n):
        transactional = i < n_transactional
        body = {"first_name": f"Burst{i}", "last_name": "Client", "email": f"burst{i}@example.com",
                "state": "TX", "consent": {"email": True}}
        if not transactional:
            body["loan"] = {"product": "conv30", "rate": 6.5, "amount": 350000, "term_months": 360,
                            "funded_on": "2024-03-12"}
        fields = validate_lead(body, enrolled_at, lo_ids=lo_ids)
        lead = ctx.leads.save({
            "lead_id": f"burst{i:06d}", "lo_id": lo_ids[i % 2], **fields,
            "stage": "application_started" if transactional else "funded",
            "created_at": contacted, "updated_at": contacted, "stage_changed_at": contacted,
            "last_contact_at": contacted, "consent_records": fields.get("consent_records", []), "suppressed": {}})
        seq = SEQUENCES["pipeline_progression" if transactional else "annual_review"]
        out = engine.enroll(seq, lead, enrolled_at, f"{seq.id}.burst{i}", "bench burst")
        out.enrollment["due_at"] = DUE.isoformat()   # the whole population falls due in one minute
        ctx.uow.commit(WriteSet([out.enrollment]))
        kinds[lead["lead_id"]] = "transactional" if transactional else "marketing"
    return kinds


def _tag(touch_id: str) -> str:
    """The touch id as the SES tag carries it (chalicelib/channels/email.py)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in touch_id)[:255]


def run(n: int = N_TOUCHES) -> dict:
    team_file = _team_file()
    if team_file:
        os.environ["TEAM_CONFIG_FILE"] = team_file

    from chalicelib import aws
    from chalicelib.api import workers
    from chalicelib.clock import clock
    from chalicelib.config import settings
    from chalicelib.local import runtime
    from chalicelib.local.memory_aws import MemoryAWS
    from chalicelib.services import context as composition

    paging_faithful = _probe_due_paging()
    stepped = SteppedClock(clock)
    stand_in = MemoryAWS()
    aws.use_stand_ins(stand_in.clients())
    ctx = composition.Context.in_memory()
    composition.use(ctx)
    rates = getattr(settings().team, "send_rates", None) or {}
    limit = rates.get("email_per_second")

    sends: list[tuple[datetime, str]] = []
    ses_send = stand_in.ses.send_email

    def send_email(**kw):
        tag = next((t["Value"] for t in kw.get("EmailTags") or [] if t["Name"] == "touch"), "")
        sends.append((stepped.at, tag))
        return ses_send(**kw)

    stand_in.ses.send_email = send_email

    started = time.perf_counter()
    kinds = _population(ctx, n)
    setup_seconds = time.perf_counter() - started

    started, cpu_started = time.perf_counter(), time.process_time()
    schedule_runs = []
    minute = 0
    for minute in range(MAX_MINUTES):
        at = stepped.set(DUE + timedelta(minutes=minute))
        counts = workers.schedule_due_touches(lambda_events.scheduled(at), runtime._Context()) or {}
        schedule_runs.append({k: v for k, v in counts.items() if v})
        for second in range(60):
            stepped.set(at + timedelta(seconds=second))
            runtime.drain(max_batches=10_000)
        due_left, _ = ctx.enrollments.due(stepped.at.isoformat(), 1)
        if not due_left and stand_in.sqs.depth() == 0:
            break
    run_seconds, run_cpu = time.perf_counter() - started, time.process_time() - cpu_started

    touches = [t for t in ctx.touches.all() if t["lead_id"] in kinds]
    email = [t for t in touches if t["channel"] == "email"]
    tags = Counter(tag for _, tag in sends)
    per_second = Counter(int((at - DUE).total_seconds()) for at, _ in sends)
    per_minute = Counter(s // 60 for s in per_second.elements())
    transactional_ids = {_tag(t["touch_id"]) for t in email if kinds[t["lead_id"]] == "transactional"}
    sent_seconds = {tag: int((at - DUE).total_seconds()) for at, tag in sends}
    last = max(per_second) if per_second else None
    peak = max(per_second.values()) if per_second else 0
    return {
        "touches": len(email), "limit_per_second": limit or SES_DEFAULT_RATE,
        "pacing": "team send_rates" if limit else "absent: Team has no send_rates, unpaced engine against SES's 14/s",
        "send_rates": rates or None,
        "peak_per_second": peak,
        "peak_per_second_basis": "most SES sends in one second of virtual time; a message is handled at the first "
                                 "second it is visible (Lambda keeping up with the queue)",
        "peak_per_second_minute_average": (max(per_minute.values()) / 60) if per_minute else 0,
        "sent": len(tags), "duplicates": sum(n - 1 for n in tags.values() if n > 1),
        "minutes_to_drain": (last // 60 + 1) if last is not None else None,
        "sends_by_minute": dict(sorted(per_minute.items())),
        "seconds_over_limit": sum(1 for v in per_second.values() if v > (limit or SES_DEFAULT_RATE)),
        "sends_over_limit": sum(max(0, v - (limit or SES_DEFAULT_RATE)) for v in per_second.values()),
        "transactional": {"touches": len(transactional_ids),
                          "sent": sum(1 for i in transactional_ids if i in sent_seconds),
                          "last_sent_second": max((sent_seconds[i] for i in transactional_ids if i in sent_seconds),
                                                  default=None),
                          "marketing_sent_before_last_transactional": sum(
                              1 for tag, s in sent_seconds.items() if tag not in transactional_ids
                              and s < max((sent_seconds[i] for i in transactional_ids if i in sent_seconds), default=-1))},
        "touch_statuses": dict(Counter(t["status"] for t in email)),
        "schedule_runs": schedule_runs[:10],
        "virtual_minutes_run": minute + 1,
        "wall_seconds": {"setup": round(setup_seconds, 1), "run": round(run_seconds, 1)},
        # the engine's own work per e-mail, scheduling to sent, on stand-ins that cost next to nothing
        # (no moto): what a Lambda spends per touch before its network waits (bench.sizing)
        "cpu_ms_per_send": round(1000 * run_cpu / max(1, len(tags)), 2),
        "store": "memory (chalicelib/store/memory/, chalicelib/local/memory_aws.py)",
        "memory_due_paging": ("as DynamoDB" if paging_faithful else
                              "DIVERGES from DynamoDB: a page after a key that left the index comes back empty"),
        "due_at": DUE.isoformat(),
    }


def main(out_path: str) -> None:
    env.apply()
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)   # the handlers' EMF metric lines: thousands of them
    try:
        result = run()
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
