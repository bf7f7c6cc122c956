"""Synthetic borrowers and how they behave. Pure: everything comes from the seeded ``rng``.

A population mixes fresh inquiries arriving over the year (some apply, some stall, some go
through to funding), and past clients funded one to six years ago with a note rate, a home and
a birthday. Each person has an engagement level that sets how often they open, click, reply,
unsubscribe or text STOP (a third are disengaged: they never open, click or reply to e-mail),
and some read mail in Apple Mail with Privacy Protection (every pixel fetched by Apple's proxy
on arrival: a machine open the engine must not count).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime

STATES = [("TX", "512"), ("TX", "713"), ("FL", "305"), ("CA", "415"), ("AZ", "602"), ("NY", "212"),
          ("CO", "303"), ("WA", "206"), ("HI", "808"), ("MD", "410"), ("OK", "405"), ("IL", "312")]
FIRST = ["Maria", "Derek", "Aisha", "Tom", "Lena", "Jamal", "Priya", "Chris", "Ana", "Wei", "Grace", "Omar"]
LAST = ["Lopez", "Washington", "Khan", "Nguyen", "Miller", "Okafor", "Shah", "Brooks", "Silva", "Chen"]
PIPELINE = [("application_submitted", 0), ("conditional_approval", 12), ("appraisal_ordered", 3),
            ("clear_to_close", 14), ("funded", 6)]
LOS = ("lo-1", "lo-2")  # the team's producing LOs (chalicelib/teams/local.json): each has a book of its own
STOP_WORDS = ["STOP", "stop", "Stop.", "please stop texting me", "UNSUBSCRIBE", "Cancel", "quit"]
# A Spanish speaker stops in Spanish (domain/optout.py must read every one as a stop).
SPANISH_STOP_WORDS = ["ALTO", "Baja", "No me envíe más mensajes", "CANCELAR", "parar", "alto por favor", "Basta"]
SPANISH_EVERY = 5  # about one in five borrowers in the simulated states prefers Spanish


def speaks_spanish(n: int) -> bool:
    """Person ``n`` prefers Spanish (a fixed pattern, not a draw: everyone else's draws stay the same)."""
    return n % SPANISH_EVERY == 3


@dataclass
class Person:
    n: int
    body: dict                      # POST /leads
    arrives_day: int                # days after the start
    engagement: float               # chance to open an e-mail
    apple_mail: bool
    plan: list[tuple[int, str]] = field(default_factory=list)  # (day, stage) after arrival
    lead_id: str | None = None
    engaged: bool = True            # False: never opens, clicks or replies to e-mail (the disengaged cohorts)


def population(n: int, rng: random.Random, start: date, days: int) -> list[Person]:
    people = []
    for i in range(n):
        state, area = STATES[i % len(STATES)]
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{i}"
        body = {"first_name": first, "last_name": last, "email": f"{first.lower()}.{last.lower()}@example.com",
                "phone": f"+1{area}555{1000 + i:04d}", "state": state, "source": rng.choice(["website", "zillow", "referral"]),
                "consent": {"email": True}, "lo_id": LOS[i % len(LOS)]}
        if rng.random() < 0.7:
            body["consent"]["sms"] = {"granted": True, "source": "web form",
                                      "text": "I agree to receive texts about my mortgage; msg & data rates may apply."}
        if rng.random() < 0.3:
            body["consent"]["voice"] = {"granted": True, "source": "web form", "text": "I agree to calls."}
        if speaks_spanish(i):
            body["language"] = "es"
        engagement = rng.choice([0.1, 0.35, 0.6])
        person = Person(i, body, 0, engagement, rng.random() < 0.3)
        person.engaged = engagement > 0.1  # a third of people never read the mail (no extra draw: same people)
        if rng.random() < 0.35:  # a past client
            funded = start - timedelta(days=rng.randint(300, 6 * 365))
            rate = round(rng.uniform(5.5, 7.9) * 8) / 8
            amount = rng.randrange(200_000, 650_000, 5_000)
            body.update(stage="funded", birthday=f"{rng.randint(1960, 1998)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        loan={"type": "conventional", "purpose": "purchase", "amount": amount, "rate": rate,
                              "term_months": 360, "funded_on": funded.isoformat(), "product": "conv30",
                              "property_value": int(amount * rng.uniform(1.1, 1.4))})
        else:
            person.arrives_day = rng.randrange(0, max(1, days - 7))
            body["loan"] = {"type": rng.choice(["conventional", "fha", "va"]), "purpose": "purchase",
                            "amount": rng.randrange(180_000, 600_000, 5_000), "product": "conv30"}
            if rng.random() < 0.4:
                body["realtor"] = {"name": "Sam Agent", "email": f"agent{i % 7}@realty.example"}
            if rng.random() < 0.35:  # applies; some stall after applying
                day = rng.randint(2, 20)
                stall = rng.random() < 0.3
                for stage, gap in PIPELINE[:1] if stall else PIPELINE:
                    day += gap + (rng.randint(0, 3) if gap else 0)
                    person.plan.append((day, stage))
        people.append(person)
    return people


def reacts_to_email(person: Person, rng: random.Random, rate_quote: bool) -> dict:
    """What the person does with one e-mail: opens (how many times), clicks, replies, unsubscribes."""
    opens = 0
    if person.engaged and rng.random() < person.engagement:
        opens = 3 if rate_quote and rng.random() < 0.3 else rng.choice([1, 1, 2])
    return {"opens": opens, "click": opens > 0 and rng.random() < 0.25,
            "reply": opens > 0 and rng.random() < 0.04, "unsubscribe": rng.random() < 0.004}


def reacts_to_sms(person: Person, rng: random.Random) -> str | None:
    roll = rng.random()
    spanish = person.body.get("language") == "es"
    if roll < 0.015:
        return rng.choice(SPANISH_STOP_WORDS if spanish else STOP_WORDS)
    if roll < 0.05:
        return "Está bien, llámeme después de las 5" if spanish else "Sounds good, call me after 5"
    return None


_DATE = re.compile(r"^Date:[ \t]*(.+)$", re.M)


def arrived(raws: list[str], now: datetime) -> tuple[list[str], list[str]]:
    """(mail a person can read now, mail that landed this very instant). The simulation's clock
    is held between steps and a touch due on a step's boundary is sent at it: opened at the same
    instant, its open is a machine's to the engine (nobody reads within a second of the send),
    and an engaged reader looked as if they never read. Such mail waits for the next look."""
    ready, later = [], []
    for raw in raws:
        date_ = _DATE.search(raw.split("\r\n\r\n", 1)[0])
        sent = parsedate_to_datetime(date_.group(1).strip()) if date_ else None
        (later if sent is not None and (now - sent).total_seconds() < 60 else ready).append(raw)
    return ready, later
