"""The manager's desk and the borrower's view (issue 29) through Chalice's test client, on moto:
rates entered, held, confirmed and rejected; a held batch shown, released and discarded after a
confirmation page; a CSV uploaded, its matches changed, run, reported and downloaded; the
borrower's view on the local stage, and 404 on any other."""
import re
from dataclasses import replace
from pathlib import Path

from chalicelib.local import runtime
from tests.helpers import body, drain_events
from tests.integration.test_console import act, browser, get, new_lead  # noqa: F401  (fixtures and helpers)
from tests.integration.test_guard_holds import REFI, guarded, rate_night, statuses  # noqa: F401

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-book.csv"
AUTH = {"Authorization": "Bearer test-token"}


def page_text(resp) -> str:
    return re.sub(r"\s+", " ", resp.body.decode())


# -- rates ------------------------------------------------------------------------------------

def test_a_big_move_is_held_with_its_step_and_bounds_and_confirm_makes_it_current(api, browser):
    today = "2027-03-02"
    assert act(api, browser, "/console/rates", {"product": "conv30", "rate": "7.125", "as_of": today}).headers[
        "Location"] == "/console/rates?done=rate"
    resp = act(api, browser, "/console/rates", {"product": "conv30", "rate": "5.000", "as_of": today})
    assert resp.status_code == 303 and resp.headers["Location"] == "/console/rates?done=held"
    text = page_text(get(api, browser, "/console/rates"))
    assert "Held</span> 30-year fixed-rate (conv30): 5.000% (5.114% APR)" in text
    assert "2.125 points from the last accepted 7.125% (7.255% APR)" in text and "the team's step is 0.75 points" in text
    assert "conv30 quotes must be between 2% and 15%" in text
    assert ">Confirm<" in text and ">Reject<" in text
    assert body(api.http.get("/rates?product=conv30", headers=AUTH))["items"][0]["status"] == "held"

    act(api, browser, "/console/rates", {"product": "conv30", "rate": "5.0", "as_of": today, "confirm": "true"})
    items = body(api.http.get("/rates?product=conv30", headers=AUTH))["items"]
    assert [(q["rate"], q["status"]) for q in items][:1] == [(5.0, "accepted")]
    text = page_text(get(api, browser, "/console/rates"))
    assert 'class="current-rate">5.000%' in text and "Held</span>" not in text
    audit = body(api.http.get("/audit", headers=AUTH))["items"]
    assert any(a["action"] == "console /console/rates" and a["data"].get("confirm") == "true" for a in audit)


def test_a_rejected_move_leaves_the_last_rate_current_and_a_bad_figure_names_rate(api, browser):
    act(api, browser, "/console/rates", {"product": "fha30", "rate": "6.5", "as_of": "2027-03-02"})
    act(api, browser, "/console/rates", {"product": "fha30", "rate": "4.5", "as_of": "2027-03-02"})
    assert act(api, browser, "/console/rates/fha30/reject", {}).headers["Location"] == "/console/rates?done=rejected"
    items = body(api.http.get("/rates?product=fha30", headers=AUTH))["items"]
    assert [(q["rate"], q["status"]) for q in items] == [(6.5, "accepted")]
    assert act(api, browser, "/console/rates/fha30/reject", {}).status_code == 404
    resp = act(api, browser, "/console/rates", {"product": "fha30", "rate": "0.065", "as_of": "2027-03-02"})
    assert resp.status_code == 400 and "looks like a fraction" in page_text(resp)


# -- holds ------------------------------------------------------------------------------------

def test_a_held_batch_shows_its_count_who_and_what_then_release_after_a_confirmation(api, browser, guarded):
    ids, _, batch_id = rate_night(guarded, matching=4, others=6)
    text = page_text(get(api, browser, "/console/holds"))
    assert 'class="batch-count">4</span> borrowers' in text and "over the 20% limit" in text
    assert text.count("Paula") >= 4 and "What they would receive first" in text
    found = page_text(get(api, browser, "/console/holds?q=paula2"))
    assert "1 of the first 4 match" in found
    confirm = page_text(get(api, browser, f"/console/holds/{batch_id}/release"))
    assert "Release 4 borrowers?" in confirm and "Yes, release 4 borrowers" in confirm
    assert set(statuses(guarded, ids)) == {"held"}  # a GET changes nothing
    resp = act(api, browser, f"/console/holds/{batch_id}/release", {})
    assert resp.headers["Location"] == "/console/holds?done=released"
    assert set(statuses(guarded, ids)) == {"active"}
    assert guarded.holds.get(batch_id)["settled_by"] == "key:bootstrap"
    text = page_text(get(api, browser, "/console/holds"))
    assert "No mass send is held." in text and "released" in text
    assert act(api, browser, f"/console/holds/{batch_id}/discard", {}).status_code == 400  # already released


def test_discard_drops_the_batch(api, browser, guarded):
    ids, _, batch_id = rate_night(guarded, matching=4, others=6)
    assert "Discard 4 borrowers?" in page_text(get(api, browser, f"/console/holds/{batch_id}/discard"))
    act(api, browser, f"/console/holds/{batch_id}/discard", {})
    assert set(statuses(guarded, ids)) == {"discarded"}
    assert get(api, browser, "/console/holds/nope/release").status_code == 404


# -- imports ----------------------------------------------------------------------------------

def _multipart(fields: dict, file: bytes, name: str = "book.csv") -> tuple[bytes, str]:
    b = "----desk29"
    parts = [f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    parts.append(f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f'Content-Type: text/csv\r\n\r\n'.encode() + file + b"\r\n")
    return b"".join(parts) + f"--{b}--\r\n".encode(), f"multipart/form-data; boundary={b}"


def test_an_upload_shows_its_matches_runs_with_a_changed_one_and_reports_what_the_api_says(api, browser, ctx):
    data, kind = _multipart({"csrf": browser["csrf"]}, SAMPLE.read_bytes())
    resp = api.http.post("/console/imports", body=data, headers={**browser["cookie"], "Content-Type": kind})
    html = resp.body.decode()
    assert resp.status_code == 200 and "Match the columns of book.csv" in html
    selected = dict(re.findall(r'name="(col_\d+)">.*?<option value="([a-z_]*)"[^>]*selected', html, re.S))
    labels = dict(re.findall(r'<label for="col-(\d+)">([^<]+)</label>', html))
    assert labels and selected
    assert selected[f"col_{next(i for i, v in labels.items() if v == 'Borrower Email')}"] == "email"
    fields = {"data": re.search(r'name="data" value="([^"]+)"', html).group(1), "file_name": "book.csv", **selected}
    zip_col = next(i for i, v in labels.items() if v == "Subject Property Zip")
    fields[f"col_{zip_col}"] = ""  # ignore a column it matched
    resp = act(api, browser, "/console/imports/run", fields)
    assert resp.status_code == 303
    import_id = resp.headers["Location"].rsplit("/", 1)[1]
    drain_events()
    report = body(api.http.get(f"/imports/{import_id}", headers=AUTH))
    assert report["status"] == "done" and report["created"] > 0
    assert "Subject Property Zip" in report["ignored_columns"]
    text = page_text(get(api, browser, f"/console/imports/{import_id}"))
    for key in ("created", "updated", "duplicates"):
        assert f'id="n-{key}">{report[key]}<' in text
    assert f'id="n-rejected">{len(report["rejected"])}<' in text
    csv = get(api, browser, f"/console/imports/{import_id}/report.csv")
    assert csv.headers["Content-Disposition"].startswith("attachment") and b"count,,created," in csv.body
    assert api.http.post("/console/imports", body=data.replace(browser["csrf"].encode(), b"x"),
                         headers={**browser["cookie"], "Content-Type": kind}).status_code == 403


def test_a_file_without_a_name_column_is_refused_naming_it(api, browser):
    data, kind = _multipart({"csrf": browser["csrf"]}, b"Email,Zip\r\na@b.example,78701\r\n")
    resp = api.http.post("/console/imports", body=data, headers={**browser["cookie"], "Content-Type": kind})
    assert resp.status_code == 400 and "first name" in resp.body.decode()


# -- the borrower's view ----------------------------------------------------------------------

def test_the_borrowers_view_shows_inbox_and_phone_and_answers_as_the_borrower(api, auth, browser, monkeypatch):
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    from chalicelib.console import borrower

    def sent():
        ses, sns = ses_backends["123456789012"]["us-east-1"], sns_backends["123456789012"]["us-east-1"]
        return {"mail": [{"destinations": m.destinations, "raw_data": m.raw_data} for m in ses.sent_messages],
                "texts": [{"phone_number": n, "message": t} for n, t in sns.sms_messages.values()]}

    monkeypatch.setattr(borrower, "_sent", sent)
    lead_id = new_lead(api, auth, consent={"email": True, "sms": {"granted": True, "source": "web form",
                                                                  "text": "I agree to texts"}})
    runtime.cycle()
    lead_page = page_text(get(api, browser, f"/console/leads/{lead_id}"))
    assert "Borrower's view" in lead_page
    resp = get(api, browser, f"/console/leads/{lead_id}/borrower")
    text = page_text(resp)
    assert resp.status_code == 200 and "frame-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "Inbox <span class=\"count\">1</span>" in text
    mail = get(api, browser, f"/console/leads/{lead_id}/borrower/mail/1")
    assert mail.status_code == 200 and "/t/c/" in mail.body.decode() and '<base target="_blank">' in mail.body.decode()
    assert "sandbox" in mail.headers["Content-Security-Policy"] and mail.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert get(api, browser, f"/console/leads/{lead_id}/borrower/mail/9").status_code == 404

    assert act(api, browser, f"/console/leads/{lead_id}/borrower/sms", {"body": "Yes, call me after 5"}
               ).headers["Location"].endswith("done=texted")
    act(api, browser, f"/console/leads/{lead_id}/borrower/email", {"body": "Thanks, talk soon"})
    items = body(api.http.get(f"/leads/{lead_id}/timeline", headers=AUTH))["items"]
    types = [i.get("type") for i in items if i["kind"] == "event"]
    assert "sms_replied" in types and "email_replied" in types
    text = page_text(get(api, browser, f"/console/leads/{lead_id}/borrower"))
    assert '<li class="borrower">' in text and "Yes, call me after 5" in text and "Thanks, talk soon" in text
    assert act(api, browser, f"/console/leads/{lead_id}/borrower/sms", {"body": " "}).status_code == 400
    before = body(api.http.get("/_local/clock", headers=AUTH))["now"]
    assert act(api, browser, f"/console/leads/{lead_id}/borrower/clock", {"seconds": "86400"}
               ).headers["Location"].endswith("done=waited")
    assert body(api.http.get("/_local/clock", headers=AUTH))["now"][:10] > before[:10]
    assert act(api, browser, f"/console/leads/{lead_id}/borrower/clock", {"seconds": "5"}).status_code == 400


def test_the_borrowers_view_answers_404_on_a_stage_that_is_not_local(api, auth, browser, monkeypatch):
    from chalicelib.config import settings
    from chalicelib.console import borrower

    lead_id = new_lead(api, auth)
    deployed = replace(settings(), stage="dev")
    monkeypatch.setattr(borrower, "settings", lambda: deployed)
    for path in ("", "/mail/1"):
        assert get(api, browser, f"/console/leads/{lead_id}/borrower{path}").status_code == 404
    for path in ("/sms", "/email", "/clock"):
        assert act(api, browser, f"/console/leads/{lead_id}/borrower{path}", {"body": "STOP"}).status_code == 404
    types = [i.get("type") for i in body(api.http.get(f"/leads/{lead_id}/timeline", headers=AUTH))["items"]]
    assert "sms_opt_out" not in types
