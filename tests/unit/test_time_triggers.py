"""Time triggers: anniversaries, birthdays, no contact, stalled applications. Plain values, a clock
passed in."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from chalicelib.sequences import engine
from chalicelib.sequences.catalog import SEQUENCES
from chalicelib.triggers import registry
from chalicelib.triggers import time as rules
from chalicelib.triggers.registry import CreateTask, Enroll, SetLead, TriggerInput

# The sweep runs at 07:00 UTC: Tuesday 1 December 2026, 01:00 in Chicago.
NOW = datetime(2026, 12, 1, 7, 0, 5, tzinfo=timezone.utc)
DAY = "2026-12-01"
SETTINGS = {"cap_hours": 48, "no_contact_days": 30, "no_contact_action": "task", "refi": {}, "behavior": {},
            "managers": {"lo-1": "lo-mgr"}}
CHICAGO = ZoneInfo("America/Chicago")
JOINS = Enroll("past_client_program", reason="program:anniversary", start_step="the_news")


def lead(**kw):
    base = {"lead_id": "L1", "first_name": "Maria", "last_name": "Lopez", "email": "m@example.com",
            "timezone": "America/Chicago", "lo_id": "lo-1", "stage": "funded", "created_at": "2025-01-02T10:00:00+00:00"}
    return {**base, **kw}


def run(event_type, the_lead, settings=SETTINGS, day=DAY, now=NOW, enrollments=()):
    inp = TriggerInput(lead=the_lead, before=the_lead, event={"type": event_type, "event_id": "e1", "data": {"day": day}},
                       now=now, settings=settings, enrollments=tuple(enrollments))
    return registry.evaluate(inp)


# -- anniversaries -----------------------------------------------------------------------------

def test_funding_anniversary_enrolls_annual_review_at_ten_lead_local():
    past_client = lead(loan={"funded_on": "2025-12-01", "rate": 7.0, "amount": 300000})
    decisions = run("sweep_funding_anniversary", past_client)
    # a past client not yet in the year-round program joins it on the anniversary too
    assert sorted(decisions, key=repr) == [Enroll("annual_review", reason="time:funding_anniversary"), JOINS]
    out = engine.enroll(SEQUENCES["annual_review"], past_client, NOW, "annual_review.x", "time:funding_anniversary")
    first = datetime.fromisoformat(out.enrollment["due_at"]).astimezone(CHICAGO)
    assert (first.date(), first.hour, first.minute) == (date(2026, 12, 1), 10, 0)


def test_no_anniversary_in_the_funding_year_on_another_day_or_before_funding():
    assert run("sweep_funding_anniversary", lead(loan={"funded_on": "2026-12-01"})) == []
    assert run("sweep_funding_anniversary", lead(loan={"funded_on": "2025-12-02"})) == []
    assert run("sweep_funding_anniversary", lead(loan={"funded_on": "2025-12-01"}, stage="application_started")) == []
    assert run("sweep_funding_anniversary", lead(loan={})) == []


def test_a_feb_29_funding_is_celebrated_on_feb_28_in_common_years():
    leap = lead(loan={"funded_on": "2024-02-29"})
    assert sorted(run("sweep_funding_anniversary", leap, day="2027-02-28"), key=repr) == [
        Enroll("annual_review", reason="time:funding_anniversary"), JOINS]
    assert rules.anniversary_due(leap, date(2027, 3, 1)) is False


# -- birthdays ---------------------------------------------------------------------------------

def test_birthday_enrolls_birthday_and_the_email_waits_for_nine_local():
    person = lead(birthday="1985-12-01", stage="new_lead")
    assert run("sweep_birthday", person) == [Enroll("birthday", reason="time:birthday")]
    out = engine.enroll(SEQUENCES["birthday"], person, NOW, "birthday.x", "time:birthday")
    first = datetime.fromisoformat(out.enrollment["due_at"]).astimezone(CHICAGO)
    assert (first.date(), first.hour) == (date(2026, 12, 1), 9)
    assert run("sweep_birthday", lead(birthday="1985-12-02")) == []
    assert run("sweep_birthday", lead()) == []


# -- no contact --------------------------------------------------------------------------------

def silent(**kw):
    return lead(**{"stage": "new_lead", "last_contact_at": "2026-11-01T15:00:00+00:00", **kw})


def test_no_contact_for_30_days_makes_one_check_in_task_due_in_the_local_morning():
    decisions = run("sweep_no_contact", silent())
    sets = [d for d in decisions if isinstance(d, SetLead)]
    tasks = [d for d in decisions if isinstance(d, CreateTask)]
    assert not [d for d in decisions if isinstance(d, Enroll)]
    assert len(tasks) == 1 and tasks[0].kind == "check_in" and "30 days" in tasks[0].title
    assert tasks[0].key == "no_contact:2026-12-01"
    due = (NOW + timedelta(minutes=tasks[0].due_minutes)).astimezone(CHICAGO)
    assert (due.date(), due.hour) == (date(2026, 12, 1), 12)  # 10:00 local + 2 hours, not 01:00
    # the check-in restarts the no-contact clock: the next one is 30 days on, not tomorrow night
    assert sets == [SetLead({"last_contact_at": NOW.isoformat(), "no_contact_check_in_at": NOW.isoformat()})]
    checked = {**silent(), **sets[0].fields}
    assert not rules.no_contact_due(checked, date(2026, 12, 2), 30)
    assert rules.no_contact_due(checked, date(2026, 12, 31), 30)


def test_a_weekend_sweep_puts_the_task_on_monday_morning():
    saturday = datetime(2026, 12, 5, 7, 0, tzinfo=timezone.utc)
    tasks = [d for d in run("sweep_no_contact", silent(), day="2026-12-05", now=saturday) if isinstance(d, CreateTask)]
    due = (saturday + timedelta(minutes=tasks[0].due_minutes)).astimezone(CHICAGO)
    assert (due.date(), due.hour) == (date(2026, 12, 7), 12)


def test_no_contact_respects_recent_contact_closed_stages_and_the_team_setting():
    assert run("sweep_no_contact", silent(last_contact_at="2026-11-20T15:00:00+00:00")) == []
    assert run("sweep_no_contact", silent(stage="funded")) == []
    assert run("sweep_no_contact", silent(stage="lost")) == []
    assert run("sweep_no_contact", silent(), settings={**SETTINGS, "no_contact_days": 45}) == []
    # "touch": the check-in sequence when the catalog has one; until then the LO task stands in
    touch = run("sweep_no_contact", silent(), settings={**SETTINGS, "no_contact_action": "touch"})
    if rules.CHECK_IN_SEQUENCE in SEQUENCES:
        assert Enroll(rules.CHECK_IN_SEQUENCE, reason="time:no_contact") in touch
        assert not [d for d in touch if isinstance(d, CreateTask)]
    else:
        assert [d.kind for d in touch if isinstance(d, CreateTask)] == ["check_in"]


def test_no_contact_counts_from_creation_when_never_contacted():
    fresh = lead(stage="new_lead", created_at="2026-11-01T18:00:00+00:00")
    assert [type(d) for d in run("sweep_no_contact", fresh)] == [SetLead, CreateTask]


# -- stalled applications ----------------------------------------------------------------------

def submitted(**kw):
    return lead(**{"stage": "application_submitted", "stage_changed_at": "2026-11-26T16:00:00+00:00",
                   "last_contact_at": "2026-11-26T16:01:00+00:00", **kw})


def test_submitted_five_days_ago_without_follow_up_makes_a_task_and_is_remembered():
    decisions = run("sweep_application_stalled", submitted())
    task = next(d for d in decisions if isinstance(d, CreateTask))
    assert task.kind == "call" and "5 days ago" in task.title and task.key == "stalled:2026-11-26"
    assert SetLead({"stalled_nudged_at": NOW.isoformat()}) in decisions
    nudged = {**submitted(), "stalled_nudged_at": NOW.isoformat()}
    assert run("sweep_application_stalled", nudged, day="2026-12-02") == []
    assert rules.STALLED_SEQUENCE in SEQUENCES  # the borrower nudge ships
    assert Enroll(rules.STALLED_SEQUENCE, reason="time:application_stalled") in decisions


def test_no_stall_before_five_days_after_follow_up_or_in_another_stage():
    assert run("sweep_application_stalled", submitted(), day="2026-11-30") == []
    assert run("sweep_application_stalled", submitted(last_inbound_at="2026-11-28T12:00:00+00:00")) == []
    assert run("sweep_application_stalled", submitted(last_lo_reply_at="2026-11-27T12:00:00+00:00")) == []
    assert run("sweep_application_stalled", submitted(stage="conditional_approval")) == []
    # a nudge for an earlier submission does not count for this one
    assert run("sweep_application_stalled", submitted(stalled_nudged_at="2026-10-01T07:00:00+00:00")) != []


def test_a_held_clock_moves_only_when_advanced():
    from chalicelib.clock import Clock

    c = Clock()
    at = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)
    c.hold(at)
    assert c.now() == at and c.advance(90) == at + timedelta(seconds=90)
    assert c.start_at(at) == at  # a held clock restarted stays held at the new instant
    c.hold(None)                 # runs on from where it stood
    assert abs((c.now() - at).total_seconds()) < 5


def test_an_imported_pipeline_is_checked_for_no_contact_over_two_weeks_not_in_one_morning():
    from chalicelib.domain.sweeps import IMPORT_SPREAD_DAYS, wake_day

    imported_on = "2027-04-13T15:00:00+00:00"
    leads = [{"lead_id": f"{n:032x}", "stage": "application_submitted", "created_at": imported_on,
              "imported": {"import_id": "i1"}} for n in range(300)]
    days = [date.fromisoformat(wake_day({**lead, "stage": "new_lead"}, 30)) - date(2027, 4, 13) for lead in leads]
    assert {d.days for d in days} == set(range(30, 30 + IMPORT_SPREAD_DAYS))
    assert max(days.count(d) for d in set(days)) < 40  # no morning holds more than ~2x its share
    # a lead that came in through the API, or one contacted since: 30 days, as before
    assert wake_day({"lead_id": "a", "stage": "new_lead", "created_at": imported_on}, 30) == "2027-05-13"
    assert wake_day({**leads[0], "stage": "new_lead", "last_contact_at": "2027-04-20T15:00:00+00:00"}, 30) \
        == "2027-05-20"
