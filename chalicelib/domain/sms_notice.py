"""When a text carries the opt-out instruction ("Reply STOP to opt out"). Pure.

The rule followed: the CTIA Messaging Principles and Best Practices (the code carriers enforce on
10DLC and toll-free senders) ask for opt-out instructions in the first message of a program and
at regular intervals, at least once a month for recurring messages; the FCC's TCPA rules let the
borrower opt out "by any reasonable means" (domain/optout.py hears every STOP word, on every
text, with or without the instruction). So the instruction goes on the first text a lead gets
from the team and again on the first text once a month (30 days) has passed since the last text
that carried it; the other texts keep the LO's name, NMLS ID and the company (the SAFE Act's part,
never dropped) and leave the 23 characters to the message, which keeps most texts to one billed
segment. The decision is taken from the lead's own record when the touch is planned
(``services/schedule.plan_lead``), like the frequency cap.
"""
from __future__ import annotations

from datetime import datetime, timedelta

FIELD = "sms_notice_at"          # on the lead's contact bookkeeping: the last text that carried it
EVERY = timedelta(days=30)


def needs_notice(last_notice_at: str | None, now: datetime) -> bool:
    """True for the first text to a lead, and once ``EVERY`` has passed since the last notice."""
    if not last_notice_at:
        return True
    return now - datetime.fromisoformat(last_notice_at) >= EVERY
