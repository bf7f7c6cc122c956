"""Calling windows (TCPA and stricter state rules) and business hours, in the lead's local time. Pure.

Federal rule, 47 CFR 64.1200(c)(1): no telephone solicitation (calls or texts) before 8:00 or
after 21:00 local time at the called party's location. States add stricter hours, weekend and
holiday bans; ``STATE_WINDOWS`` holds the ones we apply.

When the lead's zone is uncertain the caller passes every candidate zone and an instant is
allowed only if it is inside the window in all of them.

Conventions: windows are [start, end) in local wall-clock minutes, so "until 21:00" means the
last allowed minute is 20:59 (the conservative reading of "after 9 p.m."). Every datetime in and
out is timezone-aware; results are in UTC with minute precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = timezone.utc


@dataclass(frozen=True)
class Window:
    """Allowed local wall-clock span on one day: ``start`` inclusive, ``end`` exclusive."""
    start: time
    end: time

    @property
    def start_min(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_min(self) -> int:
        return self.end.hour * 60 + self.end.minute


def _w(start: int, end: int) -> Window:
    return Window(time(start), time(end))


@dataclass(frozen=True)
class CallingRule:
    """Allowed hours by day type. ``None`` for a day means no calls that day."""
    weekday: Window | None           # Monday to Friday
    saturday: Window | None
    sunday: Window | None
    closed_on_holidays: bool = False  # approximated by federal holidays, see federal_holidays()
    max_calls_24h: int | None = None  # solicitation texts and calls per person per 24 h (policy.decide)
    source: str = ""


FEDERAL = CallingRule(_w(8, 21), _w(8, 21), _w(8, 21),
                      source="TCPA, 47 CFR 64.1200(c)(1): not before 8:00 or after 21:00 called party's local time")

# Stricter state telephone-solicitation rules. THIS IS DATA FOR REVIEW BY COUNSEL: the statutes
# are cited from our reading, change often, and some apply only to certain call types. A state
# missing here falls back to the federal window. Where a statute bans calls on "legal holidays"
# we use federal holidays (state-only holidays such as Mardi Gras are not modelled).
STATE_WINDOWS: dict[str, CallingRule] = {
    "FL": CallingRule(_w(8, 20), _w(8, 20), _w(8, 20), max_calls_24h=3,
                      source="Florida Telephone Solicitation Act, Fla. Stat. 501.059(8)(a): 8:00-20:00, "
                             "at most 3 calls per 24 hours on the same subject"),
    "OK": CallingRule(_w(8, 20), _w(8, 20), _w(8, 20), max_calls_24h=3,
                      source="Oklahoma Telephone Solicitation Act, 15 O.S. 775C.4: 8:00-20:00, "
                             "at most 3 calls per 24 hours on the same subject"),
    "MD": CallingRule(_w(8, 20), _w(8, 20), _w(8, 20), max_calls_24h=3,
                      source="Maryland Stop the Spam Calls Act, Md. Code Com. Law 14-4503: 8:00-20:00, "
                             "at most 3 calls per 24 hours on the same subject"),
    "WA": CallingRule(_w(8, 20), _w(8, 20), _w(8, 20),
                      source="RCW 80.36.390: not before 8:00 or after 20:00 at the called party's location"),
    "TX": CallingRule(_w(9, 21), _w(9, 21), _w(12, 21),
                      source="Tex. Bus. & Com. Code 301.051: 9:00-21:00 weekdays and Saturday, "
                             "12:00-21:00 Sunday"),
    "LA": CallingRule(_w(8, 20), _w(8, 20), None, closed_on_holidays=True,
                      source="La. R.S. 45:844.12-844.13: 8:00-20:00, none on Sunday or legal holidays"),
    "AL": CallingRule(_w(8, 20), _w(8, 20), None, closed_on_holidays=True,
                      source="Alabama Telephone Solicitations Act (Ala. Code 8-19A) and Alabama PSC "
                             "rules: 8:00-20:00, none on Sunday or national holidays (citation to confirm)"),
    "MS": CallingRule(_w(8, 20), _w(8, 20), None,
                      source="Miss. Code Ann. 77-3-725: 8:00-20:00, none on Sunday"),
    "UT": CallingRule(_w(8, 21), _w(8, 21), None, closed_on_holidays=True,
                      source="Utah Code 13-25a-103: 8:00-21:00, none on Sunday or legal holidays"),
    "CT": CallingRule(_w(9, 20), _w(9, 20), _w(9, 20),
                      source="Conn. Gen. Stat. 42-288a (as amended 2023): 9:00-20:00"),
    "MA": CallingRule(_w(8, 20), _w(8, 20), _w(8, 20),
                      source="M.G.L. c. 159C s. 3 and 940 CMR 19.00: 8:00-20:00"),
    "RI": CallingRule(_w(9, 18), _w(10, 17), None, closed_on_holidays=True,
                      source="R.I. Gen. Laws 5-61-3.4: 9:00-18:00 weekdays, 10:00-17:00 Saturday, "
                             "none on Sunday or holidays"),
}

# Marketing email waits for these hours (our policy, not a statute).
BUSINESS = CallingRule(_w(9, 17), None, None, closed_on_holidays=True, source="policy: Mon-Fri 9:00-17:00")

HORIZON = timedelta(days=14)  # no real rule set is closed longer than this


# --- holidays ---------------------------------------------------------------------------------

def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` (0=Monday) of a month; n=-1 for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _actual_holidays(year: int) -> list[date]:
    days = [
        date(year, 1, 1),                 # New Year's Day
        _nth_weekday(year, 1, 0, 3),      # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),      # Washington's Birthday (Presidents Day)
        _nth_weekday(year, 5, 0, -1),     # Memorial Day
        date(year, 7, 4),                 # Independence Day
        _nth_weekday(year, 9, 0, 1),      # Labor Day
        _nth_weekday(year, 10, 0, 2),     # Columbus Day
        date(year, 11, 11),               # Veterans Day
        _nth_weekday(year, 11, 3, 4),     # Thanksgiving
        date(year, 12, 25),               # Christmas
    ]
    if year >= 2021:
        days.append(date(year, 6, 19))    # Juneteenth (5 U.S.C. 6103 since 2021)
    return days


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    out: set[date] = set()
    for y in (year, year + 1):  # New Year's Day on a Saturday is observed on Dec 31 the year before
        for day in _actual_holidays(y):
            out.add(day)
            # 5 U.S.C. 6103(b): Saturday holidays are observed Friday, Sunday holidays Monday
            if day.weekday() == 5:
                out.add(day - timedelta(days=1))
            elif day.weekday() == 6:
                out.add(day + timedelta(days=1))
    return frozenset(d for d in out if d.year == year)


def federal_holidays(year: int) -> set[date]:
    """US federal holidays falling in ``year``: both the actual dates and the observed weekdays."""
    return set(_holidays(year))


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a federal holiday (actual or observed)."""
    return day.weekday() < 5 and not is_holiday(day)


# --- rules ------------------------------------------------------------------------------------

def _intersect(a: Window | None, b: Window | None) -> Window | None:
    if a is None or b is None:
        return None
    start, end = max(a.start, b.start), min(a.end, b.end)
    return Window(start, end) if start < end else None


def _clamp(window: Window | None, start_hour: int | None, end_hour: int | None) -> Window | None:
    """Overrides can only narrow a window, never widen it past the law."""
    if window is None:
        return None
    start, end = window.start, window.end
    if start_hour is not None:
        start = max(start, time(start_hour))
    if end_hour is not None and end_hour < 24:
        end = min(end, time(end_hour))
    return Window(start, end) if start < end else None


def _check_hours(start_hour: int | None, end_hour: int | None) -> None:
    for value in (start_hour, end_hour):
        if value is not None and not (isinstance(value, int) and 0 <= value <= 24):
            raise ValueError("hour overrides must be whole hours 0-24")


def rule_for(state: str | tuple[str | None, ...] | None) -> CallingRule:
    """The federal rule combined with every given state's stricter one (federal alone when none).

    Several states when the lead's state and its phone's area code disagree: the Florida act
    presumes a Florida area code is a Florida resident, so the strictest of both applies."""
    states = state if isinstance(state, tuple) else (state,)
    rule, sources = FEDERAL, []
    for one in dict.fromkeys(s.strip().upper() for s in states if isinstance(s, str)):
        extra = STATE_WINDOWS.get(one)
        if extra is None:
            continue
        limits = [n for n in (rule.max_calls_24h, extra.max_calls_24h) if n is not None]
        rule = CallingRule(_intersect(rule.weekday, extra.weekday), _intersect(rule.saturday, extra.saturday),
                           _intersect(rule.sunday, extra.sunday), rule.closed_on_holidays or extra.closed_on_holidays,
                           min(limits) if limits else None, "")
        sources.append(extra.source)
    return rule if not sources else CallingRule(rule.weekday, rule.saturday, rule.sunday, rule.closed_on_holidays,
                                                rule.max_calls_24h, "; ".join(sources))


def _window_on(rule: CallingRule, day: date, start_hour: int | None = None,
               end_hour: int | None = None) -> Window | None:
    if rule.closed_on_holidays and is_holiday(day):
        return None
    wd = day.weekday()
    window = rule.weekday if wd < 5 else rule.saturday if wd == 5 else rule.sunday
    return _clamp(window, start_hour, end_hour)


def _check_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _inside(at: datetime, zones: tuple[str, ...], rule: CallingRule, start_hour: int | None = None,
            end_hour: int | None = None) -> bool:
    if not zones:
        raise ValueError("zones must not be empty")
    for name in zones:
        local = at.astimezone(ZoneInfo(name))
        window = _window_on(rule, local.date(), start_hour, end_hour)
        if window is None:
            return False
        minute = local.hour * 60 + local.minute
        if not (window.start_min <= minute < window.end_min):
            return False
    return True


def _ceil_minute(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    floor = at.replace(second=0, microsecond=0)
    return floor if floor == at else floor + timedelta(minutes=1)


def _resolve_local(day: date, wall: time, zone: ZoneInfo) -> list[datetime]:
    """UTC instants at which ``zone`` first shows ``wall`` on ``day``.

    One instant normally; two when the wall time repeats (fall back); for a wall time skipped by
    spring-forward, the transition instant itself (the first moment local time is past it).
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:  # the wall time exists
        return [first] if first == second else sorted({first, second})
    # In a gap: fold=1 reads it with the later (larger) offset, so it lands before the
    # transition and fold=0 after it. Bisect for the instant the offset changes.
    lo, hi = int(min(first, second).timestamp()), int(max(first, second).timestamp())
    before = datetime.fromtimestamp(lo, UTC).astimezone(zone).utcoffset()
    while hi - lo > 1:  # whole seconds: lo keeps the old offset, hi has the new one
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return [_ceil_minute(datetime.fromtimestamp(hi, UTC))]


def _next_inside(at: datetime, zones: tuple[str, ...], rule: CallingRule, start_hour: int | None = None,
                 end_hour: int | None = None) -> datetime:
    """The first whole minute >= ``at`` inside ``rule`` in every zone.

    The allowed set is an intersection of per-zone windows, so its earliest point after a
    disallowed instant is where some zone's window opens: we only test those instants (a few per
    zone per day over 14 days). This relies on no window containing a DST transition, true for
    every rule here (windows open at 8:00 or later; US clocks change at 2:00).
    """
    _check_aware(at, "at_utc")
    _check_hours(start_hour, end_hour)
    if not zones:
        raise ValueError("zones must not be empty")
    t = _ceil_minute(at)
    if _inside(t, zones, rule, start_hour, end_hour):
        return t
    limit = t + HORIZON
    candidates: set[datetime] = set()
    for name in zones:
        zone = ZoneInfo(name)
        day = t.astimezone(zone).date() - timedelta(days=1)
        last = limit.astimezone(zone).date() + timedelta(days=1)
        while day <= last:
            window = _window_on(rule, day, start_hour, end_hour)
            if window is not None:
                for instant in _resolve_local(day, window.start, zone):
                    if t < instant <= limit:
                        candidates.add(instant)
            day += timedelta(days=1)
    for instant in sorted(candidates):
        if _inside(instant, zones, rule, start_hour, end_hour):
            return instant
    raise ValueError(f"no allowed time within {HORIZON.days} days for zones {zones}")


# --- public API -------------------------------------------------------------------------------

def allowed_window_ok(at_utc: datetime, zones: tuple[str, ...], state: str | tuple | None, *,
                      start_hour_override: int | None = None, end_hour_override: int | None = None) -> bool:
    """True if a call or text at ``at_utc`` is inside the federal and state window in every zone."""
    _check_aware(at_utc, "at_utc")
    _check_hours(start_hour_override, end_hour_override)
    return _inside(at_utc, tuple(zones), rule_for(state), start_hour_override, end_hour_override)


def next_allowed(at_utc: datetime, zones: tuple[str, ...], state: str | tuple | None, *,
                 start_hour_override: int | None = None, end_hour_override: int | None = None) -> datetime:
    """The first whole minute (UTC) >= ``at_utc`` at which ``allowed_window_ok`` holds.

    Overrides (whole local hours) can only narrow the legal window, e.g. to start calls at 9:00.
    Raises ValueError if nothing is allowed within 14 days (zones too far apart for the window).
    """
    return _next_inside(at_utc, tuple(zones), rule_for(state), start_hour_override, end_hour_override)


def business_hours_ok(at_utc: datetime, zones: tuple[str, ...]) -> bool:
    """Mon-Fri 9:00-17:00 local, not a federal holiday, in every zone (marketing email)."""
    _check_aware(at_utc, "at_utc")
    return _inside(at_utc, tuple(zones), BUSINESS)


def next_business_time(at_utc: datetime, zones: tuple[str, ...]) -> datetime:
    """The first whole minute (UTC) >= ``at_utc`` inside business hours in every zone."""
    return _next_inside(at_utc, tuple(zones), BUSINESS)


def next_local_time(after_utc: datetime, zone: str, hour: int, minute: int = 0,
                    business_day: bool = False) -> datetime:
    """The next instant (UTC) strictly after ``after_utc`` when it is hour:minute local in ``zone``.

    With ``business_day`` only Mon-Fri days that are not federal holidays count. A wall time
    skipped by spring-forward resolves to the transition instant (the first moment after it);
    a repeated one (fall back) to its first occurrence still after ``after_utc``.
    """
    _check_aware(after_utc, "after_utc")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError("hour must be 0-23 and minute 0-59")
    tz = ZoneInfo(zone)
    after = after_utc.astimezone(UTC)
    # start a day early: a fall-back at midnight can put later instants on an earlier local date
    day = after.astimezone(tz).date() - timedelta(days=1)
    wall = time(hour, minute)
    for _ in range(40):
        if not business_day or is_business_day(day):
            for instant in _resolve_local(day, wall, tz):
                if instant > after:
                    return instant
        day += timedelta(days=1)
    raise ValueError("no matching local time within 40 days")  # unreachable for real calendars
