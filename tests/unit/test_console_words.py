"""The console's words and charts: pure helpers, plain values in, sentences and geometry out."""
from datetime import datetime, timezone

from chalicelib.console import charts, words
from chalicelib.sequences import hold
from chalicelib.sequences.catalog import SEQUENCES

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
FL = {"state": "FL", "timezone": "America/New_York"}
NY = "America/New_York"


def test_a_text_deferred_for_quiet_hours_says_where_and_until_when():
    item = {"channel": "sms", "status": "deferred", "reason": "quiet_hours"}
    touch = {"deferred_until": "2027-04-14T12:00:00+00:00"}
    assert words.decision_in_words(item, FL, touch, NY, 48, NOW) == \
        "Text deferred: quiet hours in Florida until Wed Apr 14, 8:00 AM EDT"


def test_the_cap_holds_and_consent_refuses_in_plain_words():
    cap = {"channel": "email", "status": "deferred", "reason": "cap"}
    assert words.decision_in_words(cap, FL, {}, NY, 48, NOW) == \
        "E-mail held: 48-hour cap: one marketing touch per 48 hours"
    no_consent = {"channel": "sms", "status": "suppressed", "reason": "no_consent"}
    assert words.decision_in_words(no_consent, FL, {}, NY, 48, NOW) == "Text not sent: no SMS consent on file"
    realtor = {"channel": "partner_email", "status": "suppressed", "reason": "no_recipient"}
    assert words.decision_in_words(realtor, FL, {}, NY, 48, NOW) == "Realtor e-mail not sent: no Realtor e-mail on file"
    limit = {"channel": "sms", "status": "deferred", "reason": "call_limit"}
    assert "Florida's limit of 3 texts or calls in 24 hours" in words.decision_in_words(limit, FL, {}, NY, 48, NOW)
    regz = {"channel": "email", "status": "suppressed", "reason": "regz: rate stated without APR: '6.5%'"}
    assert "without its APR" in words.decision_in_words(regz, FL, {}, NY, 48, NOW)
    held = {"channel": "email", "status": "held", "reason": "merge_error: loan.amount is undefined"}
    assert words.decision_in_words(held, FL, {}, NY, 48, NOW) == \
        "E-mail held: the template could not be filled in for this borrower (loan.amount is undefined)"


def test_a_lead_without_a_known_state_still_reads_well():
    item = {"channel": "sms", "status": "deferred", "reason": "quiet_hours"}
    assert words.decision_in_words(item, {}, {}, NY, 48, NOW) == "Text deferred: quiet hours in the borrower's time zone"


def test_events_and_enrollment_actions_in_words():
    assert words.event_in_words({"type": "stage_changed", "data": {"from": "new_lead", "to": "funded"}}) == \
        "Stage: New lead \u2192 Funded"
    opened = {"type": "email_opened", "machine": True, "data": {}}
    assert "by a machine" in words.event_in_words(opened, "Rates")
    assert words.event_in_words({"type": "email_opened", "machine": False}, "Rates") == "Opened \u201cRates\u201d"
    assert words.enrollment_in_words({"action": "exited", "reason": "stage:application_started"}, "Lead nurture") == \
        "Left Lead nurture: stage became application started"


def test_times_read_in_the_readers_zone_and_relative():
    assert words.when("2027-04-13T15:00:00+00:00", "America/Chicago", NOW) == "Tue Apr 13, 10:00 AM CDT"
    assert words.when("2028-01-02T15:00:00+00:00", "America/Chicago", NOW) == "Sun Jan 2 2028, 9:00 AM CST"
    assert words.relative("2027-04-13T16:00:00+00:00", NOW) == "in 1 hour"
    assert words.relative("2027-04-10T15:00:00+00:00", NOW) == "3 days ago"
    assert words.relative(NOW.isoformat(), NOW) == "just now"
    assert words.phone("+15125550123") == "(512) 555-0123"
    assert words.phone("+442071838750").startswith("+44 20")


def test_lead_nurture_reads_day_by_day_with_its_branch():
    plan = words.plan(SEQUENCES["lead_nurture"])
    touches = {line["step"]: line for line in plan if line["kind"] == "touch"}
    assert touches["thanks_for_reaching_out"]["day"] == "Day 0"
    assert touches["hello_text"]["day"] == "Day 0, after 5 minutes"
    assert touches["how_rates_are_set"]["day"] == "Day 2 at 9:30 AM their time"
    assert touches["qualification_questions"]["day"] == "Day 5"
    assert touches["payment_angle"]["day"] == "Day 7"
    assert touches["nurture_review"]["day"] == "Day 14 at 9:00 AM their time, on a business day"
    assert touches["payment_angle"]["subject"] == "[first name], what would your monthly payment look like?"
    branch = next(line for line in plan if line["kind"] == "branch")
    assert branch["text"].startswith("Waits up to 3 days. If they open \u201cWhat actually moves mortgage rates")
    assert "Otherwise: the e-mail \u201c[first name], what would your monthly payment" in branch["text"]


def test_pipeline_steps_are_grouped_by_the_stage_that_starts_them():
    plan = words.plan(SEQUENCES["pipeline_progression"])
    heads = [line["text"] for line in plan if line["kind"] == "stage"]
    assert heads[0] == "When the stage becomes application submitted" and heads[-1] == "When the stage becomes funded"
    realtor = next(line for line in plan if line.get("step") == "clear_to_close_realtor_update")
    assert realtor["day"] == "Day 0, after 15 minutes" and "only when a Realtor e-mail is on file" in realtor["notes"]


def test_every_sequence_can_be_put_into_words():
    for seq in SEQUENCES.values():
        plan = words.plan(seq)
        assert sum(1 for line in plan if line["kind"] == "touch") == len(seq.touches())
        assert all("{{" not in (line.get("subject") or "") for line in plan)
        assert all(words.trigger_in_words(t) for t in seq.triggers)


def test_funnel_bars_share_one_scale_and_leave_out_empty_series():
    steps = [{"label": "first", "sent": 10, "opened": 5, "machine_opens": 0, "clicked": 0, "replied": 0},
             {"label": "second", "sent": 4, "opened": 1, "machine_opens": 0, "clicked": 0, "replied": 0}]
    chart = charts.funnel("Nurture", steps)
    assert [key for key, _ in chart.legend] == ["sent", "opened"]
    widest = max(b.width for b in chart.bars)
    first_sent = next(b for b in chart.bars if b.label == "first" and b.series == "sent")
    second_sent = next(b for b in chart.bars if b.label == "second" and b.series == "sent")
    assert first_sent.width == widest and second_sent.width == round(widest * 4 / 10, 1)
    assert chart.height > 0 and all(b.y < chart.height for b in chart.bars)


def test_reason_bars_are_largest_first_and_coloured_by_outcome():
    chart = charts.reasons("Why", {"suppressed_no_consent": 2, "deferred_cap": 5}, {"deferred_cap": "the cap"})
    assert [b.label for b in chart.bars] == ["the cap", "no consent"]
    assert [b.series for b in chart.bars] == ["deferred", "suppressed"]


def test_a_switched_off_sequence_holds_once_and_resumes_once():
    e = {"enrollment_id": "lead_nurture.1", "sequence": "lead_nurture", "due_at": NOW.isoformat(), "status": "active"}
    first = hold.hold(e, NOW)
    assert first.enrollment["due_at"] == (NOW + hold.RECHECK).isoformat() and first.enrollment["held_off"]
    assert [i["action"] for i in first.timeline] == ["held"]
    again = hold.hold(first.enrollment, NOW + hold.RECHECK)
    assert again.timeline == []                       # said once, not every hour
    released, items = hold.release(again.enrollment, NOW + 2 * hold.RECHECK)
    assert "held_off" not in released and [i["action"] for i in items] == ["resumed"]
    assert hold.release(e, NOW) == (e, [])
