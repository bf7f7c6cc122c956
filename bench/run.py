"""`make bench` (``python -m bench.run``): measure, print the table, write bench/results.json and
bench/README.md (bench/report.py).

The measurements run in their own fresh processes, so none sees another's caches or memory:
  bench.calls      AWS calls per touch (email, SMS, task, voice) and per tracking request, on moto
  bench.sweeps     items read by the nightly sweeps at N and 10N leads, on moto
  bench.burst      5,000 e-mail touches due in one minute against the team's send rate (memory store)
  bench.rss        peak RSS of a process that imports the app and delivers 10 touches (moto server apart)
  bench.coldstart  cold import of app.py against import boto3 + one client, interleaved
  bench.imports    a 20,000-row LOS export imported on moto: rows per second, AWS calls per row
  bench.first_request  a fresh process importing the app and serving one open-pixel request
                   (clients built, its SendMessage to a moto server), in the same rounds
  bench.texts      SMS segments per text and SMS cost per borrower-year, every text template rendered
calls, sweeps and burst run side by side; the RSS and the timing measurements run alone after them.
This process stays small on purpose: it is the parent of the RSS child (see bench.rss).

Environment knobs: BENCH_LEADS (email batch, default 120), BENCH_SWEEP_N (default 200),
BENCH_IMPORT_RUNS (default 15), BENCH_BURST (touches due at once, default 5000).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

from . import env

RESULTS = env.ROOT / "bench" / "results.json"

TARGETS = {  # key: (label, target text, predicate)
    "aws_calls_per_email_touch": ("AWS calls per email touch (schedule -> sent)", "<= 2.2", lambda v: v <= 2.2),
    "dynamodb_wru_per_email_touch": ("DynamoDB write units per email touch (schedule + deliver)", "<= 8",
                                     lambda v: v <= 8),
    "aws_calls_per_tracking_request": ("AWS calls per tracking request (pixel, click)", "1", lambda v: v == 1),
    "sweep_read_ratio_10x": ("sweep items read, 10N / N leads", "<= 1.1", lambda v: v <= 1.1),
    "import_ratio_vs_boto3": ("cold import app.py / (boto3 + 1 client)", "<= 1.3", lambda v: v <= 1.3),
    "first_request_ratio": ("first pixel request, fresh process / (boto3 + 1 client)", "<= 1.6",
                            lambda v: v <= 1.6),
    "burst": ("5,000 e-mails due in one minute: peak sends/s vs limit", "peak <= limit, all sent once",
              lambda b: b["peak_per_second"] <= b["limit_per_second"] and b["sent"] == b["touches"]
              and b["duplicates"] == 0),
    "dispatch_peak_rss_mb": ("peak RSS, import + deliver 10 touches (MB)", "<= 128", lambda v: v <= 128),
    "engine_cost_share_of_channel": ("engine cost / channel cost, per 1000 leads", "< 1%", lambda v: v < 0.01),
    "import_calls_per_row": ("AWS calls per imported row (20,000-row export)", "<= 0.5", lambda v: v <= 0.5),
    "sms_segments_per_text": ("SMS segments per text: mean (share over one)", "<= 1.2", lambda v: v["mean"] <= 1.2),
}


def _met(key: str, value) -> bool | None:
    """Whether ``value`` meets its target; None when it is missing or not what the target reads."""
    if value is None:
        return None
    try:
        return bool(TARGETS[key][2](value))
    except (TypeError, KeyError):
        return None


def _child(module: str) -> subprocess.Popen:
    out = tempfile.NamedTemporaryFile(prefix=f"bench-{module.rsplit('.', 1)[-1]}-", suffix=".json", delete=False)
    out.close()
    proc = subprocess.Popen([sys.executable, "-m", module, out.name], cwd=env.ROOT, env=env.environ(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.out_path = out.name  # type: ignore[attr-defined]
    return proc


def _collect(proc: subprocess.Popen, name: str, timeout: float = 900) -> dict:   # a shared machine is slow
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError(f"{name}: timed out after {timeout:.0f} s")
    path = proc.out_path  # type: ignore[attr-defined]
    try:
        if proc.returncode != 0:
            raise RuntimeError(f"{name} failed (exit {proc.returncode}):\n{stderr[-3000:]}")
        with open(path) as fh:
            return json.load(fh)
    finally:
        os.unlink(path)


def _git() -> dict:
    def run(*args):
        try:
            return subprocess.run(["git", *args], check=False, cwd=env.ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"commit": run("rev-parse", "--short", "HEAD"), "dirty": bool(run("status", "--porcelain"))}


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("moto", "boto3", "pynamodb"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


# -- figures from the raw measurements -----------------------------------------------------

def _per_op(calls_result: dict, phases: tuple[str, ...], n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for p, service, op, count in calls_result["calls"]:
        if p in phases:
            out[f"{service}.{op}"] = out.get(f"{service}.{op}", 0) + count / n
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _email_figures(c: dict) -> dict:
    n = c["rounds"]["email"]["scheduled"]["queued"]
    sent = c["touch_statuses"].get("email:sent", 0)
    schedule = _per_op(c, ("email.schedule",), n)
    deliver = _per_op(c, ("email.deliver",), n)
    esm = _per_op(c, ("email.esm",), n)
    dynamodb = sum(v for k, v in {**schedule, **deliver}.items() if k.startswith("dynamodb."))
    if n < 100 or sent < n:
        raise RuntimeError(f"email batch too small or not all sent: queued {n}, sent {sent}")
    if dynamodb == 0:
        raise RuntimeError("no DynamoDB call was counted: the botocore hook missed PynamoDB's client")
    wru = {stage: (c["units"].get(f"email.{stage}") or {}) for stage in ("schedule", "deliver")}
    wru_by_op = {stage: {op: {label: v / n for label, v in labels.items()}
                         for op, labels in (u.get("wru_by_operation") or {}).items()} for stage, u in wru.items()}
    wru_by_target: dict[str, float] = {}
    for labels in (lab for ops in wru_by_op.values() for lab in ops.values()):
        for label, v in labels.items():
            wru_by_target[label] = wru_by_target.get(label, 0.0) + v
    out = {
        "aws_calls_per_email_touch": sum(schedule.values()) + sum(deliver.values()),
        "dynamodb_wru_per_email_touch": sum(u.get("wru", 0) for u in wru.values()) / n,
        # where the units go: stage -> operation -> table or "table/index" -> units per touch
        "email_wru_by_operation": wru_by_op,
        "email_wru_by_table_and_index": dict(sorted(wru_by_target.items(), key=lambda kv: -kv[1])),
        "email_writes_failed_conditions": {stage: u.get("writes_failed") for stage, u in wru.items()},
        # after the run (leads, their enrollments and 4 touches each, tracking events): storage and item sizes
        "dynamodb_item_sizes": c.get("item_sizes"),
        "email_touches": n,
        "email_calls_by_operation": {"schedule": schedule, "deliver": deliver},
        "email_calls_per_touch_schedule": sum(schedule.values()),
        "email_calls_per_touch_deliver": sum(deliver.values()),
        "email_calls_per_touch_lambda_event_source": sum(esm.values()),
        # events the deliveries themselves queued, evaluated in the same drain (not part of the figure)
        "email_followup_event_calls_per_touch": _per_op(c, ("email.evaluate",), n),
        "email_lambda_event_source_by_operation": esm,
        "email_dynamodb_units_per_touch": {
            stage: {"wru_by_table": {t: v / n for t, v in (c["units"].get(f"email.{stage}") or {}).get("wru_by_table", {}).items()},
                    "rru_by_table": {t: v / n for t, v in (c["units"].get(f"email.{stage}") or {}).get("rru_by_table", {}).items()}}
            for stage in ("schedule", "deliver")},
        "tracking_event_dynamodb_units": {k: v / max(1, c["tracking"]["events_evaluated"])
                                          for k, v in (c["units"].get("tracking.evaluate") or {}).get("wru_by_table", {}).items()},
    }
    for channel in ("sms", "task"):
        m = c["rounds"][channel]["scheduled"]["queued"]
        if m:
            ops = {"schedule": _per_op(c, (f"{channel}.schedule",), m), "deliver": _per_op(c, (f"{channel}.deliver",), m)}
            out[f"aws_calls_per_{channel}_touch"] = sum(sum(v.values()) for v in ops.values())
            out[f"{channel}_calls_by_operation"] = ops
    v = c["voice"]["touches"]
    if v:
        deliver_v = _per_op(c, ("voice.deliver",), v)
        out["aws_calls_per_voice_touch"] = sum(schedule.values()) + sum(deliver_v.values())
        out["voice_calls_by_operation"] = {"schedule (as email)": schedule, "deliver": deliver_v}
    return out


def _program_figures(c: dict) -> dict:
    """A year-round program's e-mail a year in (bench/calls.py _program): what its larger
    enrollment costs against the lead-nurture e-mail above."""
    n = c["rounds"]["program"]["scheduled"]["queued"]
    if n < 100:
        raise RuntimeError(f"program round too small: queued {n}")
    units = {stage: (c["units"].get(f"program.{stage}") or {}) for stage in ("schedule", "deliver")}
    wru_by_target: dict[str, float] = {}
    for u in units.values():
        for labels in (u.get("wru_by_operation") or {}).values():
            for label, v in labels.items():
                wru_by_target[label] = wru_by_target.get(label, 0.0) + v / n
    calls = {**_per_op(c, ("program.schedule",), n), **{f"deliver:{k}": v for k, v in
                                                        _per_op(c, ("program.deliver",), n).items()}}
    return {"dynamodb_wru_per_program_touch": sum(u.get("wru", 0) for u in units.values()) / n,
            "aws_calls_per_program_touch": sum(calls.values()),
            "program_wru_by_table_and_index": dict(sorted(wru_by_target.items(), key=lambda kv: -kv[1])),
            "program_touches": n, "program_history_items": c["rounds"]["program"]["history_items"]}


def _tracking_figures(c: dict) -> dict:
    req = c["tracking"]["requests"]
    opens = _per_op(c, ("tracking.open",), req["open"])
    clicks = _per_op(c, ("tracking.click",), req["click"])
    events = c["tracking"]["events_evaluated"] or 1
    total = sum(opens.values()) * req["open"] + sum(clicks.values()) * req["click"]
    return {
        "aws_calls_per_tracking_request": total / (req["open"] + req["click"]),
        "tracking_calls_by_operation": {"open": opens, "click": clicks},
        "tracking_status_codes": c["tracking"]["status_codes"],
        "tracking_event_evaluation_calls_per_event": _per_op(c, ("tracking.evaluate",), events),
    }


def _cost_figures(c: dict) -> dict:
    from .costs import monthly

    m = monthly(c)
    return {
        "engine_cost_per_1000_leads_month_usd": m["engine_usd"],
        "channel_cost_per_1000_leads_month_usd": m["channel_usd"],
        "engine_cost_share_of_channel": m["engine_share_of_channel"],
        "engine_fixed_cost_per_stack_month_usd": m["fixed_per_stack_total_usd"],
        "cost_breakdown": {**m, "sms_sample": c.get("sms_sample")},
    }


# -- the table -------------------------------------------------------------------------------

def _fmt(key: str, value) -> str:
    if value is None:
        return "error"
    if key == "engine_cost_share_of_channel":
        return f"{100 * value:.2f}%"
    if key == "burst":
        return (f"{value['peak_per_second']}/s of {value['limit_per_second']}/s, sent {value['sent']}/{value['touches']}, "
                f"{value['duplicates']} dup, {value['minutes_to_drain']} min")
    if key == "sms_segments_per_text":
        return f"{value['mean']:.2f} ({100 * value['share_over_one']:.1f}% over one)"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.4f}"
    return str(value)


def table(results: dict) -> str:
    rows = [("figure", "measured", "target", "met?")]
    for key, (label, target, _) in TARGETS.items():
        value = results.get(key)
        met = {None: "-", True: "yes", False: "NO"}[_met(key, value)]
        rows.append((label, _fmt(key, value), target, met))
    extra = [
        ("  engine cost per 1000 leads / month (USD)", results.get("engine_cost_per_1000_leads_month_usd")),
        ("  channel cost per 1000 leads / month (USD)", results.get("channel_cost_per_1000_leads_month_usd")),
        ("  engine fixed cost per team stack / month (USD)", results.get("engine_fixed_cost_per_stack_month_usd")),
        ("  cold import ratio, wall clock (CPU time above)", (results.get("cold_import") or {}).get("ratio_wall")),
        ("  first request ratio, wall clock (CPU time above)", (results.get("first_request") or {}).get("ratio_wall")),
        ("  DynamoDB write units per program e-mail, a year in", results.get("dynamodb_wru_per_program_touch")),
        ("  AWS calls per program e-mail, a year in", results.get("aws_calls_per_program_touch")),
        ("  AWS calls per SMS touch", results.get("aws_calls_per_sms_touch")),
        ("  AWS calls per task touch", results.get("aws_calls_per_task_touch")),
        ("  AWS calls per voice touch", results.get("aws_calls_per_voice_touch")),
        ("  Lambda event source calls per email touch (not ours)", results.get("email_calls_per_touch_lambda_event_source")),
        ("  rows imported per second, 20,000-row export on the stand-in", results.get("import_rows_per_second")),
        ("  SMS cost per borrower-year (USD)", results.get("sms_cost_per_borrower_year_usd")),
    ]
    for label, value in extra:
        if value is not None:
            rows.append((label, f"{value:.2f}" if isinstance(value, float) else str(value), "", "info"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def details(results: dict) -> str:
    out = []
    ops = results.get("email_calls_by_operation")
    if ops:
        out.append("Per email touch, by operation:")
        for stage, items in ops.items():
            out.append(f"  {stage:9s} " + ", ".join(f"{k} {v:.2f}" for k, v in items.items()))
    by_target = results.get("email_wru_by_table_and_index")
    if by_target:
        out.append("DynamoDB write units per email touch, by table/index: "
                   + ", ".join(f"{k} {v:.2f}" for k, v in by_target.items()))
    cb = (results.get("cost_breakdown") or {})
    if cb:
        top = list(cb["engine_usd_by_item"].items())[:4]
        out.append("Engine cost per 1000 leads, largest items: " + ", ".join(f"{k} ${v:.3f}" for k, v in top))
        out.append("Fixed per stack: " + ", ".join(f"{k} ${v:.2f}" for k, v in cb["fixed_per_stack_usd"].items() if v >= 0.005))
    b = results.get("burst_details")
    if b:
        out.append(f"Burst: {b['pacing']}; sends by minute {b['sends_by_minute']}; busiest minute / 60 = "
                   f"{b['peak_per_second_minute_average']:.1f}/s; transactional last sent at second "
                   f"{b['transactional']['last_sent_second']}; in-memory due paging {b['memory_due_paging'].split(':')[0]}; "
                   f"{b['wall_seconds']['run']} s")
    if results.get("sweep_source"):
        d = results["sweep_details"]
        out.append(f"Sweeps measured through {results['sweep_source']}: items read by table at "
                   f"{d['small']['leads']} leads {d['small'].get('items_read_by_table')}, at {d['large']['leads']} "
                   f"{d['large'].get('items_read_by_table')}; calls {d['large']['calls']}")
    sample = ((results.get("cost_breakdown") or {}).get("sms_sample") or {}).get("sms.deliver")
    if sample:
        out.append(f"SMS sent: {sample['characters']} characters, {'GSM-7' if sample['gsm7'] else 'UCS-2'}, "
                   f"{sample['parts']} billed part(s) each")
    for name, err in (results.get("errors") or {}).items():
        out.append(f"ERROR in {name}: {err.splitlines()[0] if err else err}")
    return "\n".join(out)


def main() -> int:
    started = time.perf_counter()
    results: dict = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "command": "make bench  (python -m bench.run)", "python": platform.python_version(),
                     "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "git": _git(),
                     "versions": _versions()}
    errors: dict[str, str] = {}
    raw: dict = {}

    print("bench: calls per touch and sweep reads (moto), the burst (memory store): three processes...",
          file=sys.stderr, flush=True)
    children = {name: _child(f"bench.{name}") for name in ("calls", "sweeps", "burst")}
    for name, proc in children.items():
        try:
            raw[name] = _collect(proc, name)
        except Exception as exc:
            errors[name] = str(exc)

    if "calls" in raw:
        for name, fn in (("email", _email_figures), ("program", _program_figures), ("tracking", _tracking_figures),
                         ("cost", _cost_figures)):
            try:
                results.update(fn(raw["calls"]))
            except Exception as exc:
                errors[f"calls:{name}"] = f"{type(exc).__name__}: {exc}"
    if "burst" in raw:
        b = raw["burst"]
        results["burst"] = {k: b[k] for k in ("touches", "limit_per_second", "peak_per_second", "sent", "duplicates",
                                              "minutes_to_drain")}
        results["burst_details"] = b
    if "sweeps" in raw:
        s = raw["sweeps"]
        results.update(sweep_read_ratio_10x=s["ratio"], sweep_source=s["small"]["source"],
                       sweep_items_read={"n": s["small"]["leads"], "items_read_n": s["small"]["items_read"],
                                         "10n": s["large"]["leads"], "items_read_10n": s["large"]["items_read"],
                                         "matching_leads": s["small"]["matching"]},
                       sweep_details=s)
        for size in ("small", "large"):
            if s[size].get("errors"):
                errors[f"sweeps:{size}"] = json.dumps(s[size]["errors"])

    print("bench: a 20,000-row LOS export imported (moto)...", file=sys.stderr, flush=True)
    try:  # bench/imports.py
        imp = _collect(_child("bench.imports"), "imports", timeout=900)
        results.update(import_calls_per_row=imp["import_calls_per_row"], import_rows_per_second=imp["rows_per_second"],
                       import_details=imp)
    except Exception as exc:
        errors["imports"] = str(exc)

    print("bench: dispatch memory (moto server in its own process)...", file=sys.stderr, flush=True)
    try:
        from . import rss

        r = rss.measure()
        results.update(dispatch_peak_rss_mb=r["peak_mb"], dispatch_rss=r)
        if r.get("sent") != r.get("touches"):
            errors["rss"] = f"only {r.get('sent')} of {r.get('touches')} touches were sent"
    except Exception as exc:
        errors["rss"] = f"{type(exc).__name__}: {exc}"

    print("bench: segments per text, every text template rendered...", file=sys.stderr, flush=True)
    try:  # bench/texts.py
        results.update(_collect(_child("bench.texts"), "texts", timeout=300))
    except Exception as exc:
        errors["texts"] = str(exc)

    runs = max(15, int(os.environ.get("BENCH_IMPORT_RUNS", "15")))
    print(f"bench: cold import and first pixel request, {runs} interleaved runs each...", file=sys.stderr, flush=True)
    try:
        from . import first_request

        cs = first_request.measure(runs)
        fr = cs.pop("first_request")
        results.update(import_ratio_vs_boto3=cs["ratio"], cold_import=cs, first_request_ratio=fr["ratio"],
                       first_request=fr)
    except Exception as exc:
        errors["first_request"] = f"{type(exc).__name__}: {exc}"
        try:   # the cold import figure does not need the stand-in
            from . import coldstart

            cs = coldstart.measure(runs)
            results.update(import_ratio_vs_boto3=cs["ratio"], cold_import=cs)
        except Exception as exc2:
            errors["coldstart"] = f"{type(exc2).__name__}: {exc2}"

    results["targets"] = {k: {"target": t, "met": _met(k, results.get(k))} for k, (_, t, _) in TARGETS.items()}
    results["errors"] = errors or None
    results["seconds"] = round(time.perf_counter() - started, 1)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str) + "\n")
    tmp.replace(RESULTS)

    print()
    print(table(results))
    print()
    print(details(results))
    from . import report

    page = report.write(results)
    print(f"\nwrote {RESULTS.relative_to(env.ROOT)} and {page.relative_to(env.ROOT)} in {results['seconds']} s")
    print(report.runtime_line(), flush=True)  # by today's date: a warning half a year ahead
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
