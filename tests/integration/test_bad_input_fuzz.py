"""Bad input never answers 500 (issue 33), on moto through the real app: the issue's bodies on the
routes it names, then a fuzz over every JSON route and the import route (hypothesis, derandomized,
a fixed and small number of examples: the same couple of hundred requests on every run).

Bodies come three ways: any bytes; any JSON value; and the route's valid body with a few of its
fields set to any JSON value or taken out (so the fuzz gets past "not an object" into each field's
checks, and sometimes all the way through). Exports: a header the import knows over cells of every
kind, in every Unicode flavour, or any bytes; with or without a mapping. Whatever arrives, the
answer is below 500, and an import that starts finishes with its report.
"""
import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import body, drain_events

DEEP = b"[" * 50_000 + b"]" * 50_000
AUTH = {"Authorization": "Bearer test-token"}
MISSING = object()
JSON = {**AUTH, "Content-Type": "application/json"}

# (method, path, a valid body, the fields the fuzz changes; nested ones as "parent.child")
ROUTES = [
    ("post", "/leads", {"first_name": "Ana", "email": "ana@example.com", "state": "TX",
                        "loan": {"type": "conventional", "amount": 320000, "rate": 6.5, "product": "conv30"},
                        "consent": {"email": True, "sms": {"granted": True, "text": "Texts OK"}}},
     ("first_name", "last_name", "email", "phone", "state", "timezone", "stage", "lo_id", "birthday", "source",
      "language", "loan", "loan.type", "loan.purpose", "loan.amount", "loan.rate", "loan.term_months",
      "loan.funded_on", "loan.property_value", "loan.product", "realtor", "realtor.name", "realtor.email",
      "realtor.phone", "consent", "consent.email", "consent.sms", "consent.sms.granted", "consent.sms.at",
      "consent.sms.text", "consent.voice.granted")),
    ("patch", "/leads/{lead}", {"last_name": "Lopez"},
     ("first_name", "email", "phone", "state", "stage", "birthday", "loan.amount", "loan.rate", "loan.funded_on",
      "realtor.name", "timezone", "language")),
    ("post", "/leads/{lead}/stage", {"stage": "application_started"}, ("stage",)),
    ("post", "/leads/{lead}/events", {"type": "credit_pull", "data": {}},
     ("type", "data", "data.program", "data.value", "data.url", "data.bureau")),
    ("post", "/leads/{lead}/consent", {"channel": "sms", "granted": False, "source": "phone call"},
     ("channel", "granted", "at", "source", "text")),
    ("post", "/tasks/{lead}/complete", {"note": "called"}, ("note",)),
    ("post", "/sequences/lead_nurture/preview", {"lead_id": "{lead}", "branch": "yes"}, ("lead_id", "branch")),
    ("put", "/rates", {"product": "conv30", "rate": 6.5, "as_of": "2027-04-13"},
     ("product", "rate", "as_of", "source", "confirm")),
    ("post", "/holds/{lead}/release", {"by": "ops"}, ("by",)),
    ("post", "/holds/{lead}/discard", {"by": "ops"}, ("by",)),
    ("post", "/integrations/los", {"loan_number": "LS-1", "milestone": "Clear to Close", "at": "2027-04-13T10:00:00Z",
                                   "borrower": {"email": "fuzz@example.com"}},
     ("loan_number", "milestone", "at", "borrower", "borrower.email", "borrower.first_name", "borrower.phone")),
    # local stage only, from nothing: a valid inbound message runs the whole worker loop (seconds
    # of the fuzz's budget) and a valid advance_seconds days of the world
    ("post", "/_local/clock", {}, ("now", "seconds")),
    ("post", "/_local/inbound/sms", {}, ("from", "body")),
    ("post", "/_local/inbound/email", {}, ("from", "to", "subject", "body")),
]
STAGES = ("new_lead", "application_started", "funded", "lost")


@pytest.fixture
def lead_id(api) -> str:
    resp = api.http.post("/leads", headers=JSON, body=json.dumps({"first_name": "Fuzz", "email": "fuzz@example.com"}))
    assert resp.status_code == 201, resp.body
    return body(resp)["lead_id"]


# -- the issue's bodies ------------------------------------------------------------------------------

ISSUE_ROUTES = [("post", "/leads"), ("post", "/integrations/los"), ("put", "/rates"), ("post", "/leads/{lead}/events"),
                ("patch", "/leads/{lead}"), ("post", "/leads/{lead}/consent"), ("post", "/_local/inbound/sms")]
UNDECODABLE = [
    (DEEP, "nested deeper than 32 levels"),
    (b'{"first_name": "Ana", "email": "a@example.com", "rate": NaN}', "NaN is not a JSON number"),
    (b'{"first_name": "\\udc00"}', "lone UTF-16 surrogate"),
    (b'["first_name", "Ana"]', "must be a JSON object"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "must be UTF-8 text"),
    (b'{"first_name": "Ana",', "must be valid JSON"),
]


def test_an_undecodable_body_is_a_400_naming_body_on_every_route(api, lead_id):
    for method, path in ISSUE_ROUTES:
        for raw, says in UNDECODABLE:
            resp = getattr(api.http, method)(path.format(lead=lead_id), headers=JSON, body=raw)
            assert resp.status_code == 400, (path, raw[:40], resp.body)
            assert body(resp)["error"] == "validation" and says in body(resp)["fields"]["body"], (path, resp.body)


def test_a_forged_listing_cursor_is_a_400_naming_cursor(api):
    import base64

    for forged in (base64.urlsafe_b64encode(DEEP).decode(), base64.urlsafe_b64encode(b"[1]").decode(), "%%%",
                   "e30" * 1000):
        resp = api.http.get(f"/leads?cursor={forged}", headers=AUTH)
        assert resp.status_code == 400 and list(body(resp)["fields"]) == ["cursor"], resp.body


def test_a_deep_or_broken_import_mapping_is_a_400_naming_mapping(api):
    export = b"First Name,Email\nAna,ana@example.com\n"
    for mapping in ("[" * 50_000 + "]" * 50_000, '{"First Name": ["first_name"]}', "[]", "{"):
        resp = api.http.post("/imports", body=export, headers={**AUTH, "Content-Type": "text/csv",
                                                               "X-Import-Mapping": mapping})
        assert resp.status_code == 400 and list(body(resp)["fields"]) in (["mapping"], ["mapping.First Name"])


def test_a_200000_character_field_rejects_its_row_and_the_others_import(api):
    export = ("Borrower First Name,Borrower Email,Notes\r\nAna,ana@example.com,\r\n"
              f"Bea,bea@example.com,{'x' * 200_000}\r\nCy,cy@example.com,\r\n").encode()
    resp = api.http.post("/imports?file=long.csv", body=export, headers={**AUTH, "Content-Type": "text/csv"})
    assert resp.status_code == 202, resp.body
    drain_events()
    report = body(api.http.get(f"/imports/{body(resp)['import_id']}", headers=AUTH))
    assert (report["status"], report["rows"], report["created"]) == ("done", 3, 2)
    assert [r["row"] for r in report["rejected"]] == [3] and "runs past 131,072 characters" in \
        report["rejected"][0]["reason"]


def test_an_export_in_any_unicode_flavour_reports_clean_column_names(api):
    text = "Borrower First Name,Borrower Email\r\nAna,ana@example.com\r\n"
    for raw in (text.encode("utf-8-sig"), text.encode("utf-16"), b"\xfe\xff" + text.encode("utf-16-be"),
                text.encode("utf-32")):
        resp = api.http.post("/imports", body=raw, headers={**AUTH, "Content-Type": "text/csv"})
        assert resp.status_code == 202, resp.body
        assert body(resp)["columns"] == {"first_name": "Borrower First Name", "email": "Borrower Email"}


def test_a_workbook_is_a_400_and_a_header_of_huge_cells_is_kept_cut_to_size(api):
    resp = api.http.post("/imports", body=b"PK\x03\x04" + bytes(range(256)),
                         headers={**AUTH, "Content-Type": "application/octet-stream"})
    assert resp.status_code == 400 and "Excel workbook" in body(resp)["fields"]["body"]
    # four 120,000-character header cells were a 500: the job (which keeps the header) did not fit its item
    noise = ",".join(f"{n}" * 120_000 for n in range(4))
    resp = api.http.post("/imports", body=f"Borrower First Name,Borrower Email,{noise}\nAna,ana@example.com\n".encode(),
                         headers={**AUTH, "Content-Type": "text/csv"})
    assert resp.status_code == 202, resp.body
    assert [len(c) for c in body(resp)["ignored_columns"]] == [100] * 4


# -- the fuzz -----------------------------------------------------------------------------------------

SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10**30, max_value=10**60)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
           | st.sampled_from(["", " ", "ana@example.com", "+15125550123", "2027-04-13", "2027-04-13T10:00:00Z",
                              "conv30", "TX", "America/Chicago", "lo-1", "Funding", "email", "sms", *STAGES,
                              "credit_pull", "join_program", "x" * 5000, "Bob\r\nBcc: x@example.net", "\x00"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def _changed(draw, base: dict, fields: tuple[str, ...]) -> dict:
    """The route's valid body with a few of its fields set to anything, or taken out."""
    out = copy.deepcopy(base)
    for dotted in draw(st.lists(st.sampled_from(fields), max_size=3, unique=True)):
        *parents, name = dotted.split(".")
        at = out
        for parent in parents:
            at = at.setdefault(parent, {}) if isinstance(at.get(parent, {}), dict) else {}
        value = draw(st.just(MISSING) | VALUES)
        if value is MISSING:
            at.pop(name, None)
        else:
            at[name] = value
    return out


def _bodies(base: dict, fields: tuple[str, ...]):
    changed = _changed(base, fields).map(lambda b: json.dumps(b).encode())
    return st.one_of(changed, changed, VALUES.map(lambda v: json.dumps(v).encode()), st.binary(max_size=64))


REQUESTS = st.sampled_from(ROUTES).flatmap(lambda r: st.tuples(st.just(r[:2]), _bodies(r[2], r[3])))
FUZZ = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@FUZZ
@given(call=REQUESTS)
def test_no_json_body_makes_a_5xx(api, lead_id, call):
    (method, path), raw = call
    raw = raw.replace(b"{lead}", lead_id.encode())
    resp = getattr(api.http, method)(path.format(lead=lead_id), headers=JSON, body=raw)
    assert resp.status_code < 500, (method, path, raw[:300], resp.body[:300])


HEADERS = ["Borrower Last Name", "Borrower Cell Phone", "Funding Date", "Note Rate", "Loan Amount", "Loan Number",
           "Current Milestone", "SMS Opt-In", "SMS Opt-In Date", "Borrower DOB", "Subject Property State", "Notes"]
CELLS = st.one_of(st.text(max_size=20), st.sampled_from(['"', '""', '"open', "a,b", "\r\n", "\x00", "x" * 2000,
                                                         "ana@example.com", "5125550123", "12/31/2020", "6.5%",
                                                         "Funded", "yes", "Texas", "$320,000", "1/1/1900"]))
ROW = st.tuples(st.sampled_from(["Ana", "Bea", "Jos\u00e9"]) | CELLS,
                st.sampled_from(["ana@example.com", "bea@example.com", "+1 512 555 0123"]) | CELLS,
                st.lists(CELLS, max_size=5)).map(lambda r: [r[0], r[1], *r[2]])
CSV_TEXT = st.tuples(st.lists(st.sampled_from(HEADERS), max_size=5, unique=True), st.lists(ROW, max_size=4)).map(
    lambda t: "\r\n".join(",".join(row) for row in [["Borrower First Name", "Borrower Email", *t[0]], *t[1]]))
EXPORTS = st.one_of(st.tuples(CSV_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])).map(
    lambda t: t[0].encode(t[1], errors="replace")), st.binary(max_size=200))
MAPPINGS = st.one_of(st.none(), st.none(), VALUES.map(json.dumps), st.text(max_size=20))


@settings(FUZZ, max_examples=40)
@given(export=EXPORTS, mapping=MAPPINGS)
def test_no_export_or_mapping_makes_a_5xx(api, export, mapping):
    """The upload's answer, and for an import that starts, its report once the queue has run it."""
    headers = {**AUTH, "Content-Type": "text/csv", **({"X-Import-Mapping": mapping} if mapping is not None else {})}
    resp = api.http.post("/imports?file=fuzz.csv", body=export, headers=headers)
    assert resp.status_code < 500, (export[:300], mapping, resp.body[:300])
    if resp.status_code == 202:
        drain_events()
        report = api.http.get(f"/imports/{body(resp)['import_id']}", headers=AUTH)
        assert report.status_code == 200 and body(report)["status"] == "done", (export[:300], report.body[:300])
