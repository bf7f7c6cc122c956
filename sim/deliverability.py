"""The simulated year's inbox providers: dead addresses bounce, some people mark mail as spam,
and what that does to the sending identity's rates and the brake.

* **Dead addresses**: ``DEAD_SHARE`` (3%) of the imported book (the past clients on file from the
  first day) no longer exist: the first e-mail to one bounces hard (SES's permanent bounce,
  played through the engine's ses-feedback handler, ``runtime.feedback``).
* **Complaints**: a disengaged borrower marks ``COMPLAIN_DISENGAGED`` (0.5%) of the marketing
  e-mails they receive as spam, an engaged one ``COMPLAIN_ENGAGED`` (0.02%) (SES's complaint
  notification, the same way). A complaint revokes e-mail consent (the engine's own rule).
* **The team's ops contact** looks at ``GET /deliverability`` each day; a braked identity is
  counted (``brake_trips``) and resumed the next day, as a person would after finding the cause.

Draws come from their own seeded generator, so the borrowers and their reactions are the same
people as without it. The figures (``figures``): the highest bounce and complaint rates of
*marketing* e-mail over the year, each read as the engine reads its own (the last 7 days,
widened to the brake's minimum sample: domain/reputation.py ``rate_over``), the brake's trips,
and the marketing e-mails a disengaged borrower got per year of their time.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

DEAD_SHARE = 0.03
COMPLAIN_DISENGAGED = 0.005
COMPLAIN_ENGAGED = 0.0002


class Inboxes:
    def __init__(self, people, seed: int):
        self.rng = random.Random(f"deliverability:{seed}")
        self.dead = {p.n for p in people if p.body.get("stage") == "funded" and self.rng.random() < DEAD_SHARE}
        self.bounced: set[int] = set()
        self.days: dict[str, dict] = defaultdict(lambda: defaultdict(int))  # marketing mail, per day
        self.all_days: dict[str, dict] = defaultdict(lambda: defaultdict(int))  # every e-mail, per day
        self.trips = 0
        self.braked_since: date | None = None
        self.complaints = 0

    def mail(self, person, raw_touch_id: str | None, world, today: date) -> bool:
        """One e-mail reached the provider for ``person``. True when it bounced (nobody reads it)."""
        from chalicelib.local import runtime
        from chalicelib.services.context import context

        touch = context().touches.get(person.lead_id, raw_touch_id) if raw_touch_id and person.lead_id else None
        marketing = bool(touch) and touch.get("kind") != "transactional" and not touch.get("immediate")
        day = today.isoformat()
        self.all_days[day]["sent"] += 1
        if marketing:
            self.days[day]["sent"] += 1
            self.days[day]["to_disengaged"] += 0 if person.engaged else 1
        if person.n in self.dead:
            self.bounced.add(person.n)
            self.all_days[day]["hard_bounces"] += 1
            if marketing:
                self.days[day]["hard_bounces"] += 1
            runtime.feedback(person.body["email"], "bounce")
            world.counts["hard_bounces"] += 1
            return True
        rate = COMPLAIN_ENGAGED if person.engaged else COMPLAIN_DISENGAGED
        if marketing and self.rng.random() < rate:
            self.days[day]["complaints"] += 1
            self.all_days[day]["complaints"] += 1
            self.complaints += 1
            runtime.feedback(person.body["email"], "complaint")
            world.counts["spam_complaints"] += 1
        return False

    def ops_review(self, world, today: date) -> None:
        """The ops contact's daily look: a new brake counted; one braked since yesterday resumed."""
        for identity in world.api("get", "/deliverability")["identities"]:
            if identity["state"] != "braked":
                continue
            if self.braked_since is None:
                self.trips += 1
                self.braked_since = today
            elif today > self.braked_since:
                world.api("post", f"/deliverability/{identity['identity']}/resume", {})
                self.braked_since = None

    def figures(self, touches: list[dict], people: list, start: datetime, end: datetime) -> dict:
        from chalicelib.domain.reputation import DEFAULTS, rate_over
        from sim.cohorts import cohort_of

        def worst(days: dict, counter: str, sample: int) -> float:
            first = min((date.fromisoformat(d) for d in days), default=start.date())
            out, day = 0.0, first
            while day <= end.date():
                r = rate_over(days, day, counter, sample, DEFAULTS["window_days"], DEFAULTS["max_window_days"])
                if r.judged:
                    out = max(out, r.rate)
                day += timedelta(days=1)
            return round(out, 5)

        span = (end - start).days
        per_year, leads = 0.0, 0
        by_lead = {p.lead_id: p for p in people if p.lead_id}
        marketing = defaultdict(int)
        for t in touches:
            if t.get("channel") == "email" and t.get("kind") != "transactional" and not t.get("immediate") and \
                    any(h.get("status") == "sent" for h in t.get("history") or ()):
                marketing[t.get("lead_id")] += 1
        for lead_id, p in by_lead.items():
            cohort = cohort_of(p, span)
            stay = (end - (start + timedelta(days=p.arrives_day))).total_seconds() / 86400
            if cohort and cohort.endswith("_disengaged") and stay >= 30:
                per_year += marketing.get(lead_id, 0) * 365 / stay
                leads += 1
        marketing_sent = sum(d["sent"] for d in self.days.values())
        return {
            "complaint_noise": chance(self.days, start.date(), end.date()),
            "bounce_rate_max_7d": worst(self.days, "hard_bounces", DEFAULTS["min_sample"]),
            "complaint_rate_max_7d": worst(self.days, "complaints", DEFAULTS["complaint_min_sample"]),
            "brake_trips": self.trips,
            "marketing_emails_per_disengaged_year": round(per_year / max(1, leads), 1),
            "marketing_emails": marketing_sent,
            "hard_bounces": sum(d["hard_bounces"] for d in self.all_days.values()),
            "hard_bounces_on_marketing": sum(d["hard_bounces"] for d in self.days.values()),
            "complaints": self.complaints,
            "dead_addresses": len(self.dead),
            "how": "marketing e-mail only; each rate over the last 7 days, widened (up to a year) to the brake's minimum sample "
                   f"({DEFAULTS['min_sample']} sends for bounces, {DEFAULTS['complaint_min_sample']} for complaints), "
                   "the highest of the year",
        }


def chance(days: dict, first: date, last: date, years: int = 100) -> dict:
    """How much of ``complaint_rate_max_7d`` is the draw: the year's marketing sends replayed
    ``years`` times with fresh draws of who complains (each send at its borrower's rate, as
    :meth:`Inboxes.mail` draws), read as the brake reads them. Gives the complaints a year
    expects, the share of years whose highest window reads 0.1% or more, and the trips a year
    the brake would make at its line and at half SES's (without the trips' own effect on what
    is sent). Deterministic: its own seeded generator."""
    from chalicelib.domain.reputation import DEFAULTS, rate_over

    rng = random.Random("complaint-noise")
    sample, widest = DEFAULTS["complaint_min_sample"], DEFAULTS["max_window_days"]
    lines = {"brake": DEFAULTS["complaint_brake"], "half_ses": 0.0005}
    sends = sorted((d, int(row["sent"]) - int(row["to_disengaged"]), int(row["to_disengaged"]))
                   for d, row in days.items())
    over, trips = 0, {name: 0 for name in lines}
    for _ in range(years):
        drawn = {d: {"sent": engaged + disengaged,
                     "complaints": sum(rng.random() < COMPLAIN_ENGAGED for _ in range(engaged))
                     + sum(rng.random() < COMPLAIN_DISENGAGED for _ in range(disengaged))}
                 for d, engaged, disengaged in sends}
        worst, seen, day = 0.0, {name: 0 for name in lines}, first
        while day <= last:
            r = rate_over(drawn, day, "complaints", sample, DEFAULTS["window_days"], widest)
            worst = max(worst, r.rate) if r.judged else worst
            for name, line in lines.items():  # a trip, then a resume that holds until a new complaint
                if r.count > line * max(r.sent, sample) and r.count > seen[name]:
                    trips[name] += 1
                    seen[name] = r.count
            day += timedelta(days=1)
        over += worst >= 0.001
    expected = sum(e * COMPLAIN_ENGAGED + d * COMPLAIN_DISENGAGED for _, e, d in sends)
    return {"expected_complaints": round(expected, 1), "years_over_0_1pct": round(over / years, 2),
            "brake_trips_per_year": {f"{line:.2%}": round(trips[name] / years, 2) for name, line in lines.items()},
            "how": f"the year's marketing sends replayed {years} times with fresh draws of who complains"}
