"""The simulated readers and inboxes (sim/people.py ``arrived``, sim/deliverability.py)."""
import random
from datetime import datetime, timezone
from email.utils import format_datetime

from sim.deliverability import DEAD_SHARE, Inboxes
from sim.people import arrived, population

NOW = datetime(2027, 1, 4, 15, 0, tzinfo=timezone.utc)


def _raw(at: datetime) -> str:
    return f"Date: {format_datetime(at)}\r\nSubject: hi\r\n\r\nbody"


def test_mail_that_landed_this_instant_waits_for_the_next_look():
    now_mail, hour_old = _raw(NOW), _raw(NOW.replace(hour=14))
    assert arrived([now_mail, hour_old, "no date\r\n\r\nbody"], NOW) == ([hour_old, "no date\r\n\r\nbody"], [now_mail])


def test_dead_addresses_are_drawn_from_the_imported_book_only_and_the_same_for_a_seed():
    people = population(2000, random.Random(1), NOW.date(), 365)
    dead = Inboxes(people, 11).dead
    book = {p.n for p in people if p.body.get("stage") == "funded"}
    assert dead <= book and abs(len(dead) / len(book) - DEAD_SHARE) < 0.015
    assert Inboxes(people, 11).dead == dead and Inboxes(people, 12).dead != dead


def test_complaint_noise_says_how_much_of_a_year_is_the_draw():
    from datetime import date, timedelta

    from sim.deliverability import chance

    first = date(2027, 1, 1)
    year = [(first + timedelta(days=n)).isoformat() for n in range(365)]
    engaged = {d: {"sent": 30, "to_disengaged": 0} for d in year}  # 10,950 sends to readers: 0.02%
    calm = chance(engaged, first, first + timedelta(days=364), years=5)
    assert calm["expected_complaints"] == 2.2 and calm["years_over_0_1pct"] <= 0.1
    careless = {d: {"sent": 30, "to_disengaged": 10} for d in year}  # a third to never-readers
    loud = chance(careless, first, first + timedelta(days=364), years=5)
    assert loud["expected_complaints"] == 19.7 and loud["years_over_0_1pct"] >= 0.9
    assert loud["brake_trips_per_year"]["0.08%"] > calm["brake_trips_per_year"]["0.08%"]
    assert chance(careless, first, first + timedelta(days=364), years=5) == loud  # its own seeded draws
