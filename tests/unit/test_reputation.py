"""Sender reputation's rules (domain/reputation.py) and clean lists in (domain/addresses.py)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import addresses
from chalicelib.domain import reputation as rep

T0 = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
S = rep.settings_of({})


def _days(*rows, today=T0.date()):
    """rows newest first: today, yesterday..."""
    return {(today - timedelta(days=n)).isoformat(): row for n, row in enumerate(rows)}


def test_ten_hard_bounces_in_about_a_hundred_sends_trip_the_brake_with_the_reason():
    verdict = rep.judge(_days({"sent": 123, "hard_bounces": 10}), T0.date(), S)
    assert verdict.over and verdict.bounces.judged and verdict.bounces.days == 7
    assert "bounce rate 8.1% over 123 sends" in verdict.reason
    state = rep.next_state(None, verdict, T0, S)
    assert state["state"] == "braked" and state["reason"] == verdict.reason


def test_a_small_sample_is_widened_and_judged_short_of_it_only_when_the_sample_could_not_absorb_it():
    few = rep.judge(_days({"sent": 20, "hard_bounces": 2}), T0.date(), S)
    assert not few.over and not few.bounces.judged  # 10% of 20 says little: 2 of 100 would be fine
    # three dead addresses in the first twenty: even a hundred sends would read 3%, over the line
    assert rep.judge(_days({"sent": 20, "hard_bounces": 3}), T0.date(), S).over
    # 60 sends this week, 60 a fortnight ago: the window widens to reach 100
    wide = rep.rate_over(_days({"sent": 60, "hard_bounces": 1}, *[{}] * 9, {"sent": 60, "hard_bounces": 3}),
                         T0.date(), "hard_bounces", 100, 7, 90)
    assert wide.judged and wide.days == 11 and wide.sent == 120 and wide.count == 4


def test_a_few_complaints_are_not_a_rate_until_five_thousand_sends_or_more_than_those_could_absorb():
    assert S["complaint_min_sample"] == 5000 and S["complaint_brake"] == 0.0008
    one = rep.judge(_days({"sent": 400, "complaints": 1}), T0.date(), S)
    assert not one.over and not one.complaints.judged
    # a small team: 70 sends a day, the window widens ten weeks to reach 5,000
    four = rep.judge(_days(*[{"sent": 70}] * 71, {"sent": 70, "complaints": 4}), T0.date(), S)
    assert four.complaints.judged and four.complaints.days == 72 and not four.over  # 0.08%: at the line
    five = rep.judge(_days(*[{"sent": 70}] * 71, {"sent": 70, "complaints": 5}), T0.date(), S)
    assert five.over and "complaint rate 0.10% over 5040 sends in 72 days" in five.reason
    # a bought list: ten complaints in its first 300 sends trip at once, before any sample is reached
    bought = rep.judge(_days({"sent": 300, "complaints": 10}), T0.date(), S)
    assert bought.over and not bought.complaints.judged and "complaint rate 3.33% over 300 sends" in bought.reason


def test_a_braked_identity_stays_braked_until_a_person_or_a_clear_window_with_auto_resume():
    braked = {"state": "braked", "reason": "x", "version": 1}
    clear = rep.judge(_days({"sent": 500}), T0.date(), S)
    assert rep.next_state(braked, clear, T0, S) is None
    auto = {**S, "auto_resume": True}
    assert rep.next_state(braked, clear, T0, auto)["state"] == "ok"
    over = rep.judge(_days({"sent": 123, "hard_bounces": 10}), T0.date(), S)
    assert rep.next_state(braked, over, T0, auto) is None


def test_a_resume_over_complaints_is_not_undone_by_a_bounce_and_old_complaints_leave_with_the_window():
    resumed = {"state": "ok", "resumed_counts": {"hard_bounces": 0, "complaints": 10}}
    bounce = rep.judge(_days({"sent": 301, "complaints": 10, "hard_bounces": 1}), T0.date(), S)
    assert bounce.over_lines == {"complaints"} and rep.next_state(resumed, bounce, T0, S) is None
    # months on, the window holds 9 of them: still over the line, so the next one brakes again
    fewer = rep.judge(_days(*[{"sent": 100}] * 49, {"sent": 100, "complaints": 9}), T0.date(), S)
    lowered = rep.next_state(resumed, fewer, T0, S)
    assert lowered["state"] == "ok" and lowered["resumed_counts"] == {"hard_bounces": 0, "complaints": 9}
    again = rep.judge(_days({"sent": 100, "complaints": 1}, *[{"sent": 100}] * 48, {"sent": 100, "complaints": 9}),
                      T0.date(), S)
    braked = rep.next_state(lowered, again, T0, S)
    assert braked["state"] == "braked" and "complaint rate" in braked["reason"] and not braked["resumed_counts"]


def test_a_resume_holds_against_the_same_numbers_and_new_bounces_trip_again():
    resumed = {"state": "ok", "resumed_counts": {"hard_bounces": 10, "complaints": 0}}
    same = rep.judge(_days({"sent": 130, "hard_bounces": 10}), T0.date(), S)
    assert rep.next_state(resumed, same, T0, S) is None
    more = rep.judge(_days({"sent": 130, "hard_bounces": 11}), T0.date(), S)
    assert rep.next_state(resumed, more, T0, S)["state"] == "braked"


def _lead(**extra):
    return {"lead_id": "l1", "first_email_at": (T0 - timedelta(days=200)).isoformat(), "activity": [],
            "mail_unread": {"since": (T0 - timedelta(days=200)).isoformat(), "n": 12}, **extra}


MARKETING = {"channel": "email", "kind": "marketing", "template": "library/past_client/adding_space", "text": "x",
             "item": "adding_space", "data": {"a": 1}}


def _read(days_ago: int, kind: str = "email_opened") -> list:
    return [{"type": kind, "at": (T0 - timedelta(days=days_ago)).isoformat(), "machine": False}]


def test_sunset_monthly_then_one_reengagement_then_none_until_they_read_again():
    s = S
    recent = _lead(first_email_at=(T0 - timedelta(days=9)).isoformat())
    assert rep.sunset(recent, T0, s) == ("send", "")
    silent20 = _lead(first_email_at=(T0 - timedelta(days=20)).isoformat(),
                     marketing_email_at=(T0 - timedelta(days=10)).isoformat())
    assert rep.sunset({**silent20, "mail_unread": {"since": silent20["first_email_at"], "n": 1}}, T0, s)[0] == "send"
    action, why = rep.sunset(silent20, T0, s)  # never read one: judged after 10 days and 2 unread
    assert action == "skip" and "at most one marketing e-mail every 30 days" in why
    assert rep.sunset({**silent20, "marketing_email_at": (T0 - timedelta(days=20)).isoformat()}, T0, s)[0] == "send"
    # texts answered and calls taken are not the mail read: at 30 days the re-engagement message
    silent30 = {**silent20, "first_email_at": (T0 - timedelta(days=30)).isoformat(),
                "last_engaged_at": (T0 - timedelta(days=2)).isoformat(), "activity": _read(2, "sms_replied")}
    assert rep.sunset(silent30, T0, s)[0] == "reengage"
    silent40 = _lead(first_email_at=(T0 - timedelta(days=40)).isoformat(),
                     marketing_email_at=(T0 - timedelta(days=10)).isoformat())
    reader = {**silent40, "activity": _read(60, "link_clicked")}  # read once: half a year of quiet first
    assert rep.sunset(reader, T0, s)[0] == "send"  # and the unread count starts again at the read
    unread = {"since": (T0 - timedelta(days=280)).isoformat(), "n": 13}
    assert rep.sunset({**reader, "activity": _read(290), "mail_unread": unread}, T0, s)[0] == "reengage"
    since185 = {"since": (T0 - timedelta(days=185)).isoformat(), "n": 13}
    assert rep.sunset({**reader, "activity": _read(190), "mail_unread": {**since185, "n": 11}}, T0, s)[0] == "send"
    assert rep.sunset({**reader, "activity": _read(100), "mail_unread": since185}, T0, s)[0] == "send"  # 100 days: a quiet spell
    assert rep.sunset({**reader, "activity": _read(190), "mail_unread": since185}, T0, s)[0] == "skip"
    assert rep.sunset({**reader, "activity": _read(190), "mail_unread": unread}, T0, s)[0] == "send"  # read since
    assert rep.sunset(_lead(), T0, s)[0] == "reengage"  # 200 days, never read
    after = _lead(reengaged_at=(T0 - timedelta(days=5)).isoformat())
    assert rep.sunset(after, T0, s)[0] == "skip"
    read = {**after, "activity": [{"type": "email_opened", "at": (T0 - timedelta(days=1)).isoformat(), "machine": False}]}
    assert rep.sunset(read, T0, s) == ("send", "")


def test_a_past_client_who_never_read_gets_a_longer_runway_than_a_new_lead():
    # the same silence: a new lead is judged at 10 days and 2 unread, a past client (a loan closed
    # with this LO) at 21 days and 4, and is asked to re-engage at 90 days rather than 30
    lead = _lead(first_email_at=(T0 - timedelta(days=40)).isoformat(),
                 mail_unread={"since": (T0 - timedelta(days=40)).isoformat(), "n": 3})
    assert rep.sunset(lead, T0, S)[0] == "reengage"
    assert rep.sunset({**lead, "stage": "funded"}, T0, S) == ("send", "")
    four = {**lead, "stage": "funded", "mail_unread": {**lead["mail_unread"], "n": 4},
            "marketing_email_at": (T0 - timedelta(days=5)).isoformat()}
    assert rep.sunset(four, T0, S)[0] == "skip"  # monthly from here
    assert rep.sunset({**four, "first_email_at": (T0 - timedelta(days=95)).isoformat(),
                       "mail_unread": {"since": (T0 - timedelta(days=95)).isoformat(), "n": 6}}, T0, S)[0] == "reengage"
    # a team may set its own: over the default's, figure by figure
    own = rep.settings_of({"reputation": {"sunset": {"past_client": {"never_read_min_unread": 3}}}})
    assert own["sunset"]["past_client"] == {"never_read_days": 21, "never_read_min_unread": 3, "never_read_reengage_days": 90}
    monthly = {**lead, "stage": "funded", "marketing_email_at": (T0 - timedelta(days=5)).isoformat()}
    assert rep.sunset(monthly, T0, own)[0] == "skip" and rep.sunset(monthly, T0, S)[0] == "send"
    assert rep.settings_problem({"sunset": {"past_client": 3}}) and rep.settings_problem({"sunset": "x"})
    assert rep.settings_problem({"sunset": {"past_client": {"never_read_days": 0}}})


def test_a_read_is_remembered_past_the_activity_window():
    from chalicelib.domain.events import apply_event

    lead = _lead()  # 200 days of mail, never read in the last 100 behaviour events
    assert rep.sunset(lead, T0, S)[0] == "reengage"
    opened, _ = apply_event(dict(lead), {"type": "email_opened", "at": (T0 - timedelta(days=45)).isoformat(),
                                         "data": {"machine": False}}, T0)
    opened["activity"] = [{"type": "sms_replied", "at": T0.isoformat(), "machine": False}] * 100  # the open scrolled out
    assert opened["last_email_read_at"] == (T0 - timedelta(days=45)).isoformat()
    assert rep.sunset({**opened, "mail_unread": {"since": (T0 - timedelta(days=40)).isoformat(), "n": 13}}, T0, S)[0] == "send"
    fetched, _ = apply_event(dict(lead), {"type": "email_opened", "at": T0.isoformat(), "data": {"machine": True}}, T0)
    assert "last_email_read_at" not in fetched  # a privacy prefetch reads nothing


def test_machine_opens_never_count_as_reading():
    prefetch = _lead(activity=[{"type": "email_opened", "at": (T0 - timedelta(days=1)).isoformat(), "machine": True}])
    assert rep.sunset(prefetch, T0, S)[0] == "reengage"


def test_the_gate_defers_braked_marketing_only_and_swaps_in_the_reengagement_message():
    gate = rep.Gate(S, braked=True)
    held, _ = gate.before(MARKETING, _lead(), T0)
    assert held.action == "defer" and held.reason == "braked" and held.until == T0 + timedelta(hours=1)
    for order in ({**MARKETING, "kind": "transactional"}, {**MARKETING, "immediate": True},
                  {**MARKETING, "channel": "sms"}):
        assert gate.before(order, _lead(), T0) == (None, order)
    held, order = rep.Gate(S).before(MARKETING, _lead(), T0)
    assert held is None and order["template"] == rep.REENGAGE_TEMPLATE and order["reengagement"]
    assert "text" not in order and "data" not in order and "item" not in order
    lead = {}
    rep.stamp(lead, [order], T0)
    assert lead == {"marketing_email_at": T0.isoformat(), "reengaged_at": T0.isoformat(),
                    "mail_unread": {"since": T0.isoformat(), "n": 1}}
    rep.stamp(lead, [MARKETING, MARKETING], T0 + timedelta(days=1))
    assert lead["mail_unread"] == {"since": T0.isoformat(), "n": 3}
    lead["activity"] = _read(-2)  # read after the first unread: the count starts again
    rep.stamp(lead, [MARKETING], T0 + timedelta(days=3))
    assert lead["mail_unread"] == {"since": (T0 + timedelta(days=3)).isoformat(), "n": 1}


def test_warm_up_ramps_and_serves_engaged_borrowers_first():
    s = rep.settings_of({"reputation": {"warmup": {"started": "2027-04-13"}}})
    assert rep.daily_limit(date(2027, 4, 13), s) == 50 and rep.daily_limit(date(2027, 4, 16), s) == 97
    assert rep.daily_limit(date(2027, 5, 25), s) is None and rep.daily_limit(date(2027, 4, 12), s) is None
    gate = rep.Gate(s, limit=50, used_today=30)
    engaged = _lead(first_email_at=(T0 - timedelta(days=3)).isoformat())
    quiet = _lead(first_email_at=(T0 - timedelta(days=40)).isoformat())
    held, _ = gate.before(MARKETING, quiet, T0)  # 30 >= half of 50
    assert held.reason == "warmup" and held.until == datetime(2027, 4, 14, 0, 5, tzinfo=timezone.utc)
    assert gate.before(MARKETING, engaged, T0)[0] is None
    gate.used_today = 50
    assert gate.before(MARKETING, engaged, T0)[0].reason == "warmup"


@pytest.mark.parametrize("raw, problem", [
    ({"bounce_brake": 0.06}, "5%"), ({"complaint_brake": 0.002}, "0.1%"), ({"min_sample": 0}, "min_sample"),
    ({"warmup": {"started": "soon"}}, "YYYY-MM-DD"), ([], "object")])
def test_a_brake_above_ses_lines_or_a_bad_setting_is_refused(raw, problem):
    assert problem in rep.settings_problem(raw)


def test_identity_is_the_sending_domain():
    assert rep.identity_of("Loans@Team.Example") == "team.example"


@pytest.mark.parametrize("email, refused, flagged", [
    ("maria@example.com", False, False), ("x@mailinator.com", True, False), ("x@eu.yopmail.com", True, False),
    ("info@brokerage.example", False, True), ("Sales+tx@b.example", False, True), ("infos@b.example", False, False)])
def test_clean_lists_refuse_disposable_and_flag_role_accounts(email, refused, flagged):
    assert bool(addresses.refusal(email)) is refused
    assert bool(addresses.warning(email)) is flagged
