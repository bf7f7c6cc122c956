"""Pacing sends to the team's provider limits: pure."""
from chalicelib.domain import pacing


def _send(channel="email", due="2027-04-13T14:00:00+00:00", **kw):
    return {"channel": channel, "due_at": due, **kw}


def test_a_minute_allows_the_rate_times_sixty_per_channel():
    assert pacing.per_minute({"email_per_second": 14, "sms_per_second": 3}, sms_numbers=2) == \
        {"email": 840, "sms": 360, "voice": 60}
    assert pacing.per_minute(None)["email"] == 14 * 60


def test_urgent_plans_go_first_then_the_longest_waiting():
    plans = [[_send(due="2027-04-13T14:00:00+00:00")],            # marketing, oldest
             [_send(due="2027-04-13T14:05:00+00:00", hot=True)],  # hot, newer
             [_send(due="2027-04-13T13:00:00+00:00")],            # marketing, older still
             [_send("task")]]                                     # tasks are not rate-limited
    released, left = pacing.release(plans, {"email": 2, "sms": 0, "voice": 0})
    assert released == [1, 2, 3] and left["email"] == 0


def test_a_lead_plan_goes_whole_or_waits_and_a_smaller_one_may_still_fit():
    plans = [[_send(), _send("sms")], [_send()]]
    released, left = pacing.release(plans, {"email": 5, "sms": 0, "voice": 0})
    assert released == [1] and left == {"email": 4, "sms": 0, "voice": 0}


def test_transactional_and_immediate_count_as_urgent():
    assert pacing.urgent({"kind": "transactional"}) and pacing.urgent({"immediate": True})
    assert not pacing.urgent({"kind": "marketing"})


def test_delays_spread_a_minute_of_sends_at_the_rate_per_second():
    orders = [_send() for _ in range(30)] + [_send("sms") for _ in range(3)] + [_send("task")]
    d = pacing.delays(orders, {"email_per_second": 14, "sms_per_second": 1})
    assert d[:14] == [0] * 14 and d[14:28] == [1] * 14 and d[28:30] == [2, 2]
    assert d[30:33] == [0, 1, 2] and d[33] == 0
    per_second = {}
    for o, s in zip(orders, d):
        if o["channel"] == "email":
            per_second[s] = per_second.get(s, 0) + 1
    assert max(per_second.values()) <= 14
