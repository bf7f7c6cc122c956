"""A 20,000-row LOS export imported on the stand-in: rows per second and AWS calls per row.

Run as ``python -m bench.imports OUT.json`` (bench.run does), or call ``measure()`` in a fresh
process (it must install the call counter before chalicelib is imported). In-process moto
(``mock_aws``) with the tables and queues of ``infra/template.json``.

What runs, as it would in AWS: ``POST /imports`` through ``chalice.test.Client`` (the file
stored in compressed pieces, the plan queued), then the events queue fed to the
``evaluate_events`` handler in Lambda-shaped batches of 10 until it is empty: the plan, then
every chunk of 100 borrowers. ``import_calls_per_row`` counts every call the API and the
handlers make (boto3 and PynamoDB, botocore's own hook) per row of the file; the event source
mapping's ReceiveMessage and DeleteMessageBatch are Lambda's, counted apart.

The export is synthetic and as messy as a real one (formats vary row by row, 5% of rows repeat
a borrower, 2% have no reachable contact, a share of past clients opted in to texts). The
leads table starts empty, as on a team's first day.

The stand-in, not the engine: moto's TransactWriteItems deep-copies every table an action
touches, once per action, to roll back on failure; with 20,000 leads that is minutes of copying
per transaction. The bench replaces that copy with the table itself (no rollback: no
transaction here is refused, and the counts below are checked exactly). Rows per second is then
the engine's work plus moto's own (wall clock, so a busy machine shows; ``rows_per_cpu_second``
beside it); on DynamoDB the calls are what bound it.
"""
from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone

from . import env

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "20000"))
START = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
FIRST = ["Maria", "James", "Wei", "Priya", "Omar", "Grace", "Tom", "Nina", "Kate", "Daniel", "Lisa", "Hank",
         "Ana", "Robert", "Sofia", "Liam", "Aisha", "Carlos", "Emma", "Noah"]
LAST = ["Lopez", "O'Brien", "Chen", "Patel", "Haddad", "Hopper", "Rivera", "Brooks", "Walsh", "Kim", "Park", "Moss"]
STATES = ["TX", "Texas", "tx", "CA", "California", "FL", "fl", "New York", "GA", "AZ"]
MILESTONES = ["Completion", "Funding", "Post Closing", "Processing", "Cond. Approval", "Clear to Close", "Started",
              "Submittal", ""]
HEADER = ["Loan Number", "Borrower First Name", "BORROWER LAST NAME", "Borrower Email", "Borrower Cell Phone",
          "Borrower Home Phone", "Borrower DOB", "Subject Property State", "Subject Property Zip", "Loan Type",
          "Loan Purpose", "Loan Amount", "Note Rate", "Loan Term", "Funding Date", "Appraised Value",
          "Current Milestone", "Buyer's Agent Name", "Buyer Agent Email", "SMS Opt-In", "SMS Opt-In Date"]


def _phone(n: int, style: int) -> str:
    area, line = ("512", "737", "214", "305", "602")[n % 5], f"{n % 10000:04d}"
    exchange = f"{200 + (n // 10000) % 700:03d}"
    return [f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}", f"+1 {area} {exchange} {line}",
            f"{area}{exchange}{line}", f"1-{area}-{exchange}-{line}"][style % 5]


def _date(d: date, style: int) -> str:
    return [d.strftime("%m/%d/%Y"), d.isoformat(), f"{d.month}/{d.day}/{d.year % 100:02d}", d.strftime("%b %d, %Y"),
            d.strftime("%Y-%m-%d 00:00:00")][style % 5]


def export(rows: int, seed: int = 7) -> bytes:
    """A messy export of ``rows`` rows (CSV bytes)."""
    import csv
    import io

    rnd = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Pipeline Report"])
    writer.writerow(HEADER)
    people: list[list[str]] = []
    for i in range(rows):
        if people and rnd.random() < 0.05:       # the same borrower again (an earlier or later loan)
            row = list(rnd.choice(people))
            row[0] = f"LN-{900000 + i}"
            row[14] = _date(START.date() - timedelta(days=rnd.randint(400, 4000)), i)
            writer.writerow(row)
            continue
        s = rnd.randint(0, 99)
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        email = f" {first}.{last.replace(chr(39), '')}{i}@Example.COM " if s % 3 else f"{first.lower()}{i}@example.com"
        cell = _phone(i, s) if s % 4 else ""
        if rnd.random() < 0.02:
            email, cell = f"{first}{i}@", "555-0100"      # nobody to reach
        milestone = rnd.choice(MILESTONES)
        funded = START.date() - timedelta(days=rnd.randint(10, 3650))
        funding = _date(funded, s) if milestone in ("Completion", "Funding", "Post Closing", "") else ""
        opted = rnd.random() < 0.3
        row = [f"LN-{100000 + i}" if s % 7 else f" ln-{100000 + i} ", first.upper() if s % 11 == 0 else first,
               last, email, cell, _phone(i + 7, s + 1) if not cell else "",
               _date(date(1950 + s % 50, 1 + s % 12, 1 + s % 28), s + 2), rnd.choice(STATES), f"{(i * 37) % 99999:05d}",
               rnd.choice(["Conventional", "Conv", "FHA", "VA", "FarmersHomeAdministration"]),
               rnd.choice(["Purchase", "Cash-Out Refinance", "NoCash-Out Refinance"]),
               rnd.choice([f"${200000 + s * 1000:,}.00", str(200000 + s * 1000), f"{200 + s}K"]),
               rnd.choice([f"{5 + s / 40:.3f}%", f"{5 + s / 40:.3f}", f"{(5 + s / 40) / 100:.5f}"]),
               rnd.choice(["360", "30 yrs", "180", "15 Years"]), funding, f"${300000 + s * 1500:,}",
               milestone, "Sam Agent" if s % 5 == 0 else "", "sam@realty.example" if s % 5 == 0 else "",
               "Y" if opted else rnd.choice(["", "N"]), _date(funded - timedelta(days=30), s) if opted else ""]
        people.append(row)
        writer.writerow(row)
    return out.getvalue().encode()


def _no_rollback_copies() -> None:
    """See the module docstring: moto's per-action deep copy of whole tables, made a no-op."""
    import copy as std_copy
    import types

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.table import Table

    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else std_copy.deepcopy(value, memo)

    dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=std_copy.copy)


def measure(rows: int = ROWS) -> dict:
    """Import a ``rows``-row export on moto; {"rows", "seconds", "rows_per_second", "import_calls_per_row", ...}."""
    env.apply()
    from .counting import CallLog

    log = CallLog().install()
    from moto import mock_aws

    _no_rollback_copies()
    with mock_aws():
        return _run(log, rows)


def _run(log, rows: int) -> dict:
    from chalice.test import Client

    from app import app
    from chalicelib.api import workers
    from chalicelib.aws import client
    from chalicelib.clock import clock
    from chalicelib.config import settings
    from chalicelib.local import runtime
    from chalicelib.local.stack import create_resources
    from chalicelib.store.models import LeadModel

    create_resources()
    clock.start_at(START)
    data = export(rows)
    sqs, url = client("sqs"), settings().events_queue_url
    started, cpu = time.perf_counter(), time.process_time()
    with Client(app) as api:
        with log.phase("post"):
            resp = api.http.post("/imports?file=bench.csv", body=data,
                                 headers={"Authorization": "Bearer bench-token", "Content-Type": "text/csv"})
        if resp.status_code != 202:
            raise RuntimeError(f"POST /imports: {resp.status_code} {resp.body[:500]!r}")
        import_id = json.loads(resp.body)["import_id"]
        posted = time.perf_counter()
        batches = 0
        while True:
            with log.phase("esm"):
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                               MessageAttributeNames=["All"]).get("Messages", [])
            if not messages:
                break
            with log.phase("import"):
                result = workers.evaluate_events(runtime._sqs_event(url, messages), runtime._Context()) or {}
            if result.get("batchItemFailures"):
                raise RuntimeError(f"the events consumer failed {result['batchItemFailures']}")
            with log.phase("esm"):
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
            batches += 1
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        report = json.loads(api.http.get(f"/imports/{import_id}", headers={"Authorization": "Bearer bench-token"}).body)
    leads = sum(1 for _ in LeadModel.scan(LeadModel.doc.exists()))  # records, not the bookkeeping items
    if report["status"] != "done" or report["created"] != leads or \
            report["rows"] != report["created"] + report["duplicates"] + len(report["rejected"]):
        raise RuntimeError(f"the import does not add up: {leads} leads, report "
                           f"{ {k: v for k, v in report.items() if k not in ('rejected', 'warnings')} }")
    ours = log.by_operation("post", "import")
    calls = sum(ours.values())
    return {
        "rows": report["rows"], "seconds": round(seconds, 2), "rows_per_second": round(report["rows"] / seconds, 1),
        "import_calls_per_row": round(calls / report["rows"], 4),
        "cpu_seconds": round(cpu_seconds, 2), "rows_per_cpu_second": round(report["rows"] / cpu_seconds, 1),
        "post_seconds": round(posted - started, 2), "bytes": len(data), "event_batches": batches,
        "report": {k: (len(v) if isinstance(v, list) else v) for k, v in report.items()
                   if k in ("created", "updated", "unchanged", "duplicates", "rejected", "warnings")},
        "calls_by_operation": ours, "calls_per_row_by_phase": {
            p: round(sum(log.by_operation(p).values()) / report["rows"], 4) for p in ("post", "import")},
        "lambda_event_source_calls_per_row": round(sum(log.by_operation("esm").values()) / report["rows"], 4),
        "dynamodb_units_per_row": {k: round(v / report["rows"], 3) for k, v in log.units("post", "import").items()
                                   if k in ("rru", "wru")},
        "dynamodb_write_units_per_row_by_table": {
            t: round(v / report["rows"], 3) for t, v in log.units("post", "import")["wru_by_table"].items()},
        "stand_in": "moto, TransactWriteItems rollback copies off (see bench/imports.py)",
    }


def main(out_path: str) -> None:
    result = measure()
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=1, default=str)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        print(json.dumps(measure(), indent=1, default=str))
