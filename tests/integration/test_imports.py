"""Issue 16 on moto: an LOS export imported through the API and the events queue, re-imported,
run through the nightly sweeps; LOS milestone webhooks moving imported loans.

The fixture (tests/fixtures/los_export_messy.csv) is an Encompass-style pipeline report: title
rows above the header, columns in odd case and punctuation, "$" and thousands separators, "%"
after rates, terms in years and months, US, ISO, two-digit-year and written-out dates, every
phone format, e-mails with spaces and capitals, state names, a ZIP that lost its leading zero,
the same borrowers twice (by e-mail and by loan number), rows with no reachable contact, a shared
home line, impossible dates, an unknown milestone and a totals row at the bottom.
"""
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.clock import clock
from chalicelib.local import runtime
from tests.helpers import body, drain_events

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "los_export_messy.csv"
ACCOUNT, REGION = "123456789012", "us-east-1"
AUTH = {"Authorization": "Bearer test-token"}


def post_import(api, data: bytes, query: str = "?file=messy.csv", **headers):
    return api.http.post(f"/imports{query}", body=data, headers={**AUTH, "Content-Type": "text/csv", **headers})


def import_file(api, data: bytes | None = None, query: str = "?file=messy.csv") -> dict:
    resp = post_import(api, data if data is not None else FIXTURE.read_bytes(), query)
    assert resp.status_code == 202, resp.body
    drain_events()
    report = body(api.http.get(f"/imports/{body(resp)['import_id']}", headers=AUTH))
    assert report["status"] == "done", report
    return report


def lead_by(ctx, email=None, loan=None) -> dict:
    lead_id = ctx.imports.owner("loan", loan) if loan else ctx.leads.find_duplicate(email, None)
    assert lead_id, (email, loan)
    return ctx.leads.get(lead_id)


def lead_count() -> int:
    from chalicelib.store.models import LeadModel

    return sum(1 for _ in LeadModel.scan(LeadModel.doc.exists()))  # records, not bookkeeping items


def sent_sms() -> list[dict]:
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


def sent_mail() -> list:
    from moto.ses.models import ses_backends

    return list(ses_backends[ACCOUNT][REGION].sent_messages)


def latest_consent(lead: dict, channel: str) -> dict:
    records = [r for r in lead["consent_records"] if r["channel"] == channel]
    return sorted(records, key=lambda r: r["at"])[-1]


# -- the row-level report -------------------------------------------------------------------------

def test_the_messy_export_imports_with_a_row_level_report(api, ctx):
    report = import_file(api)
    assert (report["rows"], report["created"], report["updated"], report["unchanged"], report["duplicates"]) == \
        (17, 11, 0, 0, 2)
    assert report["rows"] == report["created"] + report["updated"] + report["unchanged"] + \
        report["duplicates"] + len(report["rejected"])
    rejected = {r["row"]: r["reason"] for r in report["rejected"]}
    assert set(rejected) == {9, 10, 18, 22}                      # spreadsheet rows: the header is row 4
    assert "'robert.nguyen@' is not an e-mail address" in rejected[9]
    assert "'555-0100' is not a US phone number" in rejected[9]
    assert rejected[10] == "no valid e-mail or phone"
    assert "its phone belongs to the borrower of row 5" in rejected[18]   # a shared home line
    assert rejected[22] == "no borrower first name"                       # the totals row
    warned = {(w["row"], w["field"]): w["reason"] for w in report["warnings"]}
    assert warned[(11, "Borrower DOB")] == "'02/30/1980' is not a real date"
    assert warned[(11, "Funding Date")].startswith("funded without a funding date")
    assert warned[(11, "Note Rate")] == "'abc' is not a rate"
    assert "not in the team's milestone table" in warned[(16, "Current Milestone")]
    assert "without its date is not recorded" in warned[(12, "SMS Opt-In Date")]
    assert "second address" in warned[(20, "Borrower Email")]
    assert (17, "Subject Property State") in warned and (17, "Loan Amount") in warned
    assert report["columns"]["sms_opt_in"] == "SMS Opt-In" and report["ignored_columns"] == ["Co-Borrower First Name"]

    maria = lead_by(ctx, email="maria.lopez@example.com")
    assert (maria["email"], maria["phone"], maria["state"], maria["stage"]) == \
        ("Maria.Lopez@example.com", "+15125550123", "TX", "funded")
    assert maria["loan"] == {"type": "conventional", "purpose": "purchase", "amount": 320000.0, "rate": 6.875,
                             "term_months": 360, "property_value": 400000.0, "funded_on": "2023-04-15",
                             "product": "conv30"}   # the newer of her two loans
    assert maria["loan_numbers"] == ["LS-09001", "LS-08811"]
    assert lead_by(ctx, loan="LS-08811")["lead_id"] == maria["lead_id"]
    sms = latest_consent(maria, "sms")
    assert (sms["granted"], sms["at"][:10], sms["source"]) == (True, "2023-03-01", "import messy.csv row 5")
    assert latest_consent(maria, "email")["granted"] is True and "CAN-SPAM" in latest_consent(maria, "email")["text"]

    wei = lead_by(ctx, loan="LS-10042")
    assert (wei["email"], wei["stage"], wei["lo_id"]) == ("wei.chen@example.com", "application_submitted", "lo-2")
    assert latest_consent(wei, "sms")["granted"] is False    # the file says no
    lisa = ctx.leads.get(ctx.leads.find_duplicate(None, "+12105550199"))   # home phone only
    assert (lisa["stage"], lisa["loan"]["funded_on"], lisa.get("email")) == ("funded", "2024-07-04", None)
    assert latest_consent(lisa, "sms")["granted"] is False   # "Yes" without a date is no record of consent
    kate = lead_by(ctx, loan="LS-20001")
    assert (kate["state"], kate["zip"], kate["loan"]["rate"], kate["loan"]["term_months"], kate["loan"]["product"],
            kate["loan"]["amount"], kate["loan"]["funded_on"]) == ("MA", "02134", 6.25, 180, "conv15", 350000.0,
                                                                   "2022-03-03")
    tom = lead_by(ctx, loan="LS-11990")
    assert (tom["stage"], tom["loan"]["anticipated_close_date"]) == ("clear_to_close", "2027-04-30")
    timeline = body(api.http.get(f"/leads/{maria['lead_id']}/timeline", headers=AUTH))["items"]
    imported = [i for i in timeline if i.get("type") == "lead_imported"]
    assert imported and imported[0]["data"]["rows"] == [5, 8] and imported[0]["data"]["file"] == "messy.csv"


def test_importing_the_same_file_again_creates_nothing(api, ctx):
    first = import_file(api)
    leads = lead_count()
    second = import_file(api)
    assert (second["created"], second["updated"], second["unchanged"], second["duplicates"]) == (0, 0, 11, 2)
    assert [r["row"] for r in second["rejected"]] == [r["row"] for r in first["rejected"]]
    assert lead_count() == leads == 11


def test_a_row_matching_an_existing_lead_updates_its_loan_facts_never_its_consent(api, ctx):
    created = api.http.post("/leads", headers={**AUTH, "Content-Type": "application/json"}, body=json.dumps({
        "first_name": "Wei", "email": "WEI.CHEN@example.com", "phone": "+17375550142", "state": "TX",
        "consent": {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree"}}}))
    assert created.status_code == 201, created.body
    lead_id = body(created)["lead_id"]
    drain_events()
    report = import_file(api)
    assert (report["created"], report["updated"]) == (10, 1)
    lead = ctx.leads.get(lead_id)
    assert lead["loan"]["amount"] == 410000.0 and lead["loan_numbers"] == ["LS-10042"]
    assert lead["stage"] == "new_lead"                       # an import never moves an existing lead
    assert latest_consent(lead, "sms")["granted"] is True    # the file's "No" does not rewrite consent
    assert lead.get("lo_id") == "lo-1" and lead["email"] == "WEI.CHEN@example.com"
    assert any(w["row"] == 7 and "does not move an existing lead" in w["reason"] for w in report["warnings"])
    assert ctx.imports.owner("loan", "LS-10042") == lead_id   # the loan number now finds it


# -- programs, not an inquiry ---------------------------------------------------------------------

def test_an_import_is_not_an_inquiry_only_recent_closings_get_the_welcome(api, ctx):
    import_file(api)
    runtime.advance(3600)
    assert sent_mail() == [] and sent_sms() == []            # no speed-to-lead touch, no welcome burst
    grace = lead_by(ctx, email="grace@example.com")
    assert grace["stage"] == "new_lead" and ctx.enrollments.for_lead(grace["lead_id"]) == []
    omar = lead_by(ctx, loan="LS-11870")                     # funded 12 days before the import
    assert [e["sequence"] for e in ctx.enrollments.for_lead(omar["lead_id"])] == ["post_funded_welcome"]
    for loan in ("LS-07310", "LS-20001", "LS-11990", "LS-10042"):
        assert ctx.enrollments.for_lead(lead_by(ctx, loan=loan)["lead_id"]) == []


def test_a_past_client_with_an_anniversary_in_two_days_joins_annual_review_after_the_nightly_sweeps(api, ctx):
    assert clock.now().date().isoformat() == "2027-04-13"    # Maria funded 2023-04-15: two days away
    import_file(api)
    maria = lead_by(ctx, email="maria.lopez@example.com")
    assert ctx.enrollments.for_lead(maria["lead_id"]) == []
    runtime.advance(timedelta(days=1, hours=18).total_seconds())   # past the 04-15 07:00 UTC sweep
    enrolled = [e for e in ctx.enrollments.for_lead(maria["lead_id"]) if e["sequence"] == "annual_review"]
    assert len(enrolled) == 1 and enrolled[0]["trigger"] == "time:funding_anniversary"
    others = [lead_by(ctx, loan=n)["lead_id"] for n in ("LS-07310", "LS-20001")]
    assert all(not ctx.enrollments.for_lead(i) for i in others)   # their anniversaries are not this week


def test_no_past_client_without_an_opt_in_gets_a_text(api, ctx):
    """James (no opt-in) and Omar (opted in, dated) both have a birthday this month: the birthday
    sequence texts when its e-mail goes unread. Only Omar's text goes; James's is suppressed."""
    import_file(api)
    runtime.advance(timedelta(days=30).total_seconds())      # welcome series, anniversary review, birthdays
    omar, james = lead_by(ctx, loan="LS-11870"), lead_by(ctx, loan="LS-07310")
    opted_in = {lead_by(ctx, email="maria.lopez@example.com")["phone"], omar["phone"]}
    texted = {m[0] for m in sent_sms()}
    assert omar["phone"] in texted
    assert texted <= opted_in
    suppressed = [t for t in ctx.touches.for_lead(james["lead_id"]) if t["channel"] == "sms"]
    assert suppressed and {(t["status"], t["reason"]) for t in suppressed} == {("suppressed", "no_consent")}
    assert any(james["email"] in m.destinations for m in sent_mail()), \
        "past clients do get marketing e-mail (CAN-SPAM: opt-out)"


# -- LOS milestones -------------------------------------------------------------------------------

def los(api, payload: dict, **headers):
    raw = json.dumps(payload)
    return api.http.post("/integrations/los", body=raw, headers={**AUTH, "Content-Type": "application/json", **headers})


def test_cond_approval_from_the_los_moves_an_imported_open_loan(api, ctx):
    import_file(api)
    resp = los(api, {"loan_number": "ls-10042", "milestone": "Cond. Approval",
                     "borrower": {"email": "wei.chen@example.com"}, "at": "2027-04-13T16:00:00Z"})
    assert resp.status_code == 202, resp.body
    drain_events()
    wei = lead_by(ctx, loan="LS-10042")
    assert wei["stage"] == "conditional_approval"
    progression = [e for e in ctx.enrollments.for_lead(wei["lead_id"]) if e["sequence"] == "pipeline_progression"]
    assert len(progression) == 1
    items = body(api.http.get(f"/leads/{wei['lead_id']}/timeline", headers=AUTH))["items"]
    los_items = [i for i in items if i.get("type") == "los_milestone"]
    assert los_items[-1]["data"]["outcome"] == "applied" and los_items[-1]["data"]["stage"] == "conditional_approval"
    assert any(i.get("type") == "stage_changed" and i["data"]["to"] == "conditional_approval" for i in items)
    runtime.advance(3600)
    assert all(m[0] != wei["phone"] for m in sent_sms())     # the file said no: not even the status text

    # an older milestone, an unknown one, and a redelivery change nothing
    for milestone in ("Processing", "Pending Review"):  # an LOS sends them seconds apart
        assert los(api, {"loan_number": "LS-10042", "milestone": milestone}).status_code == 202
        drain_events()
        clock.advance(2)
    assert lead_by(ctx, loan="LS-10042")["stage"] == "conditional_approval"
    items = body(api.http.get(f"/leads/{wei['lead_id']}/timeline", headers=AUTH))["items"]
    outcomes = [i["data"]["outcome"] for i in items if i.get("type") == "los_milestone"]
    assert outcomes == ["applied", "ignored", "unknown"]
    received = body(api.http.get("/integrations/los/milestones", headers=AUTH))["received"]
    assert {(r["milestone"], r["outcome"], r["count"]) for r in received} == {
        ("Cond. Approval", "applied", 1), ("Processing", "ignored", 1), ("Pending Review", "unknown", 1)}


def test_a_funded_past_clients_new_loan_found_by_email_moves_it_back_into_the_pipeline(api, ctx):
    import_file(api)
    assert los(api, {"loan_number": "LS-30001", "milestone": "Started",
                     "borrower": {"email": "JOBRIEN@example.com"}}).status_code == 202
    assert los(api, {"loan_number": "LS-07310", "milestone": "Processing"}).status_code == 202  # the old loan
    drain_events()
    james = lead_by(ctx, loan="LS-30001")
    assert james["stage"] == "application_started" and james["loan_numbers"] == ["LS-07310"]
    assert los(api, {"loan_number": "LS-99999", "milestone": "Funding"}).status_code == 202
    drain_events()
    received = body(api.http.get("/integrations/los/milestones", headers=AUTH))["received"]
    assert ("Funding", "unmatched") in {(r["milestone"], r["outcome"]) for r in received}


def test_signed_webhooks_are_checked_when_the_team_sets_a_secret(api, ctx, monkeypatch):
    from chalicelib.services import los as los_service

    import_file(api)
    monkeypatch.setattr(los_service, "_secret", lambda: b"s3cret")
    payload = {"loan_number": "LS-10042", "milestone": "Clear to Close"}
    raw = json.dumps(payload).encode()
    digest = hmac.new(b"s3cret", raw, hashlib.sha256)
    assert los(api, payload).status_code == 401
    assert los(api, payload, **{"X-Touchengine-Signature": "sha256=" + "0" * 64}).status_code == 401
    assert los(api, payload, **{"X-Touchengine-Signature": "sha256=" + digest.hexdigest()}).status_code == 202
    import base64

    assert los(api, payload, **{"Elli-Signature": base64.b64encode(digest.digest()).decode()}).status_code == 202


# -- bad input and mappings -------------------------------------------------------------------------

def test_bad_imports_and_webhooks_are_400s_naming_the_field(api):
    no_contact = b"First Name,Last Name,Loan Amount\nMaria,Lopez,320000\n"
    resp = post_import(api, no_contact)
    assert resp.status_code == 400 and "columns.email" in body(resp)["fields"]
    assert "First Name, Last Name, Loan Amount" in body(resp)["fields"]["columns.email"]
    assert "body" in body(post_import(api, b""))["fields"]
    resp = post_import(api, no_contact, "?mapping=" + json.dumps({"Loan Amount": "emial"}))
    assert resp.status_code == 400 and "mapping.Loan Amount" in body(resp)["fields"]
    assert post_import(api, no_contact, "?mapping=not-json").status_code == 400
    assert api.http.get("/imports/nope", headers=AUTH).status_code == 404
    resp = los(api, {"loan_number": "LS-1"})
    assert resp.status_code == 400 and set(body(resp)["fields"]) == {"milestone"}
    resp = los(api, {"milestone": "Funding", "at": "yesterday"})
    assert resp.status_code == 400 and set(body(resp)["fields"]) == {"loan_number", "at"}


def test_a_mapping_sent_with_the_import_names_columns_no_export_uses(api, ctx):
    data = b"Cliente,Correo,Movil,Fecha Cierre,Etapa,Notes\nRosa,ROSA@Example.com ,(512) 555 0188,2020-05-05,,hi\n"
    mapping = {"Cliente": "first_name", "Correo": "email", "Movil": "cell_phone", "Fecha Cierre": "funded_on",
               "Etapa": "milestone", "Notes": None}
    resp = post_import(api, data, "", **{"X-Import-Mapping": json.dumps(mapping)})
    assert resp.status_code == 202, resp.body
    assert body(resp)["columns"]["email"] == "Correo" and body(resp)["ignored_columns"] == ["Notes"]
    drain_events()
    rosa = lead_by(ctx, email="rosa@example.com")
    assert (rosa["stage"], rosa["loan"]["funded_on"], rosa["phone"]) == ("funded", "2020-05-05", "+15125550188")


def test_chunks_are_resumable_and_each_row_idempotent(api, ctx, monkeypatch):
    """Small chunks; the first delivery of a chunk dies after writing its leads and before
    recording its report: the redelivery counts them as created, once."""
    from chalicelib.services import imports as svc
    from chalicelib.store.imports import ImportRepo

    monkeypatch.setattr(svc, "CHUNK", 3)
    real, crashed = ImportRepo.finish_chunk, []

    def crash_once(self, import_id, n, report):
        if n == 1 and not crashed:
            crashed.append(n)
            raise RuntimeError("Lambda timed out")
        return real(self, import_id, n, report)

    monkeypatch.setattr(ImportRepo, "finish_chunk", crash_once)
    resp = post_import(api, FIXTURE.read_bytes())
    import_id = body(resp)["import_id"]
    for _ in range(5):  # the failed message reappears after its visibility timeout: replay it
        drain_events()
        pending = ctx.imports.pending_chunks(import_id)
        if not pending:
            break
        svc._queue_chunks(ctx, import_id, pending, clock.now(), None)
    report = body(api.http.get(f"/imports/{import_id}", headers=AUTH))
    assert crashed and report["status"] == "done"
    assert (report["created"], report["unchanged"], report["duplicates"], len(report["rejected"])) == (11, 0, 2, 4)
    assert lead_count() == 11
