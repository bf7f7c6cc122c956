"""Nightly sweeps (EventBridge cron): time and external triggers over sparse indexes.

Each sweep is a Chalice scheduled function at 07:00 UTC; NIGHTLY lists them for the local
worker, which runs them once per virtual night. Each reads at most a few pages and hands the
rest of a large partition to ``sweep_page`` continuations on the events queue.
"""
from __future__ import annotations

from chalice import Blueprint, Cron

from ..clock import now
from ..services.context import context
from .workers import metrics_flushed


def _run(name: str) -> dict:
    # imported at the first run: the sweeps service pulls the trigger rules and the whole
    # sequence catalogue, which no other Lambda of this app should load at cold start
    from ..services import sweeps as svc

    with metrics_flushed():
        return getattr(svc, name)(context(), now())


bp = Blueprint(__name__)
NIGHT = Cron(0, 7, "*", "*", "?", "*")


@bp.schedule(NIGHT)
def sweep_anniversaries(event):
    return _run("anniversaries")


@bp.schedule(NIGHT)
def sweep_birthdays(event):
    return _run("birthdays")


@bp.schedule(NIGHT)
def sweep_wakeups(event):
    return _run("wakeups")


@bp.schedule(NIGHT)
def sweep_rates(event):
    return _run("rates")


@bp.schedule(NIGHT)
def sweep_counters(event):
    return _run("counters")


@bp.schedule(NIGHT)
def sweep_lo_days(event):
    """Each LO's open tasks before the day starts: routine work that did not fit moves to a day
    with room, what ran out of time closes (routine) or goes to the manager (decisive)."""
    from ..services.lo_day import review_days

    with metrics_flushed():
        return review_days(context(), now())


NIGHTLY: tuple = (sweep_anniversaries, sweep_birthdays, sweep_wakeups, sweep_rates, sweep_counters, sweep_lo_days)
