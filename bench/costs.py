"""Monthly cost per 1000 leads, engine versus channel, from the counted calls and bench.prices.

Per touch, by channel, from the phases bench.calls measured:
  DynamoDB   read and write request units estimated from the requests and responses (bench.counting),
             scheduler share + delivery;
  SQS        the scheduler's SendMessageBatch, plus Lambda's event source mapping: one
             ReceiveMessage and one DeleteMessageBatch per batch of 10 (its idle polling is a fixed
             cost per queue, below);
  Lambda     one deliver invocation per batch of 10; billed duration = the handler time measured
             in-process against moto (moto's own work stands in for network latency) at the
             function's configured memory;
  Logs       bytes the handlers wrote (Powertools JSON logs, EMF lines) + Lambda's START/END/REPORT;
  SNS        the LO notification of a task touch (a topic publish).
Every email also brings ``tracked_events_per_email`` tracking requests (API Gateway + the pixel
Lambda + one SendMessage) and their evaluation by ``evaluate_events``.

The channel side: SES per email, SMS per billed message part (parts counted from the texts the
bench sent), Connect per voice minute; an LO task has no channel price.

Fixed costs per stack (not per lead) are reported apart: the minute scheduler's 43,800 runs, the
idle polling of two SQS event source mappings, and one custom metric per EMF metric name.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .prices import PRICES, WORKLOAD, usd

ROOT = Path(__file__).resolve().parents[1]
MINUTES_PER_MONTH = 43_800
ESM_IDLE_REQUESTS_PER_QUEUE_MONTH = 5 * 3 * MINUTES_PER_MONTH   # 5 pollers, 20 s long polls (estimate)
QUEUES_WITH_LAMBDA_TRIGGER = 2                                   # events, touches


def lambda_memory_gb(function: str = "deliver_touch", stage: str = "dev") -> float:
    cfg = json.loads((ROOT / ".chalice" / "config.json").read_text())
    mb = cfg.get("lambda_memory_size", 128)
    st = cfg.get("stages", {}).get(stage, {})
    mb = st.get("lambda_memory_size", mb)
    mb = st.get("lambda_functions", {}).get(function, {}).get("lambda_memory_size", mb)
    return mb / 1024


def _calls(result: dict, phase: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for p, service, op, n in result["calls"]:
        if p == phase:
            out[f"{service}.{op}"] = out.get(f"{service}.{op}", 0) + n
    return out


def _units(result: dict, phase: str) -> dict:
    return result["units"].get(phase) or {"rru": 0, "wru": 0}


def _billed_seconds(result: dict, phase: str) -> float:
    secs = result["seconds"].get(phase, 0.0)
    inv = result["invocations"].get(phase, 0)
    return secs + inv * 0.0005   # per-invocation rounding up to the next millisecond, on average


def per_touch(result: dict, channel: str) -> dict:
    """The engine's bill of units for one touch of ``channel``, and its channel units."""
    mem = lambda_memory_gb()
    if channel == "voice":
        n = result["voice"]["touches"]
        sched_phase, n_sched = "email.schedule", result["rounds"]["email"]["scheduled"]["queued"]
    else:
        n = n_sched = result["rounds"][channel]["scheduled"]["queued"]
        sched_phase = f"{channel}.schedule"
    deliver_phase = f"{channel}.deliver"
    sched, deliv = _calls(result, sched_phase), _calls(result, deliver_phase)
    su, du = _units(result, sched_phase), _units(result, deliver_phase)
    sqs_sched = sum(v for k, v in sched.items() if k.startswith("sqs."))
    sqs_deliv = sum(v for k, v in deliv.items() if k.startswith("sqs."))
    batches = math.ceil(n / 10)
    log_bytes = (result["log_bytes"].get(sched_phase, 0) / n_sched + result["log_bytes"].get(deliver_phase, 0) / n
                 + result["lambda_log_lines_bytes"] * batches / n)
    units = {
        "dynamodb_rru": su["rru"] / n_sched + du["rru"] / n,
        "dynamodb_wru": su["wru"] / n_sched + du["wru"] / n,
        "sqs_request": sqs_sched / n_sched + sqs_deliv / n + 2 * batches / n,
        "lambda_request": batches / n,
        "lambda_gb_second": (_billed_seconds(result, sched_phase) / n_sched + _billed_seconds(result, deliver_phase) / n) * mem,
        "cloudwatch_logs_ingest_gb": log_bytes / 1e9,
        "sns_publish_request": deliv.get("sns.Publish", 0) / n if channel == "task" else 0.0,
    }
    if channel == "email":
        chan = {"ses_email": 1.0}
    elif channel == "sms":
        parts = result.get("sms_parts", {}).get(deliver_phase) or [1]
        avg = sum(parts) / len(parts)
        chan = {"sms_us_message_part": avg, "sms_us_carrier_fee": avg}
    elif channel == "voice":
        m = WORKLOAD["voice_minutes_per_call"]
        chan = {"connect_voice_minute": m, "connect_us_outbound_telephony_minute": m}
    else:
        chan = {}
    calls = sum(sched.values()) / n_sched + sum(deliv.values()) / n
    return {"engine_units": units, "channel_units": chan, "aws_calls": calls}


def per_tracking_event(result: dict) -> dict:
    mem = lambda_memory_gb()
    tr = result["tracking"]
    requests = sum(tr["requests"].values())
    events = tr["events_evaluated"] or requests
    ev = _units(result, "tracking.evaluate")
    ev_inv = result["invocations"].get("tracking.evaluate", 0)
    request_secs = _billed_seconds(result, "tracking.open") + _billed_seconds(result, "tracking.click")
    log_bytes = (result["log_bytes"].get("tracking.open", 0) + result["log_bytes"].get("tracking.click", 0)
                 + result["log_bytes"].get("tracking.evaluate", 0)) / requests \
        + result["lambda_log_lines_bytes"] * (1 + ev_inv / events)
    return {"engine_units": {
        "api_gateway_request": 1.0,
        "lambda_request": 1.0 + ev_inv / events,
        "lambda_gb_second": (request_secs / requests + _billed_seconds(result, "tracking.evaluate") / events) * mem,
        "sqs_request": 1.0 + 2 * math.ceil(events / 10) / events,
        "dynamodb_rru": ev["rru"] / events,
        "dynamodb_wru": ev["wru"] / events,
        "cloudwatch_logs_ingest_gb": log_bytes / 1e9,
    }}


def _price(units: dict) -> float:
    return sum(usd(name) * qty for name, qty in units.items())


def monthly(result: dict, leads: int = 1000) -> dict:
    touches = leads * WORKLOAD["touches_per_lead_per_year"] / 12
    mix = WORKLOAD["mix"]
    channels = {c: per_touch(result, c) for c in mix}
    tracking = per_tracking_event(result)
    events = touches * mix["email"] * WORKLOAD["tracked_events_per_email"]

    engine_by_item: dict[str, float] = {}
    channel_by_item: dict[str, float] = {}
    for c, share in mix.items():
        for name, qty in channels[c]["engine_units"].items():
            engine_by_item[name] = engine_by_item.get(name, 0.0) + usd(name) * qty * touches * share
        for name, qty in channels[c]["channel_units"].items():
            channel_by_item[name] = channel_by_item.get(name, 0.0) + usd(name) * qty * touches * share
    for name, qty in tracking["engine_units"].items():
        engine_by_item[name] = engine_by_item.get(name, 0.0) + usd(name) * qty * events

    idle_secs = _billed_seconds(result, "idle.schedule") / max(1, result["invocations"].get("idle.schedule", 1))
    idle_units = _units(result, "idle.schedule")
    metrics = len(result.get("emf_metrics", []))
    fixed = {
        "scheduler_lambda": MINUTES_PER_MONTH * (usd("lambda_request")
                                                 + idle_secs * lambda_memory_gb("schedule_due_touches") * usd("lambda_gb_second")),
        "scheduler_due_query": MINUTES_PER_MONTH * idle_units["rru"] * usd("dynamodb_rru"),
        "scheduler_logs": MINUTES_PER_MONTH * result["lambda_log_lines_bytes"] / 1e9 * usd("cloudwatch_logs_ingest_gb"),
        "sqs_event_source_idle_polling": QUEUES_WITH_LAMBDA_TRIGGER * ESM_IDLE_REQUESTS_PER_QUEUE_MONTH * usd("sqs_request"),
        "cloudwatch_custom_metrics": metrics * usd("cloudwatch_custom_metric_month"),
        "eventbridge_schedule": MINUTES_PER_MONTH * usd("eventbridge_scheduled_event"),
    }
    engine = sum(engine_by_item.values())
    channel = sum(channel_by_item.values())
    fixed_total = sum(fixed.values())
    per_lead_channel = channel / leads
    return {
        "leads": leads,
        "touches_per_month": touches,
        "tracked_events_per_month": events,
        "engine_usd": engine,
        "channel_usd": channel,
        "engine_share_of_channel": engine / channel if channel else None,
        "engine_usd_by_item": dict(sorted(engine_by_item.items(), key=lambda kv: -kv[1])),
        "channel_usd_by_item": dict(sorted(channel_by_item.items(), key=lambda kv: -kv[1])),
        "per_touch": {c: {"engine_usd": _price(v["engine_units"]), "channel_usd": _price(v["channel_units"]),
                          "aws_calls": v["aws_calls"], "units": v["engine_units"]} for c, v in channels.items()},
        "per_tracking_event_usd": _price(tracking["engine_units"]),
        "per_tracking_event_units": tracking["engine_units"],
        "fixed_per_stack_usd": fixed,
        "fixed_per_stack_total_usd": fixed_total,
        "emf_metrics_seen": metrics,
        "leads_for_fixed_under_1pct_of_channel": (math.ceil(fixed_total / (0.01 * per_lead_channel))
                                                  if per_lead_channel else None),
        "assumptions": dict(WORKLOAD, lambda_memory_gb=lambda_memory_gb(),
                            esm_idle_requests_per_queue_month=ESM_IDLE_REQUESTS_PER_QUEUE_MONTH),
        "prices": {k: {"usd": v["usd"], "unit": v["unit"], "source": v["source"]} for k, v in PRICES.items()},
    }
