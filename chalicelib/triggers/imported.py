"""Imported leads: an LOS export is not an inquiry, so nothing answers it at once.

A new inquiry gets lead nurture's instant reply (``stage_reached`` on ``lead_created``); an
imported lead comes in through ``lead_imported`` instead, and only this rule runs for it:

* a loan funded within ``RECENT_FUNDING_DAYS`` (30, the window ``stage_reached`` uses for a lead
  created as funded) joins ``post_funded_welcome``: its first e-mail waits a day, for 10:00
  lead-local, and the business-hours and cap rules like any marketing touch;
* every other past client waits for the nightly sweeps (funding anniversary -> ``annual_review``,
  birthday -> ``birthday``, rate drop -> ``refinance_opportunity``), which find it through the
  sweep keys of its lead item;
* open loans rest at their stage; the LOS's next milestone (``POST /integrations/los``) starts
  ``pipeline_progression`` at that stage's update. New leads (prospects) get no nurture burst.
"""
from __future__ import annotations

from datetime import date, timedelta

from .common import RECENT_FUNDING_DAYS
from .decisions import Enroll, TriggerInput, trigger


def funded_recently(lead: dict, today: date) -> bool:
    funded_on = (lead.get("loan") or {}).get("funded_on")
    if lead.get("stage") != "funded" or not funded_on:
        return False  # without a date it is not known to be recent: no welcome
    return today - timedelta(days=RECENT_FUNDING_DAYS) <= date.fromisoformat(funded_on) <= today


@trigger("lead_imported")
def imported(inp: TriggerInput) -> list:
    if funded_recently(inp.lead, inp.now.date()):
        return [Enroll("post_funded_welcome", reason="import:recently_funded")]
    return []
