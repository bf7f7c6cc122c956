"""Calling windows (interim)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def _ok(at, zones, start, end, weekdays_only=False):
    for z in zones:
        local = at.astimezone(ZoneInfo(z))
        if weekdays_only and local.weekday() >= 5:
            return False
        if not (start <= local.hour < end):
            return False
    return True


def allowed_window_ok(at_utc, zones, state):
    return _ok(at_utc, zones, 8, 21)


def next_allowed(at_utc, zones, state, *, start_hour_override=None):
    t = at_utc.replace(second=0, microsecond=0)
    if t < at_utc:
        t += timedelta(minutes=1)
    for _ in range(14 * 24 * 4):
        if allowed_window_ok(t, zones, state):
            return t
        t += timedelta(minutes=15)
    return t


def business_hours_ok(at_utc, zones):
    return _ok(at_utc, zones, 9, 17, weekdays_only=True)


def next_business_time(at_utc, zones):
    t = at_utc.replace(second=0, microsecond=0)
    for _ in range(14 * 24 * 4):
        if business_hours_ok(t, zones):
            return t
        t += timedelta(minutes=15)
    return t


def next_local_time(after_utc, zone, hour, minute=0, business_day=False):
    z = ZoneInfo(zone)
    local = after_utc.astimezone(z)
    day = local.date()
    for _ in range(30):
        cand = datetime(day.year, day.month, day.day, hour, minute, tzinfo=z).astimezone(timezone.utc)
        if cand > after_utc and (not business_day or day.weekday() < 5):
            return cand
        day += timedelta(days=1)
    raise ValueError("no local time found")
