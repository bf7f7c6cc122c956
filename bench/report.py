"""bench/README.md, written from the measured figures.

`make bench` (bench/run.py) writes it after every run from ``bench/results.json`` (and
``sim/results.json`` for the sizing table, when present); ``python -m bench.report`` rewrites it
from the last results without measuring again. Edit the words here, never the page.
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
PAGE = ROOT / "bench" / "README.md"

HEAD = """# Measured figures

<!-- Written by `make bench` (bench/report.py) from bench/results.json: edit bench/report.py, not this page. -->

`make bench` (about 4 minutes on a 2-core machine) measures the engine in fresh processes, on the
AWS stand-in (moto) or on in-memory stand-ins, prints the table, writes every figure with its
breakdown to `bench/results.json`, and writes this page from it (`python -m bench.report` rewrites
the page from the last results without measuring). Tests never assert on these figures: they are
measured, each against the target it was built for.

| module | what it measures |
| --- | --- |
| `bench/calls.py` | AWS calls and DynamoDB units per touch (e-mail, SMS, task, voice), per tracking request, and a year-round program's e-mail a year in |
| `bench/sweeps.py` | items the nightly sweeps read at N and 10N leads |
| `bench/burst.py` | 5,000 e-mails due in one minute against the team's send rate |
| `bench/rss.py` | peak memory of a process that imports the app and delivers 10 touches |
| `bench/coldstart.py`, `bench/first_request.py` | cold import of `app.py`, and a fresh process's first pixel request, against `import boto3` + one client |
| `bench/imports.py` | a 20,000-row LOS export imported through the API |
| `bench/texts.py` | SMS segments per text (every text template, as carriers bill them) and SMS cost per borrower-year |
| `bench/costs.py`, `bench/prices.py` | monthly cost from the measured units and AWS list prices (sources in `prices.py`) |
| `bench/sizing.py` | the sizing table below (`python -m bench.sizing`) |

Knobs: `BENCH_LEADS` (e-mail batch, 120), `BENCH_SWEEP_N` (200), `BENCH_IMPORT_RUNS` (15),
`BENCH_BURST` (5000)."""

COUNTING = """## How they are counted

AWS calls are counted by a botocore hook on every client (boto3 and PynamoDB). DynamoDB write
units are computed from DynamoDB's billing rules around each write on moto (`bench/wru.py`: item
sizes, 1 KB units, twice in a transaction, every index by its projection). Lambda's own SQS polling
is reported apart: it is not the engine's call.

An e-mail touch is scheduled by the minute scheduler (a page of the due index, one `BatchGetItem` of
the leads, one transaction per ~40 leads updating each lead's plan, one `SendMessageBatch` per
hundred touches, ten touches to a message) and delivered by `deliver_touch` (the claim, a
conditional write; `SendEmail`; shares of one `BatchGetItem` and of the `BatchWriteItem` of "sent"
records). A lead's running enrollments are packed on its bookkeeping item (`chalicelib/store/`), so a
touch moves one item and its due-index entry. The bench's touches go out in one scheduler run, which
shares the run's counter writes between them."""


def _load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _md_table(rows: list[tuple[str, ...]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def figures(results: dict) -> str:
    from .run import TARGETS, _fmt, _met

    rows = [("figure", "measured", "target", "met?")]
    for key, (label, target, _) in TARGETS.items():
        met = {None: "-", True: "yes", False: "**no**"}[_met(key, results.get(key))]
        rows.append((label, _fmt(key, results.get(key)), target.replace("|", "/"), met))
    info = [
        ("engine cost per 1,000 leads a month (USD)", results.get("engine_cost_per_1000_leads_month_usd")),
        ("channel cost per 1,000 leads a month (USD)", results.get("channel_cost_per_1000_leads_month_usd")),
        ("engine fixed cost per team stack a month (USD)", results.get("engine_fixed_cost_per_stack_month_usd")),
        ("DynamoDB write units per program e-mail, a year in", results.get("dynamodb_wru_per_program_touch")),
        ("AWS calls per program e-mail, a year in", results.get("aws_calls_per_program_touch")),
        ("AWS calls per SMS / task / voice touch", " / ".join(
            f"{results[k]:.2f}" for k in ("aws_calls_per_sms_touch", "aws_calls_per_task_touch",
                                           "aws_calls_per_voice_touch") if results.get(k) is not None) or None),
        ("Lambda's SQS polling per e-mail touch (not the engine's)",
         results.get("email_calls_per_touch_lambda_event_source")),
        ("rows imported per second, 20,000-row export on the stand-in", results.get("import_rows_per_second")),
        ("SMS cost per borrower-year at 20 texts (USD)", results.get("sms_cost_per_borrower_year_usd")),
    ]
    for label, value in info:
        if value is not None:
            rows.append((label, f"{value:.2f}" if isinstance(value, float) else str(value), "", "info"))
    return _md_table(rows)


def breakdown(results: dict) -> str:
    out = []
    ops = results.get("email_calls_by_operation") or {}
    for stage, items in ops.items():
        out.append(f"- calls per e-mail touch, {stage}: "
                   + ", ".join(f"`{k}` {v:.3f}" for k, v in items.items()))
    wru = results.get("email_wru_by_table_and_index")
    if wru:
        out.append("- write units per e-mail touch, by table/index: "
                   + ", ".join(f"`{k}` {v:.2f}" for k, v in wru.items()))
    s = results.get("sweep_items_read")
    if s:
        out.append(f"- nightly sweeps: {s['items_read_n']} items read at {s['n']:,} leads, "
                   f"{s['items_read_10n']} at {s['10n']:,} (they read what matches, not the book)")
    b = results.get("burst")
    if b:
        out.append(f"- burst: {b['touches']:,} e-mails due in one minute at {b['limit_per_second']}/s: peak "
                   f"{b['peak_per_second']}/s, {b['sent']:,} sent, {b['duplicates']} duplicates, "
                   f"{b['minutes_to_drain']} minutes to drain")
    errors = results.get("errors") or {}
    for name, err in errors.items():
        out.append(f"- **error in {name}**: {str(err).splitlines()[0] if err else err}")
    return "\n".join(out)


def runtime_line(on: date | None = None) -> str:
    sys.path.insert(0, str(ROOT / "infra"))
    try:
        import runtime  # infra/runtime.py

        return runtime.status(on=on).message()
    except Exception as exc:  # cfn-lint missing or its table changed: say so, do not fail the page
        return f"Lambda runtime: not checked ({type(exc).__name__}: {exc})"
    finally:
        sys.path.remove(str(ROOT / "infra"))


def render(results: dict, sim: dict | None = None) -> str:
    from . import sizing

    machine = results.get("machine") or {}
    measured = str(results.get("measured_at", "?"))
    parts = [
        HEAD,
        f"## The figures\n\nMeasured {measured[:10]} on Python {results.get('python', '?')}, "
        f"{machine.get('cpus', '?')} CPUs"
        + "".join(f", {k} {v}" for k, v in (results.get("versions") or {}).items())
        + f", in {results.get('seconds', '?')} s.\n\n{figures(results)}"
        f"\n\n{breakdown(results)}",
        COUNTING,
    ]
    if "cost_breakdown" in results:
        parts.append("## Sizing a team stack\n\nFrom the measured figures (`python -m bench.sizing` prints the "
                     "table); what is assumed rather than measured is named under it.\n\n"
                     + sizing.table(results, sim) + "\n\n" + sizing.notes(results, sim))
    try:
        on = date.fromisoformat(measured[:10])
    except ValueError:
        on = None
    parts.append("## Lambda runtime\n\n" + runtime_line(on) + " (`make check-runtime` tells it by today's date; "
                 "policy in [docs/operations.md](../docs/operations.md#lambda-runtime)).")
    parts.append("## A simulated year\n\n`make simulate` runs the real engine for a year of synthetic borrowers "
                 "and audits every send: see [sim/README.md](../sim/README.md).")
    return "\n\n".join(parts) + "\n"


def write(results: dict | None = None) -> Path:
    results = results if results is not None else _load(RESULTS)
    if not results:
        raise SystemExit("bench/results.json is missing: run `make bench` first")
    PAGE.write_text(render(results, _load(ROOT / "sim" / "results.json")))
    return PAGE


def main() -> int:
    print(write().relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
