"""Sender reputation: the brake, sunset and warm-up rules. Pure.

Mailbox providers and SES judge a sender by its bounce and complaint rates. SES puts an account
under review at 5% bounces or 0.1% complaints and may pause it at 10% / 0.5%; Gmail and Yahoo
filter a bulk sender whose spam complaints pass 0.3%. The team acts first, on its own lines,
well below those (``reputation`` in the team file, over :data:`DEFAULTS`):

* **The brake** (:func:`judge`). Each sending identity keeps day counters (sends, marketing
  sends, hard and soft bounces, complaints). A rate is read over the last ``window_days`` (7),
  widened a day at a time (at most ``max_window_days``, a year) until it holds the minimum sample
  of sends: ``min_sample`` (100) for bounces, ``complaint_min_sample`` (5000) for complaints, so
  that one complaint moves the rate by 0.02%, a fifth of SES's review line (SES too judges over a
  representative volume, not the last batch). Short of the sample, a count the whole sample could
  not absorb is already over: ten complaints in the first 300 sends of a bought list trip at once.
  Over ``bounce_brake`` (2.5%) or ``complaint_brake`` (0.08%) the identity is ``braked``:
  marketing e-mail from it waits (reason ``braked``), transactional e-mail (loan-status updates,
  answers to the borrower) still goes. It resumes when a person says so, or, with
  ``auto_resume``, when the window reads under both lines again. Why 0.08% and not half of
  SES's line: readers alone complain at about 0.02%, and with sunset a team's year expects
  about 0.045-0.05% (the simulator's ``complaint_noise``); over 5,000-send windows a 0.05% line
  then brakes on chance alone 1.7 times a year at 400 borrowers and 3.1 at 1,000, against 0.4
  and 1.4 at 0.08%, each time a day without marketing for everyone.
* **Sunset** (:func:`sunset`). A borrower with no human open, click or reply to an e-mail for
  ``sunset.after_days`` (180) and ``min_unread`` (12) marketing e-mails gets marketing e-mail at
  most every ``sunset.every_days`` (30); after ``sunset.reengage_after_days`` (270) one
  re-engagement message; then none until they engage again. One who never read a single e-mail
  is judged sooner: ``never_read_days`` (10) and ``never_read_min_unread`` (2) after the first
  e-mail, the re-engagement at ``never_read_reengage_days`` (30): a new borrower who opened
  neither of their first two e-mails is the one whose inbox files the next as spam (a
  disengaged reader complains at 25 times an engaged one's rate). A past client (stage
  ``funded``: a loan closed with this LO, so a known sender) has a longer runway
  (``sunset.past_client``: 21 days and 4 unread, re-engagement at 90): every e-mail more to a
  never-reader is a chance to complain, every one fewer a chance for a reader who happened to miss
  the first few to open one, and the simulated year put the line there (issue 26's note). Both
  a stretch of time and a count of unread mail: a borrower who reads one e-mail in three is not
  sunset because a quiet month sent only two. Only the mail counts: machine opens (privacy prefetch, link scanners)
  never do, and neither do texts or calls; a borrower who answers those but never opens an
  e-mail has their year by text and call. What does not go as an e-mail goes as the step's own
  text where the borrower consented (behavioural rule 2).
* **Warm-up** (:func:`daily_limit`). A new identity (``warmup.started``: the day it began)
  sends at most ``first_day`` marketing e-mails on its first day, ``growth`` times more each day,
  until ``weeks`` have passed. Engaged borrowers first: a quiet one's e-mail waits once the
  day's count reaches ``quiet_share`` of the limit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .events import MAIL_READ

DEFAULTS = {
    "bounce_brake": 0.025,          # SES reviews at 0.05
    "complaint_brake": 0.0008,      # SES reviews at 0.001
    "window_days": 7,
    "max_window_days": 365,
    "min_sample": 100,              # sends before a bounce rate is judged
    "complaint_min_sample": 5000,   # sends before a complaint rate is judged: one complaint is 0.02%
    "auto_resume": False,           # True: a window back under both lines resumes by itself
    "recheck_minutes": 60,          # a braked or warming touch looks again after this
    # since the last human read; a borrower who never read one e-mail is judged sooner
    # a reader's quiet spell (a third of the mail read, one e-mail in eight) is not a stretch: half a year is
    "sunset": {"after_days": 180, "reengage_after_days": 270, "never_read_days": 10, "never_read_reengage_days": 30,
               "min_unread": 12, "never_read_min_unread": 2, "every_days": 30,
               # a past client closed a loan with this LO: their mail is a known sender's
               "past_client": {"never_read_days": 21, "never_read_min_unread": 4, "never_read_reengage_days": 90}},
    "warmup": {"started": None, "first_day": 50, "growth": 1.25, "weeks": 6, "quiet_share": 0.5},
}
COUNTERS = ("sent", "marketing", "hard_bounces", "soft_bounces", "complaints")
STATES = ("ok", "warming", "braked")
REENGAGE_TEMPLATE = "library/sunset/still_want_these"
REENGAGE_SUBJECT = "Should I keep sending these, {{ borrower.first_name }}?"


def settings_of(team: dict | None) -> dict:
    own = dict((team or {}).get("reputation") or {})
    sunset_own = own.get("sunset") or {}
    past = sunset_own.get("past_client")
    return {**DEFAULTS, **own,
            "sunset": {**DEFAULTS["sunset"], **sunset_own,
                       "past_client": {**DEFAULTS["sunset"]["past_client"], **(past if isinstance(past, dict) else {})}},
            "warmup": {**DEFAULTS["warmup"], **(own.get("warmup") or {})}}


def settings_problem(raw: dict | None) -> str | None:
    """What is wrong with a team's ``reputation`` block, or None."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        return "reputation must be an object"
    sunset_raw = raw.get("sunset")
    if sunset_raw is not None and not isinstance(sunset_raw, dict) or \
            isinstance(sunset_raw, dict) and not isinstance(sunset_raw.get("past_client") or {}, dict):
        return "reputation.sunset and reputation.sunset.past_client must be objects"
    s = settings_of({"reputation": raw})
    try:
        if not 0 < float(s["bounce_brake"]) < 0.05:
            return "reputation.bounce_brake must be above 0 and below SES's 5% review line"
        if not 0 < float(s["complaint_brake"]) < 0.001:
            return "reputation.complaint_brake must be above 0 and below SES's 0.1% review line"
        for name in ("window_days", "max_window_days", "min_sample", "complaint_min_sample", "recheck_minutes"):
            if int(s[name]) < 1:
                return f"reputation.{name} must be a positive whole number"
        for name, value in [*s["sunset"].items(), *s["sunset"]["past_client"].items()]:
            if name != "past_client" and int(value) < 1:
                return f"reputation.sunset.{name} must be a positive whole number"
        if s["warmup"].get("started"):
            date.fromisoformat(str(s["warmup"]["started"]))
    except (TypeError, ValueError):
        return "reputation: numbers, and warmup.started as YYYY-MM-DD"
    return None


def identity_of(address: str | None) -> str:
    """The sending identity of a From address: its domain (what SES verifies with DKIM)."""
    address = (address or "").strip().lower()
    return address.rsplit("@", 1)[-1] if "@" in address else address


# -- the window and the brake ------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    count: int
    sent: int
    days: int          # the days it was read over (7, or more to reach the sample)
    judged: bool       # the sample was reached

    @property
    def rate(self) -> float:
        return self.count / self.sent if self.sent else 0.0


def _day(d: date, n: int) -> str:
    return (d - timedelta(days=n)).isoformat()


def rate_over(days: dict[str, dict], today: date, counter: str, min_sample: int, window: int, widest: int,
              denominator: str = "sent") -> Rate:
    """``counter`` over the sends of the last ``window`` days (today included), widened a day at
    a time up to ``widest`` days until the sends reach ``min_sample``. Short of the sample, the
    span is the days that hold anything (a list that arrived today reads over 1 day, not 365)."""
    count = sent = 0
    n = held = 0
    for n in range(widest):
        row = days.get(_day(today, n)) or {}
        count += int(row.get(counter, 0))
        sent += int(row.get(denominator, 0))
        if row.get(counter) or row.get(denominator):
            held = n + 1
        if n + 1 >= window and sent >= min_sample:
            break
    judged = sent >= min_sample
    return Rate(count, sent, n + 1 if judged else max(held, min(window, widest)), judged)


def seven_days(days: dict[str, dict], today: date, window: int = 7) -> dict[str, int]:
    out = {c: 0 for c in COUNTERS}
    for n in range(window):
        for c in COUNTERS:
            out[c] += int((days.get(_day(today, n)) or {}).get(c, 0))
    return out


@dataclass(frozen=True)
class Verdict:
    over: bool
    reason: str
    bounces: Rate
    complaints: Rate
    over_lines: frozenset = frozenset()  # which counters are over their line: hard_bounces, complaints


def judge(days: dict[str, dict], today: date, settings: dict) -> Verdict:
    s = settings
    bounces = rate_over(days, today, "hard_bounces", s["min_sample"], s["window_days"], s["max_window_days"])
    complaints = rate_over(days, today, "complaints", s["complaint_min_sample"], s["window_days"], s["max_window_days"])
    reasons, over = [], set()
    # Short of the sample, a count that the whole sample could not absorb is already over the
    # line (ten complaints in the first 300 sends of a bought list need no 5,000 to judge).
    if bounces.count > s["bounce_brake"] * max(bounces.sent, s["min_sample"]):
        over.add("hard_bounces")
        reasons.append(f"bounce rate {bounces.rate:.1%} over {bounces.sent} sends in {bounces.days} days "
                       f"(brake {s['bounce_brake']:.1%}; SES reviews at 5%)")
    if complaints.count > s["complaint_brake"] * max(complaints.sent, s["complaint_min_sample"]):
        over.add("complaints")
        reasons.append(f"complaint rate {complaints.rate:.2%} over {complaints.sent} sends in {complaints.days} days "
                       f"(brake {s['complaint_brake']:.2%}; SES reviews at 0.1%)")
    return Verdict(bool(reasons), "; ".join(reasons), bounces, complaints, frozenset(over))


def next_state(current: dict | None, verdict: Verdict, now: datetime, settings: dict) -> dict | None:
    """The identity's new state record, or None when it does not change. A braked identity stays
    braked until a person resumes it, unless ``auto_resume`` and the window is clear again. A
    resume holds against the numbers it was made over (``resumed_counts``): it brakes again only
    when a counter that is over its line has grown past its count at the resume (a bounce does
    not re-brake a resume made over complaints). Once old events leave the window, the recorded
    count comes down with it, so a new complaint in a window still over the line brakes again."""
    current = current or {"state": "ok"}
    if current.get("state") == "braked":
        if settings["auto_resume"] and not verdict.over:
            return {**current, "state": "ok", "reason": "", "resumed_at": now.isoformat(), "resumed_by": "window cleared"}
        return None
    counts = {"hard_bounces": verdict.bounces.count, "complaints": verdict.complaints.count}
    seen = current.get("resumed_counts")
    if not seen:
        if not verdict.over:
            return None
        return {**current, "state": "braked", "reason": verdict.reason, "braked_at": now.isoformat()}
    if any(counts[c] > seen.get(c, 0) for c in verdict.over_lines):
        return {**current, "state": "braked", "reason": verdict.reason, "braked_at": now.isoformat(),
                "resumed_counts": None}
    fallen = {c: min(n, counts[c]) for c, n in seen.items() if c in counts}
    return {**current, "resumed_counts": fallen} if fallen != seen else None


# -- warm-up -----------------------------------------------------------------------------------

def daily_limit(today: date, settings: dict) -> int | None:
    """Marketing e-mails the identity may send today while it warms up; None once warm."""
    w = settings["warmup"]
    if not w.get("started"):
        return None
    started = date.fromisoformat(str(w["started"])[:10])
    age = (today - started).days
    if age < 0 or age >= 7 * int(w["weeks"]):
        return None
    return int(float(w["first_day"]) * float(w["growth"]) ** age)


# -- sunset ------------------------------------------------------------------------------------

def _at(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def last_read(lead: dict) -> datetime | None:
    """The last time a person (not a machine) opened, clicked or replied to an e-mail. Only the
    mail counts: a borrower who answers texts and calls but never opens an e-mail is the one
    whose inbox files the mail as spam, and their year goes on by text and call."""
    times = [_at(a["at"]) for a in lead.get("activity") or () if a.get("type") in MAIL_READ and not a.get("machine")]
    stamped = _at(lead.get("last_email_read_at"))  # kept past the activity window's last 100 events
    return max(times + ([stamped] if stamped else []), default=None)


def reads_mail(lead: dict, now: datetime, days: int) -> bool:
    """A person opened, clicked or replied to an e-mail in the last ``days`` (the programs'
    ``engaged_days``): only reads, not a new borrower's benefit of the doubt. A note that goes by
    e-mail instead of a text needs it."""
    read = last_read(lead)
    return read is not None and now - read < timedelta(days=days)


def unread(lead: dict, read: datetime | None) -> int:
    """Marketing e-mails sent since the last human read (``mail_unread``, kept by :func:`stamp`)."""
    u = lead.get("mail_unread") or {}
    if not u or (read is not None and read >= _at(u["since"])):
        return 0
    return int(u.get("n", 0))


def sunset(lead: dict, now: datetime, settings: dict) -> tuple[str, str]:
    """(action, why) for a marketing e-mail to this lead now: ``send``, ``reengage`` (send the
    re-engagement message instead), or ``skip`` (not as an e-mail)."""
    s = settings["sunset"]
    if lead.get("stage") == "funded":
        s = {**s, **(s.get("past_client") or {})}
    read = last_read(lead)
    since = read or _at(lead.get("first_email_at"))
    if since is None:
        return "send", ""
    silent = (now - since).days
    after, reengage_after, min_unread = (s["after_days"], s["reengage_after_days"], s["min_unread"]) if read else \
        (s["never_read_days"], s["never_read_reengage_days"], s["never_read_min_unread"])
    if silent < int(after) or unread(lead, read) < int(min_unread):
        return "send", ""
    reengaged = _at(lead.get("reengaged_at"))
    if reengaged is not None and reengaged > since:
        return "skip", f"sunset: re-engagement sent {reengaged.date().isoformat()}, no human open, click or reply since"
    if silent >= int(reengage_after):
        return "reengage", ""
    last = _at(lead.get("marketing_email_at"))
    if last is not None and last > since and now - last < timedelta(days=int(s["every_days"])):
        return "skip", (f"sunset: no human open, click or reply in {silent} days; "
                        f"at most one marketing e-mail every {s['every_days']} days")
    return "send", ""


# -- one scheduler run's gate ------------------------------------------------------------------

@dataclass
class Gate:
    """What one scheduler run knows of the sending identity: braked or not, and the warm-up's
    room left today. Mutated as the run plans (its counts are added to the store after)."""
    settings: dict
    braked: bool = False
    reason: str = ""
    limit: int | None = None        # today's warm-up limit, None once warm
    used_today: int = 0             # marketing e-mails already counted today
    counts: dict = field(default_factory=lambda: {"marketing": 0})  # planned by this run

    def before(self, order: dict, lead: dict, now: datetime):
        """Before the contact policy: (a Decision to defer or suppress, or None; the order, perhaps
        now the re-engagement message). Only marketing e-mail is gated: loan-status updates and
        answers to the borrower's own act always go on."""
        from . import cadence
        from .decision import Decision

        if order.get("channel") != "email" or not marketing(order):
            return None, order
        if self.braked:
            return Decision("defer", "braked", recheck_at(now, "braked", self.settings)), order
        action, why = sunset(lead, now, self.settings)
        if action == "skip":
            return Decision("suppress", why), order
        if action == "reengage":
            order = {k: v for k, v in order.items() if k not in ("data", "text", "item")}
            order.update(template=REENGAGE_TEMPLATE, subject=REENGAGE_SUBJECT, reengagement=True)
        if self.limit is not None:
            quiet = cadence.tier(lead, now, cadence.DEFAULTS) == "quiet"
            room = self.limit * (float(self.settings["warmup"]["quiet_share"]) if quiet else 1)
            if self.used_today + self.counts["marketing"] >= room:
                return Decision("defer", "warmup", recheck_at(now, "warmup", self.settings)), order
        return None, order

    def sent(self, order: dict) -> None:
        if order.get("channel") == "email" and marketing(order):
            self.counts["marketing"] += 1


def stamp(lead: dict, sends: list[dict], now: datetime) -> None:
    """Record on the lead what sunset reads next time: its last marketing e-mail, and when the
    re-engagement message went."""
    mail = [t for t in sends if t.get("channel") == "email" and marketing(t)]
    if mail:
        lead["marketing_email_at"] = now.isoformat()
        n = unread(lead, last_read(lead))
        since = (lead.get("mail_unread") or {}).get("since") if n else now.isoformat()
        lead["mail_unread"] = {"since": since, "n": n + len(mail)}
    if any(t.get("reengagement") for t in mail):
        lead["reengaged_at"] = now.isoformat()


def tally(orders: list[dict]) -> dict[str, int]:
    """The day counters of the e-mails one scheduler run queued."""
    mail = [o for o in orders if o.get("channel") == "email"]
    return {"sent": len(mail), "marketing": sum(1 for o in mail if marketing(o))}


def marketing(order: dict) -> bool:
    """A marketing e-mail: not a loan-status update, and not an answer to the borrower's own act."""
    return order.get("kind") != "transactional" and not order.get("immediate")


def recheck_at(now: datetime, reason: str, settings: dict) -> datetime:
    if reason == "warmup":  # tomorrow's room (UTC day), a little after midnight
        return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo) + timedelta(minutes=5)
    return now + timedelta(minutes=int(settings["recheck_minutes"]))
