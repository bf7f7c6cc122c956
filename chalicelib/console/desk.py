"""The manager's desk (issue 29): this week's rate, held mass sends and imports, in the console.

Every page calls the same services as the API (``services.rates``, ``services.guard``,
``services.imports``) with the signed-in person as ``by``; the browser never holds an API key.
"""
from __future__ import annotations

import base64
import binascii
from datetime import date
from decimal import Decimal

from ..clock import now
from ..domain.lead import ValidationError
from ..services.context import context
from .routes import DONE, Page, page
from .web import multipart

DONE.update({
    "rate": "Rate saved: it is the current rate.", "held": "The move is held: confirm it below, or reject it.",
    "rejected": "Held move rejected: the last accepted rate stays current.",
    "released": "Batch released: its borrowers start their sequence now.",
    "discarded": "Batch discarded: nobody in it is sent anything.",
})
SAMPLE = 25          # borrowers of a held batch shown (the search looks through MEMBERS_READ)
MEMBERS_READ = 300
TRUE = ("true", "1", "yes", "on")


def _missing(p: Page, what: str):
    return p.render("missing.html.j2", "", 404, what=what)


# -- rates ------------------------------------------------------------------------------------

def _quote_view(q: dict, refi: dict) -> dict:
    """A quote with its APR as the borrower-facing content states it (a typical loan, the team's
    closing-cost estimate as prepaid finance charges)."""
    from ..domain.market import market_fields

    day = q["as_of"][:10]
    fields = market_fields({}, {"product": q["product"], "rate": q["rate"], "as_of": day},
                           date.fromisoformat(day), {"refi": refi}) or {}
    return {**q, "as_of": day, "rate_fmt": f"{Decimal(str(q['rate'])):.3f}%",
            "apr_fmt": fields.get("apr_fmt"), "basis": fields and f"{fields['amount_fmt']} over "
            f"{fields['term_years']} years, {fields['costs_fmt']} in finance charges"}


def rates_view(ctx) -> dict:
    from ..domain.refi_offer import PRODUCT_LABELS
    from ..services.guard import guard_settings

    settings = guard_settings(ctx)
    refi = ctx.settings.team.refi
    held = {q["product"]: q for q in ctx.held_rates.all()}
    latest = {q["product"]: q for q in ctx.rates.latest_all()}
    products = []
    for product in sorted(set(held) | set(latest)):
        low, high = settings.bounds_for(product)
        row = {"product": product, "label": PRODUCT_LABELS.get(product, product),
               "bounds": f"{low.normalize():f}% and {high.normalize():f}%",
               "current": _quote_view(latest[product], refi) if product in latest else None,
               "history": [_quote_view(q, refi) for q in ctx.rates.history(product, 12)], "held": None}
        if product in held:
            h = held[product]
            step = abs(Decimal(str(h["rate"])) - Decimal(str(h.get("previous_rate", h["rate"]))))
            before = {"product": product, "rate": h.get("previous_rate", h["rate"]),
                      "as_of": h.get("previous_as_of") or h["as_of"]}
            row["held"] = {**_quote_view(h, refi), "step": f"{step.normalize():f}", "previous": _quote_view(before, refi),
                           "max_step": f"{settings.max_step.normalize():f}"}
        products.append(row)
    return {"products": products, "max_step": f"{settings.max_step.normalize():f}",
            "today": now().date().isoformat()}


@page("/console/rates", action="rates")
def rates(p: Page):
    return p.render("rates.html.j2", "rates", **rates_view(context()))


@page("/console/rates", methods=["POST"], action="rates")
def put_rate(p: Page):
    from ..services.rates import put_rate as put

    f = p.form
    body = {"product": (f.get("product") or "").strip().lower(), "rate": (f.get("rate") or "").strip() or None,
            "as_of": (f.get("as_of") or "").strip() or now().date().isoformat(), "source": "console",
            "confirm": (f.get("confirm") or "").lower() in TRUE}
    answer = put(context(), body, now())
    return p.go("/console/rates", done="held" if answer["status"] == "held" else "rate")


@page("/console/rates/{product}/reject", methods=["POST"], action="rates")
def reject_rate(p: Page, product):
    from ..services.rates import reject_held

    if reject_held(context(), product, p.principal.by) is None:
        return _missing(p, "held rate")
    return p.go("/console/rates", done="rejected")


# -- held mass sends --------------------------------------------------------------------------

def _first_touch(ctx, sequence_id: str, lead_id: str) -> dict | None:
    """What the batch's first borrower would receive first (rendered, nothing sent)."""
    from ..services.sequences import preview

    shown = preview(ctx, sequence_id, lead_id, now()) or {}
    return next((t for t in shown.get("touches", []) if t.get("status") == "planned"), None)


def _matches(lead: dict, q: str) -> bool:
    text = " ".join(str(lead.get(k) or "") for k in ("first_name", "last_name", "email", "phone")).lower()
    return all(word in text for word in q.lower().split())


def batch_view(ctx, batch: dict, q: str = "") -> dict:
    from ..sequences.catalog import SEQUENCES

    ids, _ = ctx.holds.members(batch["batch_id"], None, limit=MEMBERS_READ)
    leads = ctx.leads.get_many(ids) if ids else {}
    people = [leads[i] for i in ids if i in leads]
    found = [lead for lead in people if not q or _matches(lead, q)]
    seq = SEQUENCES.get(batch.get("sequence") or "")
    shown = (found or people)[:1]  # the preview is for the first borrower the page lists
    return {**batch, "sequence_name": seq.name if seq else batch.get("sequence"),
            "sample": [{"lead_id": lead["lead_id"], "name": _name(lead), "email": lead.get("email"),
                        "stage": lead.get("stage")} for lead in found[:SAMPLE]],
            "found": len(found), "searched": len(people), "preview_for": _name(shown[0]) if shown else "",
            "preview": _first_touch(ctx, batch["sequence"], shown[0]["lead_id"]) if seq and shown else None}


def _name(lead: dict) -> str:
    return f"{lead.get('first_name', '')} {lead.get('last_name') or ''}".strip()


@page("/console/holds", action="read.desk")
def holds(p: Page):
    from ..services.guard import guard_settings, list_batches

    ctx = context()
    q = (p.query.get("q") or "").strip()
    settings = guard_settings(ctx)
    book, _ = ctx.book.state()
    settled = sorted(list_batches(ctx, "released") + list_batches(ctx, "discarded"),
                     key=lambda b: b.get("settled_at") or "", reverse=True)[:10]
    return p.render("holds.html.j2", "holds", q=q, held=[batch_view(ctx, b, q) for b in list_batches(ctx, "held")],
                    settled=settled, book=book, share=f"{settings.breaker_share * 100:.0f}%",
                    min_batch=settings.breaker_min_batch)


def _settle_page(p: Page, batch_id: str, action: str):
    ctx = context()
    batch = ctx.holds.get(batch_id)
    if batch is None:
        return _missing(p, "held batch")
    return p.render("hold_confirm.html.j2", "holds", action=action, batch=batch_view(ctx, batch))


def _settle(p: Page, batch_id: str, action: str):
    from ..services import guard as svc

    try:
        done = (svc.release if action == "release" else svc.discard)(context(), batch_id, now(), p.principal.by)
    except svc.BatchClosed as exc:
        raise ValidationError({"batch": f"this batch was already {exc.batch['status']}"}) from None
    if done is None:
        return _missing(p, "held batch")
    return p.go("/console/holds", done="released" if action == "release" else "discarded")


@page("/console/holds/{batch_id}/release", action="desk")
def release_form(p: Page, batch_id):
    return _settle_page(p, batch_id, "release")


@page("/console/holds/{batch_id}/discard", action="desk")
def discard_form(p: Page, batch_id):
    return _settle_page(p, batch_id, "discard")


@page("/console/holds/{batch_id}/release", methods=["POST"], action="desk")
def release(p: Page, batch_id):
    return _settle(p, batch_id, "release")


@page("/console/holds/{batch_id}/discard", methods=["POST"], action="desk")
def discard(p: Page, batch_id):
    return _settle(p, batch_id, "discard")


# -- imports ----------------------------------------------------------------------------------

@page("/console/imports", action="imports")
def imports(p: Page):
    from ..domain.los_table import FIELDS

    return p.render("imports.html.j2", "imports", fields=list(FIELDS))


def _table(body: bytes):
    from ..domain import los_table

    if len(body) > los_table.MAX_BYTES:
        raise ValidationError({"file": "is larger than 10 MB: split the export (each part imports on its own)"})
    return los_table.read_table(los_table.decode(body), None)


@page("/console/imports", methods=["POST"], action="imports")
def upload(p: Page):
    """Step one: the file's columns and the field each is matched to, to check and change."""
    from ..domain.los_table import FIELDS

    name, body = multipart(p.request).get("file", (None, b""))
    if not body:
        raise ValidationError({"file": "choose the CSV export to upload"})
    table = _table(body)
    field_of = {i: f for f, i in table.columns.items()}
    samples = [cells for _, cells in table.rows[:3]]
    columns = [{"index": i, "label": label, "field": field_of.get(i),
                "samples": [c[i] for c in samples if i < len(c) and c[i].strip()]}
               for i, label in enumerate(table.header) if label.strip()]
    return p.render("import_columns.html.j2", "imports", columns=columns, fields=list(FIELDS), rows=table.row_count,
                    file_name=(name or "export.csv")[:120], data=base64.b64encode(body).decode("ascii"))


@page("/console/imports/run", methods=["POST"], action="imports")
def run_import(p: Page):
    """Step two: the same engine as ``POST /imports``, with the matches the person changed."""
    from ..domain.los_table import FIELDS
    from ..services.imports import start_import

    try:
        body = base64.b64decode(p.form.get("data") or "", validate=True)
    except (binascii.Error, ValueError):
        body = b""
    if not body:
        raise ValidationError({"file": "the upload was lost: choose the file again"})
    table = _table(body)
    field_of = {i: f for f, i in table.columns.items()}
    mapping: dict[str, str | None] = {}
    for i, label in enumerate(table.header):
        chosen = p.form.get(f"col_{i}")
        if chosen is None or not label.strip():
            continue
        chosen = chosen or None
        if chosen is not None and chosen not in FIELDS:
            raise ValidationError({f"col_{i}": "is not a field"})
        if chosen != field_of.get(i):
            mapping[label] = chosen
    job = start_import(context(), body, p.form.get("file_name"), mapping or None, now(),
                       p.request.context.get("correlation_id"))
    return p.go(f"/console/imports/{job['import_id']}")


def _report(p: Page, import_id: str, template: str):
    from ..services.imports import report

    out = report(context(), import_id)
    if out is None:
        return _missing(p, "import")
    return p.render(template, "imports", r=out)


@page("/console/imports/{import_id}", action="imports")
def import_report(p: Page, import_id):
    return _report(p, import_id, "import_report.html.j2")


@page("/console/imports/{import_id}/live", action="imports")
def import_live(p: Page, import_id):
    """The part of the report page that refreshes itself while the import runs (console.js)."""
    return _report(p, import_id, "import_live.html.j2")


@page("/console/imports/{import_id}/report.csv", action="imports")
def import_download(p: Page, import_id):
    """The report as a CSV file: the counts, then every rejected row and warning with its reason."""
    import csv
    import io

    from chalice import Response

    from ..services.imports import report

    out = report(context(), import_id)
    if out is None:
        return _missing(p, "import")
    buffer = io.StringIO()
    w = csv.writer(buffer)
    w.writerow(["kind", "row", "field", "reason"])
    for key in ("rows", "created", "updated", "unchanged", "duplicates"):
        w.writerow(["count", "", key, out[key]])
    w.writerow(["count", "", "rejected", len(out["rejected"])])
    for r in out["rejected"]:
        w.writerow(["rejected", r["row"], r.get("field", ""), r["reason"]])
    for r in out["warnings"]:
        w.writerow(["warning", r["row"], r.get("field", ""), r["reason"]])
    return Response(buffer.getvalue(), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="import-{import_id[:8]}-report.csv"'})
