"""Onboarding: an LOS export in, leads out, in chunks through the events queue.

``POST /imports`` checks the header (400 naming what is missing), stores the file and queues
``import_plan``: one SendMessage, then 202. The plan groups the rows of each borrower in one
quick pass (e-mail, loan number, phone: ``domain.los_import.group_rows``) and stores the groups
in chunks of ``CHUNK``, each queued as ``import_chunk``; the costly reading of every cell (dates,
phones, amounts) happens per chunk, in parallel, so a 10 MB file stays well inside a Lambda's
time. A chunk reads its rows into borrowers, looks up their e-mails, phones and loan numbers
(BatchGetItem), reads the leads they belong to, and writes new leads and loan-fact updates in
shared transactions. Everything is idempotent: the same row of the same import always
makes the same lead id, a chunk records its report once, and a second import of the same file
finds every borrower already there and creates nothing.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from ..domain import analytics
from ..domain import los_import as rules_
from ..domain import los_table
from ..domain import privacy as privacy_rules
from ..domain.lead import ValidationError
from ..domain.milestones import table as milestone_table
from ..observability import logger
from .context import Context
from .privacy import erased_among

CHUNK = 100          # borrowers (their rows) per chunk: ~5 transactions and ~3 BatchGetItems
PLAN, CHUNK_EVENT = "import_plan", "import_chunk"
EVENT_TYPES = (PLAN, CHUNK_EVENT)
RETRIED_OUT = "changed by someone else while importing: import the file again to retry this row"


def _event(type_: str, data: dict, now: datetime, correlation_id: str | None, event_id: str) -> dict:
    from .. import bus

    return bus.make_event(None, type_, data, now, "import", correlation_id, event_id=event_id)


def _rules(ctx: Context, now: datetime) -> rules_.Rules:
    team = ctx.settings.team
    return rules_.Rules(today=now.date(), milestones=milestone_table(team.milestones),
                        los=tuple((lo.id, lo.name, lo.email) for lo in team.los), default_lo=team.los[0].id)


def start_import(ctx: Context, body: bytes | None, file_name: str | None, mapping: object, now: datetime,
                 correlation_id: str | None = None) -> dict:
    """Check the file's header, store the file, queue its plan. Returns the job."""
    from .. import bus

    if not body:
        raise ValidationError({"body": "is empty: send the CSV export as the request body (Content-Type: text/csv)"})
    if len(body) > los_table.MAX_BYTES:
        raise ValidationError({"body": "is larger than 10 MB: split the export (each part imports on its own)"})
    text = los_table.decode(body)
    table = los_table.read_table(text, mapping)
    import_id = uuid.uuid4().hex
    name = (file_name or "").strip().replace("\n", " ")[:120] or f"import-{import_id[:8]}.csv"
    job = {"file": name, "created_at": now.isoformat(), "mapping": mapping, "header_row": table.header_row,
           "header": table.header, "column_index": table.columns,
           "columns": {f: table.header[i].strip() for f, i in sorted(table.columns.items(), key=lambda kv: kv[1])},
           "ignored_columns": table.ignored, "rows": table.row_count,
           "sha256": hashlib.sha256(body).hexdigest()}
    ctx.imports.create(import_id, job, text.encode(), now)
    bus.publish(_event(PLAN, {"import_id": import_id}, now, correlation_id, f"{import_id}:plan"))
    logger.info("import started", extra={"import_id": import_id, "rows": table.row_count, "bytes": len(body)})
    return {"import_id": import_id, **job}


def handle(ctx: Context, event: dict, now: datetime) -> str:
    """The events consumer's entry for import messages."""
    data = event.get("data") or {}
    if event["type"] == PLAN:
        return plan_import(ctx, data["import_id"], now, event.get("correlation_id"))
    return process_chunk(ctx, data["import_id"], int(data["chunk"]), now)


def _queue_chunks(ctx: Context, import_id: str, chunks: list[int], now: datetime, cid: str | None) -> None:
    from .. import bus

    bus.publish_many([_event(CHUNK_EVENT, {"import_id": import_id, "chunk": n}, now, cid, f"{import_id}:chunk:{n}")
                      for n in chunks])


def plan_import(ctx: Context, import_id: str, now: datetime, cid: str | None = None) -> str:
    job = ctx.imports.job(import_id)
    if job is None:
        logger.warning("plan for an unknown import", extra={"import_id": import_id})
        return "unknown_import"
    if job["status"] == "running":  # a redelivered plan: queue what is not done yet
        ctx.imports.drop_file(import_id, job["pieces"])
        _queue_chunks(ctx, import_id, ctx.imports.pending_chunks(import_id), now, cid)
        return "replanned"
    if job["status"] != "planning":
        return job["status"]
    text = ctx.imports.body(import_id, job["pieces"]).decode()
    try:
        table = los_table.read_table(text, job.get("mapping"))
    except ValidationError as exc:  # checked at upload; only a changed team setting could get here
        ctx.imports.fail(import_id, {**_doc(job), "error": exc.fields})
        return "failed"
    groups = rules_.group_rows(table)
    chunks = [{"groups": groups[start:start + CHUNK]} for start in range(0, len(groups), CHUNK)]
    ctx.imports.planned(import_id, chunks, {**_doc(job), "rows": table.row_count, "groups": len(groups),
                                            "planned_at": now.isoformat()}, now)
    ctx.imports.drop_file(import_id, job["pieces"])
    _queue_chunks(ctx, import_id, list(range(len(chunks))), now, cid)
    logger.info("import planned", extra={"import_id": import_id, "rows": table.row_count, "chunks": len(chunks),
                                         "groups": len(groups)})
    return "planned"


def _doc(job: dict) -> dict:
    return {k: v for k, v in job.items() if k not in ("import_id", "status", "chunks", "chunks_done")}


def _lead_imported(lead: dict, import_id: str, file: str, now: datetime) -> dict:
    return {"event_id": f"import:{import_id}:{lead['imported']['rows'][0]}", "lead_id": lead["lead_id"],
            "type": "lead_imported", "data": {"import_id": import_id, "file": file}, "at": now.isoformat(),
            "source": "import", "correlation_id": import_id}


def _decide(ctx: Context, b: dict, owners: dict, leads: dict, now: datetime, job: dict, import_id: str,
            erased: bool = False):
    """(outcome, RowWrite | None, warnings) for one borrower against what the table holds now;
    ``erased``: the borrower is a person erased on request before (suppressed on every channel)."""
    from ..store.imports import RowWrite
    from .engine_runner import run_triggers

    context = {"import_id": import_id, "file": job["file"]}
    found = rules_.match(b, owners, leads)
    columns = job.get("columns") or {}
    column = {"loan": columns.get("loan_number"), "email": columns.get("email"),
              "phone": columns.get("cell_phone") or columns.get("home_phone")}
    warnings = [{"row": b["row"], "field": column[kind] or kind,
                 "reason": f"'{value}' already belongs to another lead; not linked"} for kind, value in found.drop]
    if found.reason:
        return "rejected", None, [{"row": b["row"], "reason": found.reason}]
    mine = rules_.lead_id_for(import_id, b)
    if found.lead_id == mine:
        return "created", None, warnings  # an earlier delivery of this chunk wrote it
    item_id = f"import-{import_id}-{b['row']}"
    rows_data = {"import_id": import_id, "file": job["file"], "rows": b["rows"]}
    if found.lead_id is None:
        lead = rules_.new_lead(b, mine, now, context)
        if erased:
            lead = privacy_rules.suppress_erased(lead, now.isoformat())
        from .reputation import suppress_if_bounced

        lead = suppress_if_bounced(ctx, lead)  # an address that bounced hard on another lead
        result = run_triggers(ctx, lead, {}, _lead_imported(lead, import_id, job["file"], now), now, [])
        item = {"at": now.isoformat(), "kind": "event", "type": "lead_imported", "machine": False,
                "data": {**rows_data, "stage": lead["stage"]}}
        claims = [c for c in rules_.claims(b) if c not in found.drop]
        return "created", RowWrite(result.enrollments, lead=result.lead, tasks=result.tasks, claims=claims,
                                   timeline=[(item, item_id)] + [(i, None) for i in result.timeline]), warnings
    lead = leads[found.lead_id]
    updated, changed, more = rules_.update_lead(lead, b, now, columns.get("milestone", "milestone"))
    claims = [c for c in rules_.claims(b) if c[0] == "loan" and c not in owners]
    if not changed and not claims:
        return "unchanged", None, warnings + more
    item = {"at": now.isoformat(), "kind": "event", "type": "lead_import_updated", "machine": False,
            "data": {**rows_data, "changed": changed}}
    return "updated", RowWrite([], lead=updated, timeline=[(item, item_id)], claims=claims), warnings + more


def process_chunk(ctx: Context, import_id: str, n: int, now: datetime) -> str:
    status, payload = ctx.imports.chunk(import_id, n)
    if status != "pending" or payload is None:
        return f"chunk_{status}"
    job = ctx.imports.job(import_id) or {}
    table = los_table.Table(header_row=job["header_row"], header=job["header"], columns=job["column_index"], ignored=[])
    rules = _rules(ctx, now)
    report = {"chunk": n, "rows": sum(len(g) for g in payload["groups"]), "created": 0, "updated": 0,
              "unchanged": 0, "duplicates": 0, "rejected": [], "warnings": []}
    borrowers = []
    for units in payload["groups"]:  # the rows read in full here, chunk by chunk, not all at once
        borrower, rejected, duplicates = rules_.borrower_from_rows(table, units, rules)
        report["rejected"] += rejected
        report["duplicates"] += duplicates
        if borrower is not None:
            borrowers.append(borrower)
    enrolled: list = []
    erased = erased_among(ctx, [(b.get("email"), b.get("phone")) for b in borrowers])  # one lookup per chunk
    pending = list(range(len(borrowers)))
    for _ in range(4):
        if not pending:
            break
        claims = [c for i in pending for c in rules_.claims(borrowers[i])]
        owners = ctx.imports.owners(claims)
        leads = ctx.leads.get_many(list(set(owners.values())), consistent=True) if owners else {}
        decided, writes, later, taken = [], [], [], set()
        for i in pending:
            outcome, row, warnings = _decide(ctx, borrowers[i], owners, leads, now, job, import_id, erased[i])
            if row is not None and row.lead_id in taken:
                later.append(i)  # two borrowers of one lead: one write per item per transaction
                continue
            decided.append((i, outcome, row, warnings))
            if row is not None:
                taken.add(row.lead_id)
                writes.append(row)
        failed_rows = {id(writes[k]) for k in ctx.uow.commit_many(writes)} if writes else set()
        retry = later
        for i, outcome, row, warnings in decided:
            if row is not None and id(row) in failed_rows:
                retry.append(i)
                continue
            if outcome == "rejected":
                report["rejected"] += warnings
                continue
            report[outcome] += 1
            report["warnings"] += borrowers[i].get("warnings", []) + warnings
            if row is not None:
                enrolled += analytics.from_enrollment_items([t for t, _ in row.timeline], {})
        pending = retry
    report["rejected"] += [{"row": borrowers[i]["row"], "reason": RETRIED_OUT} for i in pending]
    if ctx.imports.finish_chunk(import_id, n, report) and enrolled:
        ctx.stats.add_all(analytics.aggregate(enrolled))
    return "chunk_done"


def report(ctx: Context, import_id: str) -> dict | None:
    """GET /imports/{id}: progress, counts, and every rejected row and warning with its row."""
    job = ctx.imports.job(import_id)
    if job is None:
        return None
    parts = ctx.imports.reports(import_id) if job["status"] == "running" else []
    status = {"planning": "running", "failed": "failed"}.get(job["status"], "running")
    if job["status"] == "running" and job["chunks_done"] >= job["chunks"]:
        status = "done"
    out = {"import_id": import_id, "status": status, "file": job.get("file"), "created_at": job.get("created_at"),
           "rows": job.get("rows", 0), "processed": sum(p.get("rows", 0) for p in parts),
           "created": 0, "updated": 0, "unchanged": 0, "duplicates": 0,
           "rejected": sorted((r for p in parts for r in p.get("rejected", [])), key=lambda r: r["row"]),
           "warnings": sorted((w for p in parts for w in p.get("warnings", [])), key=lambda w: w["row"]),
           "columns": job.get("columns", {}), "ignored_columns": job.get("ignored_columns", [])}
    for p in parts:
        for key in ("created", "updated", "unchanged", "duplicates"):
            out[key] += p.get(key, 0)
    if job.get("error"):
        out["error"] = job["error"]
    return out
