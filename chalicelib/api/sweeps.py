"""Nightly sweeps (EventBridge cron): time and external triggers over sparse indexes.

Each sweep is a Chalice scheduled function; NIGHTLY lists them for the local worker, which
runs them once per virtual night.
"""
from __future__ import annotations

from chalice import Blueprint

bp = Blueprint(__name__)

NIGHTLY: tuple = ()
