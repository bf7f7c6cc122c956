"""The minute scheduler paces a burst to the team's send rate: urgent first, nothing lost or twice.

Runs on the in-memory store and queues (held to DynamoDB's behaviour by test_repo_contract.py),
so a burst of a hundred touches costs milliseconds.
"""
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.local.memory_aws import MemoryAWS
from chalicelib.sequences import engine
from chalicelib.sequences.catalog import SEQUENCES
from chalicelib.services.context import Context
from chalicelib.services.schedule import schedule_due
from chalicelib.store.writeset import WriteSet
from tests.helpers import CLOCK_START


@pytest.fixture
def world():
    stand_in = MemoryAWS()
    aws.use_stand_ins(stand_in.clients())
    s = settings()
    ctx = Context.in_memory(replace(s, team=replace(s.team, send_rates={"email_per_second": 1})))
    yield ctx, stand_in
    aws.use_stand_ins(None)


def _due_lead(ctx, n: int, due, hot: bool = False) -> None:
    lead = {"lead_id": f"lead-{n:03d}", "first_name": "Pat", "email": f"p{n}@example.com", "lo_id": "lo-1",
            "stage": "new_lead", "state": "TX", "timezone": "America/Chicago",
            "created_at": (CLOCK_START - timedelta(days=3)).isoformat(), "consent_records": []}
    ctx.leads.create(lead)
    seq = SEQUENCES["lead_nurture"]
    out = engine.enroll(seq, lead, due, f"e-{n:03d}", "test", hot=hot, start_step="how_rates_are_set")
    enrollment = {**out.enrollment, "due_at": due.isoformat()}
    enrollment["next_touch"] = engine._next_touch_preview(enrollment, seq)
    ctx.uow.commit(WriteSet([enrollment]))


from chalicelib.api.workers import touch_orders  # noqa: E402


def _queued(stand_in) -> list[tuple[str, int]]:
    """(touch id, seconds it waits on the queue) of every touch queued so far."""
    out = []
    for q in stand_in.sqs.queues.values():
        for m in list(q.ready) + list(q.hidden.values()):
            body = json.loads(m.body)
            if "touch" in body or "orders" in body:
                delay = int((m.visible_at - m_sent(m)).total_seconds()) if m.visible_at else 0
                out += [(o["touch"]["touch_id"], delay) for o in touch_orders(body)]
    return out


def m_sent(m):
    from datetime import datetime

    return datetime.fromisoformat(m.sent_at)


def test_a_burst_goes_out_at_the_rate_urgent_first_and_nothing_twice(world):
    ctx, stand_in = world
    now = CLOCK_START
    for n in range(100):
        _due_lead(ctx, n, now - timedelta(minutes=5))
    _due_lead(ctx, 100, now, hot=True)  # a hot signal, due last, goes first

    first = schedule_due(ctx, now)
    queued = _queued(stand_in)
    assert first["queued"] == 60 and first["paced"] == 41
    assert "e-100.1" in [t for t, _ in queued]
    assert sorted(d for _, d in queued) == list(range(60))  # one a second across the minute

    again = schedule_due(ctx, now + timedelta(seconds=20))  # a second run in the same minute
    assert again["queued"] == 0 and again["paced"] == 41

    later = schedule_due(ctx, now + timedelta(minutes=1))
    assert later["queued"] == 41
    ids = [t for t, _ in _queued(stand_in)]
    assert len(ids) == len(set(ids)) == 101  # every touch once, none lost
    assert schedule_due(ctx, now + timedelta(minutes=2))["queued"] == 0


def test_what_waits_is_planned_afresh_so_business_hours_still_hold(world):
    ctx, stand_in = world
    evening = CLOCK_START.replace(hour=21, minute=59)  # 16:59 in Texas: the last business minute
    for n in range(70):
        _due_lead(ctx, n, evening - timedelta(minutes=1))
    assert schedule_due(ctx, evening)["queued"] == 60
    late = schedule_due(ctx, evening + timedelta(minutes=1))  # 17:00: marketing e-mail waits for morning
    assert late["queued"] == 0 and late["deferred"] == 10
    waiting = [e for n in range(70) for e in ctx.enrollments.for_lead(f"lead-{n:03d}")
               if e["step"] == "how_rates_are_set"]
    morning = (evening + timedelta(days=1)).replace(hour=14, minute=0).isoformat()  # 9:00 in Texas
    assert len(waiting) == 10 and {e["due_at"] for e in waiting} == {morning}
