"""AWS calls per touch and per tracking request, counted on moto (in-process ``mock_aws``).

Run as ``python -m bench.calls OUT.json`` (bench.run does): one fresh process, tables and queues
from ``infra/template.json`` via ``chalicelib.local.stack.create_resources()``.

What runs, as it would in AWS:
  setup     N leads through ``services.leads.create_lead`` (email + SMS consent, Texas, phones in
            512), then the events queue drained through ``evaluate_events``: every lead enrolls
            in ``lead_nurture``; its first step (the "thanks" email) is due at once.
  email     ``schedule_due_touches`` (the EventBridge handler) once, then the touches queue
            drained through ``deliver_touch`` (the SQS handler) in batches of 10.
  sms       the virtual clock +6 minutes: the "hello" text of every lead, the same way.
  task      the next business day 10:00 local: the LO's "first call" task, the same way.
  voice     Amazon Connect has no moto backend: N voice touches (``application_incomplete``
            reminder call) through ``deliver_touches_batch`` with botocore's Stubber answering
            StartOutboundVoiceContact (the hook still counts the call).
  tracking  the open pixel and the click redirect through ``chalice.test.Client`` with signed
            tokens, then the events they queued through ``evaluate_events``.

Pacing (the team's ``send_rates``) is measured by bench.burst; here the team's rates are set above
the batch (``UNPACED``), so no touch is held back or delayed on the queue (moto would hold a
delayed message for real seconds) and each round is one channel's. The pacing's own calls (the
minute's release counter) are still made and counted.

The local runtime plays Lambda's SQS event source mapping: its ReceiveMessage and
DeleteMessageBatch are Lambda's calls, not the engine's; they are counted apart ("esm.*").
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from chalicelib.content.sms import encoding, segments as sms_parts  # pure: the validation's own counter

from . import env, lambda_events

N_LEADS = int(os.environ.get("BENCH_LEADS", "120"))
N_TRACKING = 20
VIRTUAL_START = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)   # a Tuesday, 10:00 in Austin (CDT)
LAMBDA_LOG_LINES_BYTES = 330   # START + END + REPORT lines Lambda writes per invocation
UNPACED = {"email_per_second": 1000, "sms_per_second": 1000, "voice_per_second": 1000}


class Logs:
    """What handlers write to stdout: Powertools JSON logs and EMF metric lines. In Lambda that is
    CloudWatch Logs ingestion, and every EMF metric name x dimension set is a custom metric."""

    def __init__(self):
        self.bytes: dict[str, int] = {}
        self.metrics: set[tuple[str, tuple]] = set()

    @contextmanager
    def __call__(self, key: str):
        sys.stdout.flush()
        saved = os.dup(1)
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 1)
            try:
                yield
            finally:
                sys.stdout.flush()
                os.dup2(saved, 1)
                os.close(saved)
                tmp.seek(0)
                data = tmp.read()
                self.bytes[key] = self.bytes.get(key, 0) + len(data)
                self._metrics(data)

    def _metrics(self, data: bytes) -> None:
        for line in data.splitlines():
            if b'"_aws"' not in line:
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            for directive in doc["_aws"].get("CloudWatchMetrics", []):
                for dims in directive.get("Dimensions", [[]]):
                    for metric in directive.get("Metrics", []):
                        self.metrics.add((metric["Name"], tuple(sorted(f"{d}={doc.get(d)}" for d in dims))))


class Timer:
    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.invocations: dict[str, int] = {}

    @contextmanager
    def __call__(self, key: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - start
            self.invocations[key] = self.invocations.get(key, 0) + 1


def main(out_path: str) -> None:
    env.apply(POWERTOOLS_LOG_LEVEL="INFO",   # what a deployed stage logs (cost of CloudWatch Logs)
              TEAM_CONFIG_FILE=env.team_file(send_rates=UNPACED))
    from .counting import CallLog

    log = CallLog().install()
    from moto import mock_aws

    with mock_aws():
        result = _run(log)
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=1, default=str)


def _run(log) -> dict:
    from chalicelib.local.stack import create_resources

    create_resources()

    from chalicelib.api import workers
    from chalicelib.clock import clock
    from chalicelib.local import runtime
    from chalicelib.services import leads as lead_service
    from chalicelib.services.context import context

    clock.start_at(VIRTUAL_START)
    ctx = context()
    timer = Timer()
    sms: dict[str, list[int]] = {}
    sms_sample: dict[str, dict] = {}

    def on_sms(phase: str, params: dict) -> None:
        if "PhoneNumber" not in params:
            return
        text = params.get("Message", "")
        sms.setdefault(phase, []).append(sms_parts(text))
        sms_sample.setdefault(phase, {"characters": len(text), "parts": sms_parts(text),
                                      "gsm7": encoding(text) == "gsm7",
                                      "non_gsm7": sorted({c for c in text if encoding(c) != "gsm7"})})

    log.observe("sns", "Publish", on_sms)
    logs = Logs()

    # Every handler call made by the local runtime is attributed to the handler's phase;
    # whatever the runtime does around it (receive, delete) belongs to the event source mapping.
    handler_phase = {"deliver": None, "evaluate": None}
    originals = {"deliver": workers.deliver_touch, "evaluate": workers.evaluate_events}

    def wrap(kind):
        def handler(event, context_):
            name = handler_phase[kind]
            with log.phase(name), timer(name or kind), logs(name or kind):
                return originals[kind](event, context_)
        return handler

    workers.deliver_touch = wrap("deliver")
    workers.evaluate_events = wrap("evaluate")

    def drain(esm_phase: str, deliver_phase: str | None, evaluate_phase: str | None) -> int:
        handler_phase.update(deliver=deliver_phase, evaluate=evaluate_phase)
        with log.phase(esm_phase):
            return runtime.drain()

    def schedule(phase: str) -> dict:
        now = clock.now()
        with log.phase(phase), timer(phase), logs(phase):
            return workers.schedule_due_touches(lambda_events.scheduled(now), runtime._Context())

    rounds = {"program": _program(ctx, schedule, drain)}  # first: nothing else is due yet

    # -- setup: leads in, enrolled ---------------------------------------------------------------
    with log.phase("setup.create"):
        for i in range(N_LEADS):
            body = {"first_name": f"Bench{i}", "last_name": "Borrower", "email": f"bench{i}@example.com",
                    "phone": f"+1512{2000000 + i:07d}", "state": "TX",
                    "loan": {"purpose": "purchase"},
                    "consent": {"email": True,
                                "sms": {"granted": True, "source": "web form", "text": "I agree to texts"},
                                "voice": {"granted": True, "source": "web form", "text": "I agree to calls"}}}
            lead_service.create_lead(ctx, body, clock.now(), f"bench-{i}")
    drain("setup.esm", None, "setup.evaluate")

    # -- email: the "thanks for reaching out" email of every lead -----------------------------
    rounds["email"] = {"scheduled": schedule("email.schedule"),
                       "drained": drain("email.esm", "email.deliver", "email.evaluate")}
    # -- sms: five minutes later, the LO's hello text ------------------------------------------
    clock.advance(6 * 60)
    rounds["sms"] = {"scheduled": schedule("sms.schedule"),
                     "drained": drain("sms.esm", "sms.deliver", "sms.evaluate")}
    # -- task: next business day 10:00 local, the LO's first call -----------------------------
    clock.start_at(VIRTUAL_START + timedelta(days=1, minutes=5))
    rounds["task"] = {"scheduled": schedule("task.schedule"),
                      "drained": drain("task.esm", "task.deliver", "task.evaluate")}

    # -- idle: a minute later nothing is due; what every other minute of the day costs ----------
    clock.advance(60)
    idle = schedule("idle.schedule")

    voice = _voice(log, ctx, timer, logs)
    tracking = _tracking(log, ctx, drain, timer, logs)

    return {"leads": N_LEADS, "rounds": rounds, "idle": idle, "voice": voice, "tracking": tracking,
            "calls": [[p, s, op, n] for (p, s, op), n in sorted(log.calls.items())],
            "units": {p: log.units(p) for p in sorted({p for p, _, _ in log.calls})},
            "payload_bytes": {k: sum(v) / len(v) for k, v in log.sizes.items() if v},
            "seconds": timer.seconds, "invocations": timer.invocations, "log_bytes": logs.bytes,
            "emf_metrics": sorted(f"{name} [{', '.join(dims)}]" for name, dims in logs.metrics),
            "sms_parts": sms, "sms_sample": sms_sample, "touch_statuses": _statuses(ctx),
            "item_sizes": _item_sizes(),
            "lambda_log_lines_bytes": LAMBDA_LOG_LINES_BYTES}


PROGRAM_HISTORY = 84  # library items a year-round program has sent a lead in a year (sim.run, 1,000 leads)


def _program(ctx, schedule, drain) -> dict:
    """A year-round program's e-mail (long-term nurture's next lesson) for N leads a year into
    the program: each enrollment carries a year of library history (PROGRAM_HISTORY items, sent
    366-399 days ago, so none blocks this pick). Leads and enrollments are written straight to
    the repositories (no triggers, no other sequence), then one schedule and one drain, before
    the other rounds (their next step is days away, so they never mix with them)."""
    from chalicelib.clock import clock
    from chalicelib.sequences import engine
    from chalicelib.sequences.catalog import SEQUENCES
    from chalicelib.sequences.rotation import items
    from chalicelib.store.writeset import WriteSet

    seq = SEQUENCES["long_term_nurture"]
    ids = [i.id for i in items(seq.library)]
    now = clock.now()
    history = [[ids[n % len(ids)] if n < len(ids) else f"{ids[n % len(ids)]}_{n}",
                (now.date() - timedelta(days=366 + n % 33)).isoformat(), None] for n in range(PROGRAM_HISTORY)]
    history.sort(key=lambda h: h[1])
    enrollments = []
    for i in range(N_LEADS):
        lead = {"lead_id": f"program{i:05d}", "first_name": f"Reader{i}", "last_name": "Borrower",
                "email": f"reader{i}@example.com", "state": "TX", "timezone": "America/Chicago", "lo_id": "lo-1",
                "stage": "new_lead", "created_at": (now - timedelta(days=400)).isoformat(),
                "consent_records": [{"channel": "email", "granted": True, "source": "web form",
                                     "at": (now - timedelta(days=400)).isoformat()}]}
        ctx.leads.create(lead)
        out = engine.enroll(seq, lead, now - timedelta(days=400), f"long_term_nurture.program{i:05d}", "bench",
                            start_step="lesson")
        enrollments.append({**out.enrollment, "due_at": now.isoformat(), "rotation": history, "tier": "engaged",
                            "pace": 1, "entered_at": (now - timedelta(days=400)).isoformat()})
    for start in range(0, len(enrollments), 50):  # a transaction holds 100 actions
        ctx.uow.commit(WriteSet(enrollments[start:start + 50]))
    return {"scheduled": schedule("program.schedule"), "drained": drain("program.esm", "program.deliver",
                                                                         "program.evaluate"),
            "history_items": PROGRAM_HISTORY}


def _item_sizes() -> dict:
    """Items and their mean size per table after the run (DynamoDB's size rule, bench.wru), read from
    moto's backend: what a lead and its touches occupy (storage, and the read units of the items)."""
    from moto.backends import get_backend

    from .wru import item_size

    backend = get_backend("dynamodb")["123456789012"][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")]
    out = {}
    for name, table in backend.tables.items():
        sizes = [item_size(i.to_json()["Attributes"]) for i in table.all_items()]
        out[name.rsplit("-", 1)[-1]] = {"items": len(sizes), "mean_bytes": round(sum(sizes) / len(sizes)) if sizes else 0,
                                        "max_bytes": max(sizes, default=0)}
    return out


def _statuses(ctx) -> dict:
    out: dict[str, int] = {}
    for lead in ctx.leads.list(None, None, 1000, None)[0]:
        for t in ctx.touches.for_lead(lead["lead_id"]):
            key = f"{t['channel']}:{t['status']}"
            out[key] = out.get(key, 0) + 1
    return out


def _voice(log, ctx, timer, logs) -> dict:
    """Voice touches straight into the deliver batch (no Connect in moto: Stubber answers)."""
    from botocore.stub import Stubber

    from chalicelib.api import workers
    from chalicelib.aws import client
    from chalicelib.clock import clock
    from chalicelib.sequences import engine
    from chalicelib.sequences.catalog import SEQUENCES
    from chalicelib.services.schedule import LEAD_FIELDS_FOR_DELIVERY

    seq = SEQUENCES["application_incomplete"]
    step = seq.step("finish_reminder_call")
    now = clock.now()
    page = ctx.leads.list(None, None, 10, None)[0]
    bodies = []
    for i, lead in enumerate(page):
        enrollment = {"enrollment_id": f"application_incomplete.bench{i}", "lead_id": lead["lead_id"],
                      "touch_no": 0, "due_at": now.isoformat()}
        order = engine.touch_order(enrollment, seq, step, lead, now)
        bodies.append(json.dumps({"touch": order,
                                  "lead": {k: lead[k] for k in LEAD_FIELDS_FOR_DELIVERY if k in lead}}))
    event = lambda_events.sqs(bodies)
    records = event["Records"]
    from chalicelib.channels import voice as voice_channel

    # The local stage records calls on an SNS topic (moto has no Connect); a deployed stage calls
    # Connect. Measure the deployed path: Connect's client, answered by the Stubber.
    if hasattr(voice_channel, "_use_stand_in"):
        voice_channel._use_stand_in = lambda: False
    connect = client("connect")
    stub = Stubber(connect)
    for i in range(len(records)):
        stub.add_response("start_outbound_voice_contact", {"ContactId": f"contact-{i}"})
    with stub, log.phase("voice.deliver"), timer("voice.deliver"), logs("voice.deliver"):
        result = workers.deliver_touches_batch(event)
    statuses = [t["status"] for lead in page for t in ctx.touches.for_lead(lead["lead_id"])
                if t["channel"] == "voice"]
    return {"touches": len(records), "failures": len(result.get("batchItemFailures", [])),
            "statuses": {s: statuses.count(s) for s in set(statuses)}}


def _tracking(log, ctx, drain, timer, logs) -> dict:
    from chalice.test import Client

    from app import app
    from chalicelib.tracking.links import TouchTracker

    sent = [t for lead in ctx.leads.list(None, None, N_TRACKING, None)[0]
            for t in ctx.touches.for_lead(lead["lead_id"]) if t["channel"] == "email" and t["status"] == "sent"]
    sent = sent[:N_TRACKING]
    statuses = {"open": [], "click": []}
    headers = {"user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                             "Chrome/131.0 Safari/537.36", "x-forwarded-for": "198.51.100.7",
               # what a mail client's image fetch sends; Chalice answers a binary body only to a matching Accept
               "accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}
    with Client(app) as http:
        for t in sent:
            tracker = TouchTracker(t["touch_id"], t["lead_id"])
            open_path = tracker.open_url().split("://", 1)[1].split("/", 1)[1]
            click_path = tracker.click_url("https://example.com/rates").split("://", 1)[1].split("/", 1)[1]
            with log.phase("tracking.open"), timer("tracking.open"), logs("tracking.open"):
                statuses["open"].append(http.http.get("/" + open_path, headers=headers).status_code)
            with log.phase("tracking.click"), timer("tracking.click"), logs("tracking.click"):
                statuses["click"].append(http.http.get("/" + click_path, headers=headers).status_code)
    drained = drain("tracking.esm", "tracking.deliver", "tracking.evaluate")
    return {"requests": {k: len(v) for k, v in statuses.items()},
            "status_codes": {k: sorted(set(v)) for k, v in statuses.items()}, "events_evaluated": drained}


if __name__ == "__main__":
    main(sys.argv[1])
