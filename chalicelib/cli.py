"""Commands for people, against a stack's API (import) or its tables (recount-book).

    python -m chalicelib.cli import FILE [--api URL] [--token T] [--mapping JSON|@file.json] [--json]
    make import FILE=export.csv [API=https://... TOKEN=...]
    python -m chalicelib.cli recount-book --stage TEAM     (make recount-book STAGE=<team>; AWS credentials)

``recount-book`` sets the mass-send breaker's book counter to the leads the team has, counted
from the leads table's by_stage index (a COUNT Query per stage, no Scan): for an operator who
wants the counter checked against the leads (the counter itself moves with every create).

``import`` sends an LOS or CRM export to ``POST /imports``, follows ``GET /imports/{id}`` with a
progress bar (on a terminal only) and prints the report: the counts, every rejected row with its
reason, and the warnings (``--json`` prints the report as the API returns it). The API defaults
to the local stack (``make run``) and its token. Exit status: 0 done, 1 failed, 2 refused (400),
3 still running at ``--timeout``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

SHOWN = 50  # rejected rows and warnings printed before "and N more"


def _call(method: str, url: str, token: str, data: bytes | None = None, content_type: str | None = None):
    request = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"Bearer {token}"})
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {"error": exc.reason}


def _mapping(raw: str | None) -> str | None:
    if not raw:
        return None
    text = Path(raw[1:]).read_text() if raw.startswith("@") else raw
    json.loads(text)  # a typo fails here, not as a 400 later
    return text


def _bar(total: int):
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # a deployed package has no tqdm: the report still comes
        return None
    return tqdm(total=total, unit="row", desc="importing", file=sys.stderr)


def render(report: dict) -> str:
    """The report for a person: counts, then rejected rows and warnings, row by row."""
    lines = [f"{report.get('file')}: {report['rows']} rows -> {report['created']} created, {report['updated']} updated, "
             f"{report.get('unchanged', 0)} unchanged, {report['duplicates']} duplicates, "
             f"{len(report['rejected'])} rejected, {len(report['warnings'])} warnings ({report['status']})"]
    if report.get("ignored_columns"):
        lines.append("Columns not imported: " + ", ".join(report["ignored_columns"]))
    for title, items, show in (("Rejected rows", report["rejected"], lambda r: r["reason"]),
                               ("Warnings", report["warnings"], lambda w: f"{w['field']}: {w['reason']}")):
        if not items:
            continue
        lines.append(f"{title}:")
        lines += [f"  row {item['row']:>6}  {show(item)}" for item in items[:SHOWN]]
        if len(items) > SHOWN:
            lines.append(f"  ... and {len(items) - SHOWN} more (--json prints them all)")
    if len(report["warnings"]) > SHOWN:
        common = Counter(w["field"] for w in report["warnings"]).most_common(5)
        lines.append("Most warned columns: " + ", ".join(f"{f} ({n})" for f, n in common))
    return "\n".join(lines)


def import_file(args) -> int:
    path = Path(args.file)
    query = {"file": path.name}
    mapping = _mapping(args.mapping)
    if mapping:
        query["mapping"] = mapping
    api = args.api.rstrip("/")
    status, out = _call("POST", f"{api}/imports?{urllib.parse.urlencode(query)}", args.token, path.read_bytes(),
                        "text/csv")
    if status != 202:
        print(f"refused ({status}): {json.dumps(out.get('fields') or out, indent=1)}", file=sys.stderr)
        return 2
    import_id = out["import_id"]
    print(f"import {import_id}: {out['rows']} rows, columns: "
          + ", ".join(f"{col} -> {field}" for field, col in out["columns"].items()), file=sys.stderr)
    bar, deadline = _bar(out["rows"]), time.monotonic() + args.timeout
    try:
        while True:
            status, report = _call("GET", f"{api}/imports/{import_id}", args.token)
            if status != 200:
                print(f"GET /imports/{import_id}: {status} {report}", file=sys.stderr)
                return 1
            if bar is not None:
                bar.update(max(0, report["processed"] - bar.n))
            if report["status"] in ("done", "failed"):
                break
            if time.monotonic() > deadline:
                print(f"still running after {args.timeout:.0f} s: GET /imports/{import_id} later", file=sys.stderr)
                return 3
            time.sleep(args.poll)
    finally:
        if bar is not None:
            bar.close()
    print(json.dumps(report, indent=1) if args.json else render(report))
    return 0 if report["status"] == "done" else 1


def main(argv: list[str] | None = None) -> int:
    from .config import settings  # the local stage's token by default (TOUCHENGINE_API_TOKEN)

    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="import an LOS or CRM export (CSV)")
    imp.add_argument("file")
    imp.add_argument("--api", default="http://127.0.0.1:8000", help="the stack's API (default: the local stack)")
    imp.add_argument("--token", default=None, help="the API token (default: the local stage's)")
    imp.add_argument("--mapping", help='JSON {"<column in the file>": "<field>"} or @mapping.json')
    imp.add_argument("--json", action="store_true", help="print the whole report as JSON")
    imp.add_argument("--poll", type=float, default=0.5, help="seconds between progress checks")
    imp.add_argument("--timeout", type=float, default=1800, help="give up waiting after this many seconds")
    book = commands.add_parser("recount-book", help="count the team's book for the mass-send breaker")
    book.add_argument("--stage", required=True, help="the team stage (tables touchengine-<stage>-*)")
    migrate = commands.add_parser("migrate", help="run the store's migrations (make deploy does): idempotent")
    migrate.add_argument("--stage", required=True, help="the team stage (tables touchengine-<stage>-*)")
    args = parser.parse_args(argv)
    if args.command == "recount-book":
        return recount_book(args.stage)
    if args.command == "migrate":
        return run_migrations(args.stage)
    args.token = args.token or settings().api_token or ""
    return import_file(args)


def _team_stack(stage: str):
    """The context of a deployed team stage's tables, for an operator's command."""
    import os

    os.environ["TOUCHENGINE_STAGE"] = stage
    if not (os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")):
        import boto3  # the region `aws cloudformation deploy` used: the CLI profile's

        region = boto3.session.Session().region_name
        if region:
            os.environ["AWS_DEFAULT_REGION"] = region
    from .config import settings
    from .services.context import Context

    settings.cache_clear()
    return Context(settings())


def recount_book(stage: str) -> int:
    from datetime import datetime, timezone

    from .config import settings

    book = _team_stack(stage).book
    before, recounted_at = book.state()
    n = book.recount(datetime.now(timezone.utc))  # an ops command on the wall clock, not the engine's
    print(f"book of {settings().table_prefix}: {n} leads (the counter said {before}; "
          f"last recounted {recounted_at or 'never'})")
    return 0


def run_migrations(stage: str) -> int:
    from .store.migrations import MIGRATIONS

    ctx = _team_stack(stage)
    for name, migration in MIGRATIONS.items():
        print(f"migration {name}: {migration(ctx)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
