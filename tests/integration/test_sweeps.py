"""The nightly sweeps on moto: they read what matches (never the table), fan out through the events
queue in pages, and a second run of the same night changes nothing. Plus rates and the PMMS feed."""
import json
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.clock import clock
from chalicelib.services import sweeps
from tests.helpers import body, drain_events

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SWEEPS = ("anniversaries", "birthdays", "wakeups", "rates")
MATCHES = {"anniversaries": 4, "birthdays": 3, "wakeups": 5, "rates": 4}


def years_ago(d: date, n: int) -> str:
    return d.replace(year=d.year - n).isoformat()


def put_lead(ctx, stage="new_lead", created_at=None, **fields) -> dict:
    lead_id = uuid.uuid4().hex
    lead = {"lead_id": lead_id, "first_name": "Pat", "last_name": "Lee", "email": f"{lead_id}@example.com",
            "timezone": "America/Chicago", "state": "TX", "lo_id": "lo-1", "stage": stage,
            "created_at": created_at or clock.now().isoformat(), "consent_records": [
                {"channel": "email", "granted": True, "at": "2024-01-01T00:00:00+00:00", "source": "form", "text": ""}],
            **fields}
    return ctx.leads.create(lead)


def funded_loan(funded_on: str, rate: float, product: str = "conv30") -> dict:
    return {"type": "conventional", "amount": 400000.0, "rate": rate, "term_months": 360, "funded_on": funded_on,
            "product": product, "property_value": 480000.0}


def populate_matches(ctx, now: datetime) -> dict:
    """The same matching leads every time: a fixed count per sweep."""
    today = now.date()
    ids = {k: [] for k in SWEEPS}
    for n in range(1, 5):      # funded 1..4 years ago today, note rates the market does not beat
        ids["anniversaries"].append(put_lead(ctx, "funded", loan=funded_loan(years_ago(today, n), 6.25))["lead_id"])
    put_lead(ctx, "funded", loan=funded_loan(today.isoformat(), 6.25))  # funded today: no anniversary yet
    for n in range(3):
        ids["birthdays"].append(put_lead(ctx, birthday=years_ago(today, 30 + n))["lead_id"])
    month_ago = (now - timedelta(days=30)).isoformat()
    for n in range(3):         # no contact for 30 days
        ids["wakeups"].append(put_lead(ctx, created_at=month_ago, last_contact_at=month_ago)["lead_id"])
    submitted = (now - timedelta(days=5)).isoformat()
    for n in range(2):         # submitted 5 days ago, nobody followed up
        ids["wakeups"].append(put_lead(ctx, "application_submitted", created_at=submitted, stage_changed_at=submitted,
                                       last_contact_at=submitted)["lead_id"])
    two_years = (today - timedelta(days=700)).isoformat()
    for n in range(4):         # note rate 7.5% vs a 6.5% market
        ids["rates"].append(put_lead(ctx, "funded", loan=funded_loan(two_years, 7.5))["lead_id"])
    return ids


def populate_others(ctx, now: datetime, count: int) -> None:
    """Leads no sweep must touch tonight, spread over the very indexes the sweeps read: funded on
    other days, born on other days, waking on other days, note rates below the threshold."""
    today = now.date()
    for i in range(count):
        other_day = today + timedelta(days=1 + i % 300)
        kind = i % 3
        if kind == 0:
            put_lead(ctx, "funded", loan=funded_loan(years_ago(other_day, 1 + i % 5), 6.0 + (i % 5) * 0.25),
                     birthday=years_ago(other_day, 40))
        elif kind == 1:
            put_lead(ctx, created_at=(now - timedelta(days=i % 29)).isoformat(), birthday=years_ago(other_day, 35))
        else:
            put_lead(ctx, "funded", loan=funded_loan(years_ago(other_day, 2), 6.5, product="conv15"))


def run_all(ctx, now: datetime) -> dict:
    return {name: getattr(sweeps, name)(ctx, now, page_size=100) for name in SWEEPS}


@pytest.fixture
def no_lead_scans(monkeypatch):
    """A Scan during a sweep is a defect (leads or rate history): make one fail loudly."""
    from chalicelib.store.models import LeadModel, RateModel

    def refuse(*a, **kw):
        raise AssertionError("a sweep scanned a table")

    monkeypatch.setattr(LeadModel, "scan", refuse)
    monkeypatch.setattr(RateModel, "scan", refuse)


def test_items_read_grow_with_matches_not_with_the_table(ctx, no_lead_scans):
    now = clock.now()
    ctx.rates.put("conv30", 6.5, (now.date() - timedelta(days=1)).isoformat(), "test")
    populate_matches(ctx, now)
    n = 40
    populate_others(ctx, now, n)
    small = run_all(ctx, now)
    populate_others(ctx, now, 9 * n)          # now 10N leads around the same matches
    large = run_all(ctx, now)
    figures = {name: (small[name]["items_read"], large[name]["items_read"]) for name in SWEEPS}
    print("\nitems read, N vs 10N leads:", json.dumps(figures))
    for name in SWEEPS:
        a, b = figures[name]
        assert small[name]["matched"] == large[name]["matched"] == MATCHES[name], name
        assert a >= MATCHES[name] and abs(b - a) <= 0.1 * a, (name, a, b)


def test_a_nights_sweeps_enroll_task_and_fan_out_in_pages(ctx):
    now = clock.now()
    ctx.rates.put("conv30", 6.5, now.date().isoformat(), "test")
    ids = populate_matches(ctx, now)
    # two leads per page and one page per invocation: every partition continues through the queue
    counts = {name: getattr(sweeps, name)(ctx, now, page_size=2, max_pages=1) for name in SWEEPS}
    assert all(c["continued"] == 1 for c in counts.values()), counts
    drain_events()  # the continuations read on, page after page, and the events run the triggers
    for lead_id in ids["anniversaries"]:  # (past clients on file joined the year-round program when created)
        assert sorted(e["sequence"] for e in ctx.enrollments.for_lead(lead_id)) == ["annual_review",
                                                                                  "past_client_program"]
    for lead_id in ids["birthdays"]:
        assert [e["sequence"] for e in ctx.enrollments.for_lead(lead_id)] == ["birthday"]
    for lead_id in ids["wakeups"]:
        tasks = ctx.tasks.list(None, "open", lead_id=lead_id)
        assert [t["kind"] for t in tasks] in (["check_in"], ["call"]), tasks
        lead = ctx.leads.get(lead_id)
        assert lead.get("stalled_nudged_at") or lead.get("no_contact_check_in_at")
    for lead_id in ids["rates"]:
        lead = ctx.leads.get(lead_id)
        assert [e["sequence"] for e in ctx.enrollments.for_lead(lead_id)] == ["refinance_opportunity"]
        assert Decimal(lead["refi_snapshot"]["monthly_savings"]) > 100 and lead["refi_armed_rate"] == "6.5"
    before = {i: len(ctx.timeline.list(i)) for group in ids.values() for i in group}

    # the same night again: the same event ids, so every lead skips them
    for name in SWEEPS:
        getattr(sweeps, name)(ctx, now)
    drain_events()
    assert {i: len(ctx.timeline.list(i)) for i in before} == before

    # the next night: nobody's anniversary or birthday, wake-ups moved on, refinance cooling down
    tomorrow = now + timedelta(days=1)
    nxt = {name: getattr(sweeps, name)(ctx, tomorrow) for name in SWEEPS}
    assert all(c["events"] == 0 for c in nxt.values()), nxt
    assert nxt["rates"]["items_read"] == MATCHES["rates"]


def test_a_rate_without_a_fresh_quote_sweeps_nothing(ctx):
    now = clock.now()
    populate_matches(ctx, now)
    assert sweeps.rates(ctx, now)["products"] == 0
    ctx.rates.put("conv30", 6.5, (now.date() - timedelta(days=30)).isoformat(), "test")
    got = sweeps.rates(ctx, now)
    assert got["stale_products"] == 1 and got["items_read"] == 0


def test_the_nightly_sweeps_are_eventbridge_schedules_the_local_worker_runs():
    from app import app
    from chalicelib.api import sweeps as handlers

    crons = {e.name: e.schedule_expression.to_string() for e in app.event_sources if e.name.startswith("sweep_")}
    assert crons == {name: "cron(0 7 * * ? *)" for name in
                     ("sweep_anniversaries", "sweep_birthdays", "sweep_wakeups", "sweep_rates", "sweep_counters",
                      "sweep_lo_days")}
    assert [f.func.__name__ for f in handlers.NIGHTLY] == list(crons)


def test_sweep_events_have_deterministic_ids_per_sweep_lead_and_day():
    assert sweeps.event_id("anniversary", "L1", "2026-12-01") == sweeps.event_id("anniversary", "L1", "2026-12-01")
    assert len({sweeps.event_id(k, lead, d) for k in ("anniversary", "birthday") for lead in ("L1", "L2")
                for d in ("2026-12-01", "2026-12-02")}) == 8


# -- rates -------------------------------------------------------------------------------------

def test_put_and_get_rates(api, auth):
    resp = api.http.put("/rates", body=json.dumps({"product": "conv30", "rate": 6.125, "as_of": "2026-11-20"}),
                        headers=auth)
    assert resp.status_code == 200, resp.body
    assert body(resp) == {"product": "conv30", "rate": 6.125, "as_of": "2026-11-20", "source": "api",
                          "status": "accepted"}
    api.http.put("/rates", body=json.dumps({"product": "conv30", "rate": "6.0", "as_of": "2026-11-27"}), headers=auth)
    api.http.put("/rates", body=json.dumps({"product": "conv15", "rate": 5.5, "as_of": "2026-11-27"}), headers=auth)
    history = body(api.http.get("/rates?product=conv30", headers=auth))["items"]
    assert [(h["as_of"], h["rate"]) for h in history] == [("2026-11-27", 6.0), ("2026-11-20", 6.125)]
    latest = body(api.http.get("/rates", headers=auth))["items"]
    assert {(q["product"], q["rate"]) for q in latest} == {("conv30", 6.0), ("conv15", 5.5)}
    # back-filling an older week adds history but does not replace today's rate
    api.http.put("/rates", body=json.dumps({"product": "conv30", "rate": 7.1, "as_of": "2026-11-13"}), headers=auth)
    assert len(body(api.http.get("/rates?product=conv30", headers=auth))["items"]) == 3
    latest = body(api.http.get("/rates", headers=auth))["items"]
    assert {(q["product"], q["rate"], q["as_of"]) for q in latest} == {
        ("conv30", 6.0, "2026-11-27"), ("conv15", 5.5, "2026-11-27")}
    assert api.http.get("/rates?product=conv30").status_code == 401


def test_bad_rates_are_named(api, auth):
    resp = api.http.put("/rates", body=json.dumps({"product": "30 YR", "rate": -1, "as_of": "11/27/2026",
                                                   "colour": "red"}), headers=auth)
    assert resp.status_code == 400
    assert set(body(resp)["fields"]) == {"product", "rate", "as_of", "colour"}
    future = (clock.now().date() + timedelta(days=10)).isoformat()
    resp = api.http.put("/rates", body=json.dumps({"product": "conv30", "rate": True, "as_of": future}), headers=auth)
    assert set(body(resp)["fields"]) == {"rate", "as_of"}
    assert api.http.put("/rates", body="{nope", headers=auth).status_code == 400
    assert body(api.http.get("/rates?product=BAD!", headers=auth))["fields"] == {
        "product": "must be a short product code such as conv30"}


# -- the PMMS feed -----------------------------------------------------------------------------

def test_the_pmms_file_parses_into_conv30_and_conv15_quotes():
    from chalicelib.rates_feed import PmmsFeed, RateQuote

    feed = PmmsFeed(fetch=lambda: (FIXTURES / "pmms.csv").read_text())
    assert feed.latest() == [RateQuote("conv15", Decimal("6.26"), "2026-09-17", "freddie_mac_pmms"),
                             RateQuote("conv30", Decimal("6.95"), "2026-09-17", "freddie_mac_pmms")]
    history = feed.history()
    assert history[0] == RateQuote("conv30", Decimal("7.33"), "1971-04-02", "freddie_mac_pmms")
    assert not [q for q in history if q.product == "conv15" and q.as_of < "1991-01-01"]  # blanks are no figure
    assert not [q for q in history if q.as_of == "2026-09-24"]                           # the unpublished week


def test_the_pmms_parser_sorts_by_date_and_refuses_an_error_page():
    from chalicelib.rates_feed import FeedError, PmmsFeed, parse_pmms

    text = "date,pmms30,pmms30p,pmms15,pmms15p\n9/3/2026,6.71,,6.04,\n8/27/2026,6.66,,5.98,\n1/1/2026,0,,,\n"
    assert [(q.as_of, q.product) for q in parse_pmms(text)] == [
        ("2026-08-27", "conv15"), ("2026-08-27", "conv30"), ("2026-09-03", "conv15"), ("2026-09-03", "conv30")]
    with pytest.raises(FeedError):
        parse_pmms("<html>Access denied</html>")
    with pytest.raises(FeedError):
        PmmsFeed(fetch=lambda: "date,pmms30\n9/24/2026,\n").latest()


def test_a_feed_import_stores_the_latest_quotes(ctx):
    from chalicelib.rates_feed import PmmsFeed
    from chalicelib.services import rates

    now = datetime.fromisoformat("2026-09-18T12:00:00+00:00")
    feed = PmmsFeed(fetch=lambda: (FIXTURES / "pmms.csv").read_text())
    assert rates.import_feed(ctx, feed, now)["stored"] == [
        {"product": "conv15", "rate": 6.26, "as_of": "2026-09-17"}, {"product": "conv30", "rate": 6.95, "as_of": "2026-09-17"}]
    rates.import_feed(ctx, feed, now)  # the same week again: replaced, not added
    assert [q["as_of"] for q in rates.history(ctx, "conv30")] == ["2026-09-17"]
    assert rates.market_quote(ctx, "conv30", date(2026, 9, 20)) == {"product": "conv30", "rate": "6.95",
                                                                   "as_of": "2026-09-17"}
    assert rates.market_quote(ctx, "conv30", date(2026, 10, 20)) is None  # stale
    lead = {"loan": {"product": "conv30"}}
    assert rates.with_market(ctx, lead, "credit_pull", {}, date(2026, 9, 20))["market"]["rate"] == "6.95"
    assert rates.with_market(ctx, lead, "email_opened", {}, date(2026, 9, 20)) == {}


# -- external events through the events API ----------------------------------------------------

@pytest.fixture
def saturday_morning():
    """09:00 on a Saturday in Texas: a marketing email would wait for Monday, a hot one does not."""
    from datetime import timezone

    at = datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc)
    clock.start_at(at)
    yield at


def test_a_credit_pull_with_todays_rate_is_a_hot_call_and_the_savings_email_at_once(ctx, saturday_morning):
    import email
    from email import policy

    from moto.ses.models import ses_backends

    from chalicelib.local import runtime
    from chalicelib.services import rates
    from chalicelib.services.leads import create_lead, ingest_event

    now = clock.now()
    lead = create_lead(ctx, {"first_name": "Aisha", "last_name": "Khan", "email": "aisha@example.com", "state": "TX",
                             "stage": "funded", "consent": {"email": True},
                             "loan": {"type": "conventional", "amount": 400000, "rate": 7.0, "term_months": 360,
                                      "funded_on": "2024-06-10", "product": "conv30"}}, now, "t")
    ctx.rates.put("conv30", 6.5, "2026-12-03", "test")
    data = rates.with_market(ctx, lead, "credit_pull", {}, now.date())  # what the events API would attach
    assert data["market"]["rate"] == "6.5"
    assert ingest_event(ctx, lead["lead_id"], {"type": "credit_pull", "data": data}, now, "t")
    runtime.cycle()  # the event, then the minute scheduler, then delivery

    tasks = ctx.tasks.list(None, "open", lead_id=lead["lead_id"])
    assert [(t["kind"], t["hot"]) for t in tasks] == [("call", True)]
    assert datetime.fromisoformat(tasks[0]["due_at"]) - now == timedelta(minutes=60)
    # (the year-round program the past client joined when created sends nothing this soon)
    [enrollment] = [e for e in ctx.enrollments.for_lead(lead["lead_id"]) if e["sequence"] != "past_client_program"]
    assert (enrollment["sequence"], enrollment["hot"], enrollment["trigger"]) == (
        "refinance_opportunity", True, "external:credit_pull")
    savings = ctx.leads.get(lead["lead_id"])["refi_snapshot"]["monthly_savings_fmt"]
    mail = [email.message_from_string(m.raw_data, policy=policy.default)
            for m in ses_backends["123456789012"]["us-east-1"].sent_messages]
    assert [str(m["Subject"]) for m in mail] == [f"Aisha, you could save about {savings} a month"]
    text = mail[0].get_body(preferencelist=("plain",)).get_content()
    assert "credit" not in text.lower().replace("credit approval", "")  # never a word about the inquiry
