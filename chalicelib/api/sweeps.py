"""Nightly sweeps (EventBridge cron): time and external triggers over sparse indexes.

Each sweep is a Chalice scheduled function at 07:00 UTC; NIGHTLY lists them for the local
worker, which runs them once per virtual night. Each reads at most a few pages and hands the
rest of a large partition to ``sweep_page`` continuations on the events queue.
"""
from __future__ import annotations

from chalice import Blueprint, Cron

from ..clock import now
from ..services import sweeps as svc  # also lets the events consumer run sweep_page continuations
from ..services.context import context
from .workers import metrics_flushed

bp = Blueprint(__name__)
NIGHT = Cron(0, 7, "*", "*", "?", "*")


@bp.schedule(NIGHT)
def sweep_anniversaries(event):
    with metrics_flushed():
        return svc.anniversaries(context(), now())


@bp.schedule(NIGHT)
def sweep_birthdays(event):
    with metrics_flushed():
        return svc.birthdays(context(), now())


@bp.schedule(NIGHT)
def sweep_wakeups(event):
    with metrics_flushed():
        return svc.wakeups(context(), now())


@bp.schedule(NIGHT)
def sweep_rates(event):
    with metrics_flushed():
        return svc.rates(context(), now())


NIGHTLY: tuple = (sweep_anniversaries, sweep_birthdays, sweep_wakeups, sweep_rates)
