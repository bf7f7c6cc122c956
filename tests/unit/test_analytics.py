"""Analytics counters derived from decisions (pure)."""
from chalicelib.domain import analytics


def test_machine_opens_never_count_as_opens():
    data = {"sequence": "lead_nurture", "step": "a", "machine": True}
    assert analytics.from_event("email_opened", data, []) == [("lead_nurture", "a", "machine_opens")]
    assert analytics.from_event("link_clicked", data, []) == []
    assert analytics.from_event("email_opened", {**data, "machine": False}, []) == [("lead_nurture", "a", "opened")]


def test_replies_without_a_touch_credit_live_sequences():
    assert analytics.from_event("sms_replied", {}, ["lead_nurture"]) == [("lead_nurture", "_sequence", "replied")]


def test_exits_record_where_people_left_and_conversions():
    items = [{"kind": "enrollment", "enrollment_id": "e1", "sequence": "lead_nurture", "action": "exited",
              "reason": "stage:application_started"},
             {"kind": "enrollment", "enrollment_id": "e2", "sequence": "lead_nurture", "action": "exited",
              "reason": "stage:lost"}]
    got = analytics.from_enrollment_items(items, {"e1": "how_rates_are_set", "e2": "payment_angle"})
    assert ("lead_nurture", "_sequence", "converted") in got
    assert ("lead_nurture", "how_rates_are_set", "exited") in got and ("lead_nurture", "payment_angle", "exited") in got
    assert got.count(("lead_nurture", "_sequence", "converted")) == 1


def test_report_shows_rates_and_the_step_with_most_exits():
    rows = [{"sequence": "s", "step": "a", "sent": 10, "opened": 4, "clicked": 1},
            {"sequence": "s", "step": "b", "sent": 6, "exited": 3},
            {"sequence": "s", "step": "_sequence", "enrolled": 10, "converted": 2}]
    [r] = analytics.report(rows, {"s": "S"}, {"s": ["a", "b"]})
    assert r["steps"][0]["open_rate"] == 0.4 and r["totals"]["sent"] == 16
    assert r["totals"]["conversion_rate"] == 0.2 and r["most_exits_at"] == "b"


def test_a_slot_s_swapped_e_mails_are_counted_so_the_e_mail_shares_read_them():
    sends = [{"sequence": "p", "step": "check_in_text", "channel": "email", "instead_of_text": "no text fits"},
             {"sequence": "p", "step": "check_in_text", "channel": "sms"},
             {"sequence": "p", "step": "quarterly_call", "channel": "email", "instead_of_call": "no room"},
             {"sequence": "p", "step": "the_news", "channel": "email"}]
    got = analytics.from_schedule(sends, [])
    assert got.count(("p", "check_in_text", "sent")) == 2
    assert [c for c in got if c[2] == analytics.SENT_AS_EMAIL] == [("p", "check_in_text", "sent_as_email"),
                                                                   ("p", "quarterly_call", "sent_as_email")]
    rows = [{"sequence": "p", "step": "check_in_text", "sent": 2, "sent_as_email": 1, "opened": 1}]
    [r] = analytics.report(rows, {"p": "P"}, {"p": ["check_in_text"]})
    assert r["steps"][0]["sent_as_email"] == 1 and r["steps"][0]["sent"] == 2
