"""The year simulator, cut short: the real engine on the virtual clock for a few dozen synthetic
borrowers, then the audit of every send against the contact rules (sim/audit.py).

Its figures (how many opens, which sequences) depend on the seeded people; the audit must be
clean whatever they do."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.clock import clock
from sim.audit import audit
from sim.run import simulate


@pytest.fixture
def timeline_reset():
    yield
    from chalicelib.local import runtime

    runtime.reset()


def test_six_weeks_of_synthetic_borrowers_break_no_contact_rule(aws, timeline_reset):
    # from late February: crosses the March DST change and a month end
    result = simulate(leads=24, days=42, seed=5, start_at=datetime(2026, 2, 23, 15, 0, tzinfo=timezone.utc))
    assert result["audit"]["total"] == 0, result["audit"]
    sent = result["sent_by_channel"]
    assert sent.get("email", 0) > 20 and sent.get("sms", 0) > 5 and sent.get("task", 0) > 0
    people = result["people"]
    assert people["human_opens"] > 0 and people["apple_proxy_fetches"] > 0
    # Apple's proxy fetches are recorded, as machine opens, and never as human ones
    assert result["opens_recorded"]["machine"] >= people["apple_proxy_fetches"]
    assert result["opens_recorded"]["human"] <= people["human_opens"]
    assert "lead_nurture" in result["sent_by_sequence"]
    assert not any(status in ("sending", "retrying") for status in result["touches_by_final_status"])


def _touch(touch_id, channel, at, kind="marketing", **extra):
    return {"touch_id": touch_id, "lead_id": "L", "channel": channel, "kind": kind, **extra,
            "history": [{"status": "sent", "at": at}]}


def test_the_audit_catches_what_it_looks_for():
    lead = {"L": {"state": "FL", "phone": "+13055550100", "timezone": "America/New_York",
                  "consent_records": [{"channel": "sms", "granted": True, "at": "2026-01-01T00:00:00+00:00"},
                                      {"channel": "sms", "granted": False, "at": "2026-03-05T00:00:00+00:00"}],
                  "suppressed": {"email": {"reason": "opted_out", "at": "2026-03-01T00:00:00+00:00"}}}}
    touches = [
        _touch("night", "sms", "2026-03-02T02:30:00+00:00"),                     # 21:30 in Miami
        _touch("e1", "email", "2026-03-02T15:00:00+00:00"),                      # after the unsubscribe
        _touch("s1", "sms", "2026-03-03T15:00:00+00:00", hot=True),              # a day after e1: hot, fine
        _touch("s2", "sms", "2026-03-03T16:00:00+00:00", hot=True),
        _touch("s3", "sms", "2026-03-03T17:00:00+00:00", hot=True),
        _touch("s4", "sms", "2026-03-03T18:00:00+00:00", hot=True),              # a fourth in 24 h in Florida
        _touch("s5", "sms", "2026-03-06T18:00:00+00:00"),                        # after STOP; 3 days on
        _touch("kw", "sms", "2026-03-05T00:00:05+00:00", kind="transactional", sequence="system"),  # STOP reply
    ]
    from collections import Counter

    found = audit(touches, lead, Counter({"e1": 2}))["violations"]
    assert found == {"calling_hours": 1, "opted_out_email": 1, "state_daily_limit": 1, "consent": 1,
                     "cap": 1, "sent_twice": 1}


def test_the_same_seed_gives_the_same_year(timeline_reset):
    """The in-memory run twice: ids, jitter and the held clock come from the seed, not the machine."""
    from sim.run import simulate_in_memory

    start = datetime(2027, 3, 1, 15, 0, tzinfo=timezone.utc)
    runs = [simulate_in_memory(leads=10, days=40, seed=11, start_at=start) for _ in range(2)]
    for run in runs:
        run.pop("wall_seconds")
    assert runs[0] == runs[1]
    assert runs[0]["sent_by_channel"].get("email", 0) > 10


def test_two_sends_at_the_same_instant_are_audited_not_compared_as_dicts():
    lead = {"L": {"state": "TX", "timezone": "America/Chicago", "consent_records": []}}
    touches = [_touch("a", "email", "2026-03-02T15:00:00+00:00", kind="transactional"),
               _touch("b", "email", "2026-03-02T15:00:00+00:00", kind="transactional")]
    from collections import Counter

    assert audit(touches, lead, Counter())["total"] == 0
