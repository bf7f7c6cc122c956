"""The LO's day on moto: a thousand imported past clients for one LO never pile their routine
calls on a day beyond the LO's capacity; Today answers ranked, with the capacity used; the
nightly review closes and escalates. The clock starts at the suite's fixed instant."""
from collections import Counter
from datetime import date, timedelta

import pytest

from chalicelib.clock import clock
from chalicelib.local import runtime
from tests.helpers import body, drain_events

AUTH = {"Authorization": "Bearer test-token"}
HEADER = ("Loan Number,Borrower First Name,Borrower Last Name,Borrower Email,Subject Property State,Loan Type,"
          "Loan Purpose,Loan Amount,Note Rate,Loan Term,Funding Date,Current Milestone,Loan Officer\n")


def _book(n: int) -> bytes:
    rows = [f"LD-{i:05d},Pat,Client{i},pat.client{i}@example.com,TX,Conventional,Purchase,300000,6.5,360,"
            f"{2019 + i % 5}-0{1 + i % 9}-1{i % 10},Funding,Jordan Reyes" for i in range(n)]
    return (HEADER + "\n".join(rows) + "\n").encode()


@pytest.fixture
def fast_transactions(monkeypatch):
    """The local stack's per-item rollback (chalicelib/local/standin.py, as `make run` has it): the
    thousand-row import then takes seconds, not minutes; moto goes back as shipped afterwards."""
    from moto.dynamodb import models

    from chalicelib.local import standin

    monkeypatch.setattr(models, "copy", models.copy)
    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", models.DynamoDBBackend.transact_write_items)
    standin.install()


def test_a_thousand_imported_past_clients_never_pile_routine_calls_beyond_capacity(fast_transactions, api, ctx):
    from chalicelib.services.lo_day import settings_of

    resp = api.http.post("/imports?file=book.csv", body=_book(1000), headers={**AUTH, "Content-Type": "text/csv"})
    assert resp.status_code == 202, resp.body
    drain_events()
    report = body(api.http.get(f"/imports/{body(resp)['import_id']}", headers=AUTH))
    assert report["status"] == "done" and report["created"] == 1000, report
    runtime.advance(12 * 86400)  # every imported client's program reaches its quarterly call
    tasks = ctx.tasks.list("lo-1", None, limit=100000)
    routine = Counter(t["day"] for t in tasks if t.get("priority") == "routine")
    capacity = settings_of(ctx.settings.team, "lo-1").capacity
    # more routine calls than one day holds, spread over days, none with more than capacity
    assert sum(routine.values()) > capacity and len(routine) > 1, routine
    assert max(routine.values()) <= capacity, routine.most_common(3)
    assert all(date.fromisoformat(day).weekday() < 5 for day in routine)


def test_today_lists_the_decisive_calls_first_with_the_capacity_used(api, ctx):
    from chalicelib.services.lo_day import stamp

    now = clock.now()
    tomorrow = now + timedelta(days=1)
    for n, (kind, extra) in enumerate([("check_in", {}), ("call", {}), ("reply", {"hot": True})]):
        ctx.tasks.put(stamp(ctx, {"task_id": f"t-today-{n}", "lead_id": f"L{n}", "lo_id": "lo-1", "kind": kind,
                                  "title": f"{kind} {n}", "status": "open", "created_at": now.isoformat(),
                                  "due_at": now.isoformat(), "call_day": now.date().isoformat(), **extra}, now))
    got = body(api.http.get("/tasks/today?lo_id=lo-1", headers={**AUTH, "Content-Type": "application/json"}))
    assert [t["priority"] for t in got["items"]] == ["answer", "decisive", "routine"]
    assert got["used"] == 3 and got["capacity"] == 12
    assert api.http.get("/tasks/today?lo_id=nobody", headers=AUTH).status_code == 400
    assert api.http.post("/tasks/t-today-0/snooze", headers=AUTH).status_code == 200
    later = body(api.http.get("/tasks/today?lo_id=lo-1", headers=AUTH))
    assert [t["task_id"] for t in later["items"]] == ["t-today-2", "t-today-1"] and later["upcoming"] == 1
    assert ctx.tasks.get("t-today-0")["snoozed_by"] == "key:bootstrap"
    clock.start_at(tomorrow + timedelta(days=20))  # past every grace and window: the review ends them all
    from chalicelib.services.lo_day import review_days

    counts = review_days(ctx, clock.now())
    assert counts["escalated"] == 2 and counts["expired"] >= 1
    esc = ctx.tasks.list("lo-mgr", "open")
    assert {t["escalated_from"] for t in esc} == {"t-today-1", "t-today-2"}
    assert all(t["priority"] == "decisive" for t in esc)
    closed = ctx.tasks.get("t-today-1")
    assert closed["status"] == "expired" and "escalated to Dana Whitfield" in closed["reason"]
    assert ctx.tasks.get("t-today-0")["status"] == "expired"  # routine: closed, with its reason
    assert [i["status"] for i in ctx.timeline.list("L0") if i.get("kind") == "task"] == ["expired"]
