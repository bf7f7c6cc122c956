"""Guard rails on moto (issue 17): implausible and held rates through PUT /rates and the feed, and
the mass-send circuit breaker holding a nightly run with its reason and an ops alert until a
person releases (or discards) it."""
import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from chalicelib.clock import clock
from chalicelib.local import runtime
from chalicelib.services import guard, rates, sweeps
from tests.helpers import body, drain_events

ACCOUNT, REGION = "123456789012", "us-east-1"
REFI = "refinance_opportunity"


def ops_alerts(ctx) -> list[dict]:
    from moto.sns.models import sns_backends

    topic = sns_backends[ACCOUNT][REGION].topics.get(ctx.settings.ops_topic_arn)
    return [json.loads(n[1]) for n in topic.sent_notifications] if topic else []


def refi_mail() -> list[str]:
    from moto.ses.models import ses_backends

    return [m.raw_data for m in ses_backends[ACCOUNT][REGION].sent_messages if "you could save about" in m.raw_data]


def put(api, auth, payload):
    return api.http.put("/rates", body=json.dumps(payload), headers=auth)


@pytest.fixture
def guarded(ctx, monkeypatch):
    """The stage's context with a small team's breaker (share 20%, batches of 3 leads and up)."""
    from chalicelib.services import context as context_mod

    # the year-round programs off: these clients' mail is the breaker's batch alone
    team = replace(ctx.settings.team, guard={"breaker_share": "0.20", "breaker_min_batch": 3},
                   programs={pid: {**ctx.settings.team.programs.get(pid, {}), "enabled": False}
                             for pid in ("past_client_program", "long_term_nurture")})
    small = context_mod.Context(replace(ctx.settings, team=team))
    monkeypatch.setattr(context_mod, "_ctx", small)
    return small


def past_client(ctx, n: int, rate: float, product: str = "conv30") -> str:
    from chalicelib.services.leads import create_lead

    funded = (clock.now().date() - timedelta(days=700)).isoformat()
    return create_lead(ctx, {
        "first_name": f"Paula{n}", "last_name": "Gray", "email": f"paula{n}.{rate}@example.com", "state": "TX",
        "stage": "funded", "consent": {"email": True},
        "loan": {"type": "conventional", "purpose": "purchase", "amount": 400000, "rate": rate, "term_months": 360,
                 "funded_on": funded, "property_value": 500000, "product": product}}, clock.now(), "t")["lead_id"]


def book(ctx, matching: int, others: int) -> list[str]:
    """``matching`` past clients at 7.5% (a 6.5% market is a point under them), ``others`` at 5.5%."""
    ids = [past_client(ctx, n, 7.5) for n in range(matching)]
    for n in range(others):
        past_client(ctx, 100 + n, 5.5)
    drain_events()
    return ids


def rate_night(ctx, matching: int, others: int, drain: bool = True) -> tuple[list[str], dict, str]:
    """A book, a 6.5% market and tonight's rate sweep: the matching leads, the sweep's counts and
    its batch id (refinance_opportunity, tonight)."""
    ids = book(ctx, matching, others)
    now = clock.now()
    ctx.rates.put("conv30", 6.5, now.date().isoformat(), "test")
    counts = sweeps.rates(ctx, now)
    if drain:
        drain_events()
    return ids, counts, f"rates-{now.date().isoformat()}-{REFI}"


def statuses(ctx, ids) -> list[str]:
    return sorted(e["status"] for i in ids for e in ctx.enrollments.for_lead(i) if e["sequence"] == REFI)


# -- plausible rates -----------------------------------------------------------------------------

def test_the_fat_fingered_rate_is_refused_naming_rate_and_nothing_is_stored(api, auth, ctx):
    resp = put(api, auth, {"product": "conv30", "rate": 0.6125})
    assert resp.status_code == 400
    assert list(body(resp)["fields"]) == ["rate"]
    assert "misplaced decimal point (6.125?)" in body(resp)["fields"]["rate"]
    assert body(api.http.get("/rates", headers=auth))["items"] == []
    resp = put(api, auth, {"product": "conv30", "rate": 612.5})
    assert "basis points" in body(resp)["fields"]["rate"]
    resp = put(api, auth, {"product": "conv30", "rate": 6.125, "confirm": "yes"})
    assert list(body(resp)["fields"]) == ["confirm"]


def test_a_large_move_is_held_shown_as_held_alerted_and_stored_only_when_confirmed(api, auth, ctx):
    today = clock.now().date().isoformat()
    assert body(put(api, auth, {"product": "conv30", "rate": 7.125, "as_of": today}))["status"] == "accepted"
    resp = put(api, auth, {"product": "conv30", "rate": 5.0, "as_of": today})
    assert resp.status_code == 200 and body(resp)["status"] == "held"
    assert "2.125 points down" in body(resp)["reason"]
    # the sweeps and event enrichment still read 7.125; GET /rates shows both, the held one as such
    assert ctx.rates.latest("conv30")["rate"] == 7.125
    assert rates.market_quote(ctx, "conv30", clock.now().date())["rate"] == "7.125"
    items = body(api.http.get("/rates", headers=auth))["items"]
    assert [(q["product"], q["rate"], q["status"]) for q in items] == [("conv30", 5.0, "held"),
                                                                        ("conv30", 7.125, "accepted")]
    assert body(api.http.get("/rates?product=conv30", headers=auth))["items"][0]["status"] == "held"
    [alert] = ops_alerts(ctx)
    assert alert["product"] == "conv30" and alert["rate"] == 5.0 and alert["previous_rate"] == 7.125
    assert '"confirm": true' in alert["what_to_do"]
    put(api, auth, {"product": "conv30", "rate": 5.0, "as_of": today})  # sent again: still held, no second alert
    assert len(ops_alerts(ctx)) == 1

    resp = put(api, auth, {"product": "conv30", "rate": 5.0, "as_of": today, "confirm": True})
    assert (body(resp)["status"], body(resp)["reason"]) == ("accepted", "confirmed")
    assert ctx.rates.latest("conv30")["rate"] == 5.0
    assert [q["status"] for q in body(api.http.get("/rates", headers=auth))["items"]] == ["accepted"]


def test_a_corrected_figure_replaces_a_held_one_and_a_back_fill_is_not_a_move(api, auth, ctx):
    today = clock.now().date()
    put(api, auth, {"product": "conv15", "rate": 6.0, "as_of": today.isoformat()})
    assert body(put(api, auth, {"product": "conv15", "rate": 4.0, "as_of": today.isoformat()}))["status"] == "held"
    fixed = body(put(api, auth, {"product": "conv15", "rate": 5.875, "as_of": today.isoformat()}))
    assert fixed["status"] == "accepted" and fixed["reason"] == "replaces the held 4.0%"
    assert ctx.held_rates.get("conv15") is None
    old = (today - timedelta(days=60)).isoformat()  # history from a quieter year: no sweep reads it
    assert body(put(api, auth, {"product": "conv15", "rate": 7.5, "as_of": old}))["status"] == "accepted"
    assert ctx.rates.latest("conv15")["rate"] == 5.875


# -- the feed ------------------------------------------------------------------------------------

def test_the_feeds_unit_mistakes_are_skipped_and_alerted(ctx):
    from chalicelib.rates_feed import PmmsFeed

    now = clock.now()
    week = "4/8/2027"
    good = "date,pmms30,pmms30p,pmms15,pmms15p\n4/1/2027,6.95,0.7,6.26,0.6\n"
    # the feed switched to basis points; then a column shifted: the 15-year cell holds the date
    assert rates.import_feed(ctx, PmmsFeed(fetch=lambda: good), now)["stored"] == [
        {"product": "conv15", "rate": 6.26, "as_of": "2027-04-01"}, {"product": "conv30", "rate": 6.95, "as_of": "2027-04-01"}]
    bad = good + f"{week},695.0,0.7,{week},6.26\n"
    got = rates.import_feed(ctx, PmmsFeed(fetch=lambda: bad), now)
    assert got["stored"] == [] and got["held"] == []
    problems = {s["product"]: s["problems"]["rate"] for s in got["skipped"]}
    assert "basis points (695 bp = 6.95%)" in problems["conv30"] and "looks like a date" in problems["conv15"]
    assert {a["product"] for a in ops_alerts(ctx)} == {"conv15", "conv30"}
    # last week's accepted figures stay in use
    assert (ctx.rates.latest("conv30")["rate"], ctx.rates.latest("conv15")["rate"]) == (6.95, 6.26)


def test_a_loan_amount_in_the_rate_column_is_caught_and_a_second_source_confirms_a_held_move(ctx):
    from chalicelib.rates_feed import RateQuote, StaticFeed

    now = clock.now()
    day = now.date().isoformat()
    got = rates.import_feed(ctx, StaticFeed([RateQuote("conv30", Decimal("320000"), day, "lo_export")]), now)
    assert "looks like an amount" in got["skipped"][0]["problems"]["rate"]
    ctx.rates.put("conv30", 7.125, day, "api")
    assert rates.put_rate(ctx, {"product": "conv30", "rate": 6.0, "as_of": day}, now)["status"] == "held"
    got = rates.import_feed(ctx, StaticFeed([RateQuote("conv30", Decimal("6.0"), day, "freddie_mac_pmms")]), now)
    assert got["stored"] == [{"product": "conv30", "rate": 6.0, "as_of": day}]
    assert ctx.rates.latest("conv30")["rate"] == 6.0 and ctx.held_rates.get("conv30") is None


# -- the circuit breaker -------------------------------------------------------------------------

def test_a_sweep_over_the_share_holds_its_batch_with_the_reason_and_an_alert_until_released(api, auth, guarded):
    ctx = guarded
    ids, counts, batch_id = rate_night(ctx, matching=4, others=6)  # 4 of 10 leads: 40% into one sequence
    assert ctx.book.size() == 10
    assert (counts["matched"], counts["held"]) == (4, 4)

    assert statuses(ctx, ids) == ["held"] * 4
    assert all(e["due_at"] is None for i in ids for e in ctx.enrollments.for_lead(i)
               if e["sequence"] not in ("past_client_program", "long_term_nurture"))  # the yearly program goes on
    [item] = [i for i in ctx.timeline.list(ids[0]) if i.get("kind") == "enrollment" and i["sequence"] == REFI]
    assert (item["action"], item["batch_id"], item["trigger"]) == ("held", batch_id, "external:rate_drop")
    assert "40% of the team's book of 10, over the 20% limit" in item["reason"]
    [alert] = [a for a in ops_alerts(ctx) if a.get("batch_id")]
    assert alert["leads"] == 4 and alert["book"] == 10 and f"/holds/{batch_id}/release" in alert["what_to_do"]
    # the list, the batch and the coverage audit show it
    listed = body(api.http.get("/holds", headers=auth))
    assert [(b["batch_id"], b["leads"], b["status"]) for b in listed["items"]] == [(batch_id, 4, "held")]
    assert listed["book"] == 10 and listed["breaker_share"] == 0.2
    assert body(api.http.get(f"/holds/{batch_id}", headers=auth))["reason"] == item["reason"]
    assert body(api.http.get("/holds?status=nope", headers=auth))["fields"] == {
        "status": "must be one of held, released, discarded, counted, all"}
    coverage = body(api.http.get("/analytics/coverage", headers=auth))
    assert [b["batch_id"] for b in coverage["held_batches"]] == [batch_id]

    # days go by: nothing is sent, the next nights do not enroll them again
    runtime.advance(3 * 86400)
    assert refi_mail() == [] and statuses(ctx, ids) == ["held"] * 4
    assert not [t for t in ctx.touches.for_lead(ids[0]) if t["sequence"] == REFI]

    resp = api.http.post(f"/holds/{batch_id}/release", body=json.dumps({"by": "dana"}), headers=auth)
    assert resp.status_code == 200, resp.body
    assert (body(resp)["status"], body(resp)["released"], body(resp)["settled_by"]) == ("released", 4, "key:bootstrap")
    assert statuses(ctx, ids) == ["active"] * 4
    assert [i["action"] for i in ctx.timeline.list(ids[0])
            if i.get("kind") == "enrollment" and i["sequence"] == REFI] == ["held", "enrolled"]
    runtime.advance(2 * 86400)
    assert len(refi_mail()) == 4
    assert body(api.http.get("/holds", headers=auth))["items"] == []
    assert body(api.http.post(f"/holds/{batch_id}/discard", headers=auth)).get("error") == "conflict"
    assert api.http.post("/holds/nope/release", headers=auth).status_code == 404


def test_a_discarded_batch_sends_nothing_and_gives_the_leads_back_their_next_offer(api, auth, guarded):
    ctx = guarded
    now = clock.now()
    ids, _, batch_id = rate_night(ctx, matching=4, others=6)
    assert ctx.leads.get(ids[0]).get("refi_enrolled_at")          # the trigger remembered its offer
    resp = api.http.post(f"/holds/{batch_id}/discard", headers=auth)
    assert body(resp)["status"] == "discarded" and body(resp)["discarded"] == 4
    assert statuses(ctx, ids) == ["discarded"] * 4
    lead = ctx.leads.get(ids[0])
    assert "refi_enrolled_at" not in lead and "refi_snapshot" not in lead   # put back: no cooldown
    runtime.advance(2 * 86400)
    assert refi_mail() == []
    # the next night the same rate matched them again: a new run, held again (still 40% of the book)
    again = ctx.holds.get(f"rates-{(now + timedelta(days=1)).date().isoformat()}-{REFI}")
    assert (again["status"], again["leads"]) == ("held", 4)
    assert statuses(ctx, ids) == ["discarded"] * 4 + ["held"] * 4


def test_a_run_under_the_share_goes_and_a_rerun_of_a_held_night_counts_nothing_twice(guarded):
    ctx = guarded
    ids, counts, batch_id = rate_night(ctx, matching=2, others=8)  # 20%: within the share
    assert counts["held"] == 0 and statuses(ctx, ids) == ["active"] * 2
    batch = ctx.holds.get(batch_id)
    assert (batch["status"], batch["leads"]) == ("counted", 2)
    sweeps.rates(ctx, clock.now())                # the same night again
    assert ctx.holds.get(batch["batch_id"])["leads"] == 2


def test_transactional_sequences_are_never_held(guarded):
    ctx = guarded
    events = [{"event_id": f"e{n}", "lead_id": f"L{n}", "type": "x", "data": {}, "at": clock.now().isoformat(),
               "source": "t", "correlation_id": "c"} for n in range(50)]
    got = guard.hold_or_enroll(ctx, events, run="import-1", part="p1", now=clock.now(),
                               sequence="pipeline_progression")
    assert (got["published"], got["held"]) == (50, 0)
    assert ctx.holds.get("import-1-pipeline_progression") is None
    got = guard.hold_or_enroll(ctx, events, run="import-1", part="p1", now=clock.now(), sequence="lead_nurture")
    assert got["held"] == 50 and got["batches"] == ["import-1-lead_nurture"]


def test_a_batch_released_before_its_events_run_enrolls_them_as_usual(guarded):
    ctx = guarded
    ids, _, batch_id = rate_night(ctx, matching=4, others=6, drain=False)  # held and queued, not yet run
    guard.release(ctx, batch_id, clock.now())
    drain_events()
    assert statuses(ctx, ids) == ["active"] * 4


def test_a_large_batch_is_released_page_by_page_through_the_events_queue(guarded, monkeypatch):
    ctx = guarded
    ids, _, batch_id = rate_night(ctx, matching=5, others=5)
    monkeypatch.setattr(guard, "MEMBERS_PER_CALL", 2)
    got = guard.release(ctx, batch_id, clock.now())
    assert got["continuing"] and got["released"] == 2
    drain_events()                                # guard_page continuations settle the rest
    assert statuses(ctx, ids) == ["active"] * 5
    assert ctx.holds.get(got["batch_id"])["released"] == 5


def test_a_stack_older_than_the_book_counter_is_recounted_from_its_leads(guarded, capsys):
    """Upgrade path: leads written before the counter existed are not in it; the hold says how to
    count them, and ``make recount-book`` (run by ``make deploy``) sets it from the by_stage index."""
    from chalicelib import cli
    from chalicelib.store.guard import BOOK, GuardModel

    ctx = guarded
    book(ctx, matching=3, others=4)
    GuardModel(BOOK, "leads").delete()  # as on a stack deployed before the counter
    ctx.book.add(1)                     # one lead created since the upgrade
    assert ctx.book.state() == (1, None)
    now = clock.now()
    ctx.rates.put("conv30", 6.5, now.date().isoformat(), "test")
    sweeps.rates(ctx, now)
    held = ctx.holds.get(f"rates-{now.date().isoformat()}-{REFI}")
    assert held["status"] == "held" and "make recount-book STAGE=<team>" in held["reason"]

    assert cli.main(["recount-book", "--stage", "local"]) == 0
    assert "7 leads (the counter said 1; last recounted never)" in capsys.readouterr().out
    size, recounted_at = ctx.book.state()
    assert size == 7 and recounted_at
