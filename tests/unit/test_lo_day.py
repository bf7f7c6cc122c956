"""The LO's day (domain/lo_day.py): classes, capacity, spreading, expiry, Today. Plain values and
a clock passed in (a Monday in March 2027, never today)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import lo_day as d

ZONE = "America/Chicago"
MON = datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)  # Monday 09:00 CST
S = d.DaySettings.of({}, 12)
QUARTERLY = {"sequence": "past_client_program", "step": "quarterly_call", "program": True}


def planner(open_tasks=(), settings=S):
    return d.Planner(lambda lo: settings, ZONE, lambda lo: list(open_tasks))


def task(n, cls, day, **kw):
    return {"task_id": f"t-{n}", "lead_id": f"L{n}", "lo_id": "lo-1", "title": f"call {n}", "priority": cls,
            "day": day, "status": "open", "created_at": MON.isoformat(), **kw}


@pytest.mark.parametrize("t, cls", [
    ({"kind": "reply"}, "answer"), ({"kind": "call", "hot": True}, "answer"),
    ({"sequence": "lead_nurture", "step": "first_call"}, "answer"),
    ({"sequence": "pipeline_progression", "step": "clear_to_close_call"}, "decisive"),
    ({"kind": "call"}, "decisive"), ({"kind": "escalation"}, "decisive"),
    ({"sequence": "refinance_opportunity", "step": "refinance_call"}, "opportunity"),
    ({"sequence": "annual_review", "step": "review_call_engaged"}, "opportunity"),
    ({"kind": "call", "priority": "opportunity"}, "opportunity"),
    (QUARTERLY, "routine"), ({"kind": "check_in"}, "routine"),
    ({"sequence": "lead_nurture", "step": "nurture_review"}, "routine"),
    ({"kind": "something new"}, "decisive"),  # unknown is never the call capacity drops
    ({"sequence": "past_client_program", "step": "quarterly_call", "priority": 40}, "routine"),  # a rank, not a class
])
def test_a_task_takes_its_class_from_why_it_exists(t, cls):
    assert d.priority_of(t) == cls


def test_settings_read_the_team_and_refuse_a_day_with_no_room():
    s = d.DaySettings.of({"reserve": 2, "grace_days": {"answer": 1}}, 8)
    assert (s.capacity, s.reserve, s.routine_room, s.grace_days["answer"], s.grace_days["decisive"]) == (8, 2, 6, 1, 3)
    assert d.DaySettings.of({}, 12).reserve == 3  # a quarter of the day by default
    with pytest.raises(ValueError):
        d.DaySettings.of({"reserve": 5}, 5)
    with pytest.raises(ValueError):
        d.DaySettings.of({}, 0)


def test_business_days_skip_the_weekend():
    fri = date(2027, 3, 5)
    assert d.add_business_days(fri, 1) == date(2027, 3, 8)
    assert d.business_day(date(2027, 3, 6)) == date(2027, 3, 8)
    # Friday 16:00 to Monday 10:00 Central: one hour on Friday, one on Monday
    assert d.business_minutes(datetime(2027, 3, 5, 22, tzinfo=timezone.utc), datetime(2027, 3, 8, 16, tzinfo=timezone.utc),
                              ZONE) == 120


def test_a_thousand_routine_calls_at_once_are_spread_within_capacity_never_on_today():
    p = planner()
    placed = [p.place("lo-1", QUARTERLY, MON) for _ in range(1000)]
    days = [x["call_day"] for x in placed if isinstance(x, dict)]
    per_day = {day: days.count(day) for day in set(days)}
    assert max(per_day.values()) == S.routine_room and MON.date().isoformat() not in per_day
    assert len(per_day) == S.program_window_days  # a quarter's calls across the quarter
    assert all(date.fromisoformat(x).weekday() < 5 for x in per_day)
    refused = [x for x in placed if isinstance(x, str)]
    assert len(refused) == 1000 - S.routine_room * S.program_window_days
    assert refused[0].startswith("lo_day_full: no room for a routine call")


def test_planning_counts_what_is_already_on_the_days():
    tomorrow = (MON.date() + timedelta(days=1)).isoformat()
    p = planner([task(n, "decisive", tomorrow) for n in range(S.routine_room)])
    assert p.place("lo-1", QUARTERLY, MON)["call_day"] == "2027-03-03"


def test_the_calls_that_cannot_wait_are_never_held_back():
    busy = [task(n, "routine", MON.date().isoformat()) for n in range(30)]
    p = planner(busy)
    for kind in ({"kind": "reply"}, {"kind": "escalation"}):
        assert p.place("lo-1", kind, MON) == {"call_class": d.priority_of(kind), "call_day": "2027-03-01"}
    # an opportunity wave is spread over a week, then skipped with the reason rather than piled
    p = planner()
    refi = {"sequence": "refinance_opportunity", "step": "refinance_call"}
    placed = [p.place("lo-1", refi, MON) for _ in range(50)]
    days = [x["call_day"] for x in placed if isinstance(x, dict)]
    assert len(days) == 5 * S.routine_room and max(days.count(x) for x in days) == S.routine_room
    assert min(days) == "2027-03-02" and max(days) == "2027-03-08"
    assert placed[-1].startswith("lo_day_full: no room for an opportunity call")


def test_a_routine_task_is_due_on_its_day_and_expires_when_its_window_closes():
    out = d.stamp({**QUARTERLY, "call_day": "2027-03-02", "call_window_end": "2027-05-21"}, MON, ZONE, S)
    assert out["priority"] == "routine" and out["day"] == "2027-03-02"
    assert out["due_at"] == "2027-03-02T23:00:00+00:00" and out["expires_at"] == "2027-05-21T22:00:00+00:00"
    reply = d.stamp({"kind": "reply", "due_at": (MON + timedelta(hours=1)).isoformat()}, MON, ZONE, S)
    assert reply["priority"] == "answer" and reply["expires_at"] == "2027-03-03T23:00:00+00:00"  # 2 business days


def test_the_review_expires_routine_escalates_decisive_and_moves_what_did_not_fit():
    tue = MON + timedelta(days=1)
    gone = tue.isoformat()
    tasks = [
        task(1, "routine", "2027-02-26", expires_at=gone, window_end="2027-02-26"),
        task(2, "decisive", "2027-02-24", expires_at=gone),
        task(3, "routine", "2027-03-01", window_end="2027-03-10", expires_at="2027-03-10T23:00:00+00:00"),
        *[task(10 + n, "answer", "2027-03-02", expires_at="2027-03-09T23:00:00+00:00") for n in range(12)],
        task(30, "routine", "2027-03-02", window_end="2027-03-03", expires_at="2027-03-03T23:00:00+00:00"),
        task(31, "routine", "2027-03-02", window_end="2027-03-02", expires_at="2027-03-02T23:00:00+00:00"),
    ]
    r = d.review(tasks, tue + timedelta(seconds=1), ZONE, S)
    assert [t["task_id"] for t, _ in r.expire][:1] == ["t-1"] and [t["task_id"] for t, _ in r.escalate] == ["t-2"]
    moves = {t["task_id"]: (day, why) for t, day, why in r.move}
    assert moves["t-3"][0] == "2027-03-03" and "not reached on Mon Mar 1" in moves["t-3"][1]
    assert moves["t-30"][0] == "2027-03-03" and "Tue Mar 2 was full (12 calls that cannot wait)" in moves["t-30"][1]
    closed = dict((t["task_id"], why) for t, why in r.expire)
    assert "no room before its window closed" in closed["t-31"]  # it never waits forever


def test_today_ranks_the_calls_that_cannot_wait_first_and_moves_routine_past_capacity():
    tasks = [task(n, "routine", "2027-03-01", due_at=f"2027-03-01T2{n % 10}:00:00+00:00") for n in range(10)]
    tasks += [task(20, "decisive", "2027-03-01"), task(21, "answer", "2027-02-26"), task(22, "opportunity", "2027-03-01"),
              task(23, "routine", "2027-03-04")]
    day = d.today(tasks, MON, ZONE, S)
    assert [d.priority_of(t) for t in day.items[:3]] == ["answer", "decisive", "opportunity"]
    assert day.used == 12 and day.capacity == 12 and day.upcoming == 1
    assert len(day.moved) == 1 and day.moved[0]["to"] == "2027-03-02" and "today is full" in day.moved[0]["reason"]
