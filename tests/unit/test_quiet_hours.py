"""Calling windows, business hours and local-time scheduling across zones, states and DST."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.quiet_hours import (
    FEDERAL, STATE_WINDOWS, allowed_window_ok, business_hours_ok, federal_holidays, is_business_day,
    next_allowed, next_business_time, next_local_time, rule_for,
)
from chalicelib.domain.timezones import STATE_ZONES, US_ZONES

UTC = timezone.utc
NY, CHI, DEN, PHX, LA, ANC, HNL = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu")


def local(zone: str, *args) -> datetime:
    """A local wall time in ``zone`` as an aware UTC datetime (first occurrence)."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- holidays ---------------------------------------------------------------------------------

def test_federal_holidays_2026():
    assert federal_holidays(2026) == {
        date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25), date(2026, 6, 19),
        date(2026, 7, 3), date(2026, 7, 4),  # July 4 is a Saturday: observed Friday July 3
        date(2026, 9, 7), date(2026, 10, 12), date(2026, 11, 11), date(2026, 11, 26), date(2026, 12, 25),
    }


def test_observed_holidays_cross_the_year_and_move_to_monday():
    assert date(2021, 12, 31) in federal_holidays(2021)  # New Year's Day 2022 was a Saturday
    assert date(2022, 1, 1) in federal_holidays(2022)
    assert date(2027, 7, 5) in federal_holidays(2027)    # July 4 2027 is a Sunday
    assert date(2027, 12, 24) in federal_holidays(2027)  # Christmas 2027 is a Saturday
    assert date(2020, 6, 19) not in federal_holidays(2020)  # Juneteenth only from 2021
    assert not is_business_day(date(2026, 11, 26)) and is_business_day(date(2026, 11, 27))


# --- the calling window -----------------------------------------------------------------------

def test_federal_window_is_8_to_21_exclusive():
    assert not allowed_window_ok(local(NY, 2026, 6, 2, 7, 59), (NY,), None)
    assert allowed_window_ok(local(NY, 2026, 6, 2, 8, 0), (NY,), None)
    assert allowed_window_ok(local(NY, 2026, 6, 2, 20, 59, 59), (NY,), None)
    assert not allowed_window_ok(local(NY, 2026, 6, 2, 21, 0), (NY,), None)
    # federal rule: weekends and holidays are fine
    assert allowed_window_ok(local(NY, 2026, 12, 25, 12, 0), (NY,), "NY")


def test_every_candidate_zone_must_be_inside():
    at = local(NY, 2026, 6, 2, 9, 30)  # 8:30 Chicago, 7:30 Denver
    assert allowed_window_ok(at, (NY, CHI), None)
    assert not allowed_window_ok(at, (NY, CHI, DEN), None)
    late = local(LA, 2026, 6, 2, 18, 30)  # 21:30 New York
    assert allowed_window_ok(late, (LA,), None) and not allowed_window_ok(late, (LA, NY), None)


@pytest.mark.parametrize("state,zone,wall,ok", [
    ("FL", NY, (2026, 6, 2, 19, 59), True), ("FL", NY, (2026, 6, 2, 20, 0), False),
    ("OK", CHI, (2026, 6, 6, 20, 30), False), ("MD", NY, (2026, 6, 7, 20, 0), False),
    ("WA", LA, (2026, 6, 2, 20, 15), False), ("WA", LA, (2026, 6, 2, 8, 0), True),
    ("TX", CHI, (2026, 6, 2, 8, 30), False), ("TX", CHI, (2026, 6, 2, 9, 0), True),
    ("TX", CHI, (2026, 6, 6, 9, 0), True),                                              # Saturday
    ("TX", CHI, (2026, 6, 7, 11, 59), False), ("TX", CHI, (2026, 6, 7, 12, 0), True),   # Sunday from noon
    ("LA", CHI, (2026, 6, 7, 12, 0), False),                                            # no Sundays
    ("LA", CHI, (2026, 5, 25, 12, 0), False),                                           # Memorial Day
    ("LA", CHI, (2026, 5, 26, 12, 0), True), ("LA", CHI, (2026, 5, 26, 20, 0), False),
    ("MS", CHI, (2026, 6, 7, 12, 0), False), ("MS", CHI, (2026, 6, 6, 12, 0), True),
    ("UT", DEN, (2026, 6, 7, 12, 0), False), ("UT", DEN, (2026, 7, 3, 12, 0), False),   # observed July 4
    ("UT", DEN, (2026, 6, 2, 20, 30), True),
    ("CT", NY, (2026, 6, 2, 8, 30), False), ("CT", NY, (2026, 6, 2, 19, 59), True),
    ("RI", NY, (2026, 6, 6, 9, 30), False), ("RI", NY, (2026, 6, 6, 10, 0), True),     # Saturday 10-17
    ("RI", NY, (2026, 6, 2, 18, 0), False),
    ("AL", CHI, (2026, 6, 7, 12, 0), False), ("MA", NY, (2026, 6, 2, 20, 0), False),
    ("NY", NY, (2026, 6, 2, 20, 30), True), (None, NY, (2026, 6, 2, 20, 30), True),
])
def test_state_rules(state, zone, wall, ok):
    assert allowed_window_ok(local(zone, *wall), (zone,), state) is ok


def test_state_table_is_sourced_and_never_looser_than_federal():
    for state, rule in STATE_WINDOWS.items():
        assert rule.source and state in STATE_ZONES
        combined = rule_for(state)
        for mine, fed in ((combined.weekday, FEDERAL.weekday), (combined.saturday, FEDERAL.saturday),
                          (combined.sunday, FEDERAL.sunday)):
            assert mine is None or (mine.start >= fed.start and mine.end <= fed.end)
    assert rule_for("fl").max_calls_24h == 3 and rule_for(None) is FEDERAL and rule_for("ZZ") is FEDERAL


def test_naive_datetimes_and_empty_zones_are_rejected():
    with pytest.raises(ValueError):
        allowed_window_ok(datetime(2026, 6, 2, 12), (NY,), None)
    with pytest.raises(ValueError):
        next_allowed(datetime(2026, 6, 2, 12), (NY,), None)
    with pytest.raises(ValueError):
        next_allowed(utc(2026, 6, 2, 12), (), None)


# --- next_allowed -----------------------------------------------------------------------------

def test_next_allowed_is_now_when_allowed_rounded_up_to_the_minute():
    at = local(NY, 2026, 6, 2, 14, 30)
    assert next_allowed(at, (NY,), None) == at
    assert next_allowed(at + timedelta(seconds=30), (NY,), None) == at + timedelta(minutes=1)
    assert next_allowed(at.astimezone(ZoneInfo(LA)), (NY,), None).tzinfo == UTC


def test_next_allowed_spring_forward_day_new_york():
    # 2026-03-08: 2:00 EST jumps to 3:00 EDT, so 8:00 local is 12:00 UTC (not 13:00)
    assert next_allowed(utc(2026, 3, 8, 6, 0), (NY,), None) == utc(2026, 3, 8, 12, 0)
    # from the evening before (21:30 EST on the 7th)
    assert next_allowed(utc(2026, 3, 8, 2, 30), (NY,), None) == utc(2026, 3, 8, 12, 0)
    # Saturday evening 20:30 EST in Florida (window closes at 20:00)
    assert next_allowed(utc(2026, 3, 8, 1, 30), (NY,), "FL") == utc(2026, 3, 8, 12, 0)


def test_next_allowed_fall_back_day_new_york():
    # 2026-11-01: 2:00 EDT falls back to 1:00 EST, so 8:00 local is 13:00 UTC
    assert next_allowed(utc(2026, 11, 1, 5, 30), (NY,), None) == utc(2026, 11, 1, 13, 0)  # 1:30 EDT
    assert next_allowed(utc(2026, 11, 1, 6, 30), (NY,), None) == utc(2026, 11, 1, 13, 0)  # 1:30 EST
    # the window closes at 21:00 EST = 02:00 UTC
    assert allowed_window_ok(utc(2026, 11, 2, 1, 59), (NY,), None)
    assert next_allowed(utc(2026, 11, 2, 2, 0), (NY,), None) == utc(2026, 11, 2, 13, 0)


def test_arizona_hawaii_alaska():
    # summer: Phoenix is UTC-7 all year while Denver moves to UTC-6
    assert next_allowed(utc(2026, 7, 1, 14, 0), (PHX,), None) == utc(2026, 7, 1, 15, 0)
    assert next_allowed(utc(2026, 7, 1, 14, 0), (DEN,), None) == utc(2026, 7, 1, 14, 0)
    assert next_allowed(utc(2026, 1, 5, 14, 0), (PHX,), None) == utc(2026, 1, 5, 15, 0)
    assert next_allowed(utc(2026, 3, 8, 10, 0), (HNL,), None) == utc(2026, 3, 8, 18, 0)
    assert next_allowed(utc(2026, 3, 8, 10, 0), (ANC,), None) == utc(2026, 3, 8, 16, 0)   # 8:00 AKDT
    assert next_allowed(utc(2026, 11, 1, 10, 0), (ANC,), None) == utc(2026, 11, 1, 17, 0)  # 8:00 AKST
    assert next_allowed(utc(2026, 7, 1, 10, 0), STATE_ZONES["AK"], None) == utc(2026, 7, 1, 17, 0)  # 8:00 Adak


def test_next_allowed_with_every_us_zone():
    # nothing known about the lead: 8:00 Honolulu to 21:00 New York
    assert next_allowed(utc(2026, 1, 5, 12, 0), US_ZONES, None) == utc(2026, 1, 5, 18, 0)
    assert next_allowed(utc(2026, 7, 6, 1, 0), US_ZONES, None) == utc(2026, 7, 6, 18, 0)
    assert allowed_window_ok(utc(2026, 7, 6, 0, 59), US_ZONES, None)


def test_next_allowed_skips_closed_days():
    # Louisiana: Saturday 20:30 -> not Sunday -> not Memorial Day Monday -> Tuesday 8:00
    assert next_allowed(local(CHI, 2026, 5, 23, 20, 30), (CHI,), "LA") == local(CHI, 2026, 5, 26, 8, 0)
    # Texas Sunday morning waits for noon, in both its zones (noon Mountain is 13:00 Central)
    assert next_allowed(local(CHI, 2026, 6, 7, 9, 0), STATE_ZONES["TX"], "TX") == local(DEN, 2026, 6, 7, 12, 0)


def test_hour_overrides_only_narrow():
    at = local(NY, 2026, 6, 2, 8, 30)
    assert next_allowed(at, (NY,), None, start_hour_override=9) == local(NY, 2026, 6, 2, 9, 0)
    assert next_allowed(local(NY, 2026, 6, 2, 6, 0), (NY,), None, start_hour_override=6) == local(NY, 2026, 6, 2, 8, 0)
    assert not allowed_window_ok(at, (NY,), None, start_hour_override=9)
    assert next_allowed(local(NY, 2026, 6, 2, 19, 0), (NY,), None, end_hour_override=19) == local(NY, 2026, 6, 3, 8, 0)
    with pytest.raises(ValueError):
        next_allowed(at, (NY,), None, start_hour_override=25)
    with pytest.raises(ValueError):  # 20:00-21:00 in New York and Honolulu never overlap
        next_allowed(at, (NY, HNL), None, start_hour_override=20)


ZONES = [NY, CHI, DEN, PHX, LA, ANC, HNL]
STATES = [None, "FL", "TX", "LA", "UT", "RI", "CT", "MS", "NY", "CA", "AZ", "HI", "AK"]
INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31, 23, 59),
                        timezones=st.just(UTC))


def _zone_sets():
    states = st.sampled_from(sorted(STATE_ZONES)).map(lambda s: STATE_ZONES[s])
    subsets = st.lists(st.sampled_from(ZONES), min_size=1, max_size=4, unique=True).map(tuple)
    return st.one_of(states, subsets, st.just(US_ZONES))


def _ceil(at: datetime) -> datetime:
    floor = at.replace(second=0, microsecond=0)
    return floor if floor == at else floor + timedelta(minutes=1)


def _assert_first_allowed(at, result, ok):
    assert result >= at and result.second == 0 and result.microsecond == 0 and result.tzinfo == UTC
    assert ok(result)
    start = _ceil(at)
    if result > start:
        assert not ok(result - timedelta(minutes=1))
        # allowed spans start and end on whole UTC hours for these zones: probing each hour in
        # between finds any span next_allowed skipped
        probe = start.replace(minute=0) + timedelta(hours=1)
        while probe < result:
            assert not ok(probe), probe
            probe += timedelta(hours=1)


@settings(max_examples=200, deadline=None)
@given(at=INSTANTS, zones=_zone_sets(), state=st.sampled_from(STATES))
def test_next_allowed_is_the_first_allowed_minute(at, zones, state):
    result = next_allowed(at, zones, state)
    _assert_first_allowed(at, result, lambda t: allowed_window_ok(t, zones, state))


@settings(max_examples=200, deadline=None)
@given(at=INSTANTS, zones=_zone_sets())
def test_next_business_time_is_the_first_business_minute(at, zones):
    result = next_business_time(at, zones)
    _assert_first_allowed(at, result, lambda t: business_hours_ok(t, zones))
    for zone in zones:
        assert is_business_day(result.astimezone(ZoneInfo(zone)).date())


# --- business hours ---------------------------------------------------------------------------

def test_business_hours():
    assert business_hours_ok(local(CHI, 2026, 12, 4, 9, 0), (CHI,))
    assert not business_hours_ok(local(CHI, 2026, 12, 4, 17, 0), (CHI,))
    assert not business_hours_ok(local(CHI, 2026, 12, 5, 12, 0), (CHI,))         # Saturday
    assert not business_hours_ok(local(CHI, 2026, 11, 26, 12, 0), (CHI,))        # Thanksgiving
    # Friday 17:00 Chicago -> Monday 9:00
    assert next_business_time(local(CHI, 2026, 12, 4, 17, 0), (CHI,)) == local(CHI, 2026, 12, 7, 9, 0)
    # Christmas Eve evening -> skips Christmas Friday and the weekend; every US zone at 9:00 Honolulu
    assert next_business_time(utc(2026, 12, 24, 23, 0), US_ZONES) == utc(2026, 12, 28, 19, 0)


# --- next_local_time --------------------------------------------------------------------------

def test_next_local_time_basic_and_strictly_after():
    after = local(CHI, 2026, 12, 2, 9, 0)
    assert next_local_time(after, CHI, 10) == local(CHI, 2026, 12, 2, 10, 0)
    assert next_local_time(local(CHI, 2026, 12, 2, 10, 0), CHI, 10) == local(CHI, 2026, 12, 3, 10, 0)
    assert next_local_time(after, CHI, 10).tzinfo == UTC


def test_next_local_time_business_day():
    friday_evening = utc(2026, 12, 4, 23, 0)  # Friday 17:00 Chicago
    assert next_local_time(friday_evening, CHI, 10, business_day=True) == local(CHI, 2026, 12, 7, 10, 0)
    # Wednesday before Thanksgiving, after 10:00 -> Friday (Thursday is a holiday)
    assert next_local_time(local(NY, 2026, 11, 25, 11, 0), NY, 10, business_day=True) == local(NY, 2026, 11, 27, 10, 0)
    # without business_day the weekend counts
    assert next_local_time(friday_evening, CHI, 10) == local(CHI, 2026, 12, 5, 10, 0)


def test_next_local_time_across_dst():
    # spring forward: 10:00 EDT on 2026-03-08 is 14:00 UTC, the day before 15:00 UTC
    assert next_local_time(utc(2026, 3, 7, 16, 0), NY, 10) == utc(2026, 3, 8, 14, 0)
    # 2:30 does not exist on 2026-03-08: moved forward to the transition (3:00 EDT = 07:00 UTC)
    assert next_local_time(utc(2026, 3, 7, 12, 0), NY, 2, 30) == utc(2026, 3, 8, 7, 0)
    # fall back: 1:30 happens twice on 2026-11-01; the first one still ahead is returned
    assert next_local_time(utc(2026, 11, 1, 4, 0), NY, 1, 30) == utc(2026, 11, 1, 5, 30)
    assert next_local_time(utc(2026, 11, 1, 5, 30), NY, 1, 30) == utc(2026, 11, 1, 6, 30)
    assert next_local_time(utc(2026, 11, 1, 6, 30), NY, 1, 30) == utc(2026, 11, 2, 6, 30)
    # Phoenix does not move
    assert next_local_time(utc(2026, 3, 7, 20, 0), PHX, 10) == utc(2026, 3, 8, 17, 0)


def test_next_local_time_rejects_bad_input():
    with pytest.raises(ValueError):
        next_local_time(datetime(2026, 1, 1), NY, 10)
    with pytest.raises(ValueError):
        next_local_time(utc(2026, 1, 1), NY, 24)


@settings(max_examples=200, deadline=None)
@given(after=INSTANTS, zone=st.sampled_from(ZONES), hour=st.integers(4, 23), minute=st.integers(0, 59),
       business_day=st.booleans())
def test_next_local_time_lands_on_the_wall_time(after, zone, hour, minute, business_day):
    result = next_local_time(after, zone, hour, minute, business_day)
    wall = result.astimezone(ZoneInfo(zone))
    assert result > after and (wall.hour, wall.minute, wall.second) == (hour, minute, 0)
    assert not business_day or is_business_day(wall.date())
    # no earlier day qualified: the previous qualifying occurrence is not after ``after``
    previous = wall.date() - timedelta(days=1)
    while business_day and not is_business_day(previous):
        previous -= timedelta(days=1)
    earlier = datetime.combine(previous, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert earlier <= after
