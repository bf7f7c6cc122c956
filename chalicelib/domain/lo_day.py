"""The LO's day as a budget: pure functions of (tasks, now, settings).

A loan officer can make so many calls a day (``capacity``, a team setting per LO). Every call task
has a priority class from why it exists:

  answer       the borrower is waiting: the speed-to-lead first call, a reply, a hot signal
  decisive     the pipeline's calls: conditions, clear to close, a stalled or unfinished application
  opportunity  money on the table: a refinance, a review with a saving, an equity milestone
  routine      the relationship: quarterly calls, check-ins, the nurture review

Answer and decisive calls are never held back by capacity (a cap that drops the call that closes
the loan is worse than a long day). Opportunity calls are planned before routine ones, over a
week, and a wave larger than that week (a rate drop across the book) is skipped with the reason
rather than piled on the LO. Routine calls fill what is left: they are planned onto the first
business day of their window with room (``capacity - reserve``: the reserve is for the calls
that arrive during the day and cannot be planned), spread instead of piled; one that finds no
room in its window becomes the program's e-mail or text, or is skipped with the reason.

Every task ends. A routine task left undone is moved to the next day with room while its window
lasts, then closes ``expired`` with its reason. An answer or decisive task left undone past its
grace escalates to the LO's manager: never silently.

Days are the LO's own (the team's working zone); business days are Monday to Friday.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

ANSWER, DECISIVE, OPPORTUNITY, ROUTINE = "answer", "decisive", "opportunity", "routine"
PRIORITIES = (ANSWER, DECISIVE, OPPORTUNITY, ROUTINE)
ESCALATES = (ANSWER, DECISIVE)  # the borrower or the loan is waiting: a person must hear of it
LABELS = {ANSWER: "Answer the borrower", DECISIVE: "Decisive call", OPPORTUNITY: "Opportunity", ROUTINE: "Routine"}

# Sequence steps by class (a step not listed takes its sequence's class, then the task's kind's).
STEPS = {
    "lead_nurture.first_call": ANSWER,
    "lead_nurture.nurture_review": ROUTINE,
    "annual_review.review_call_engaged": OPPORTUNITY,  # they opened their review: the saving is live
    "annual_review.review_call": ROUTINE,
    "past_client_program.follow_up_call": OPPORTUNITY,  # they clicked this week: follow what they read
    "long_term_nurture.lo_call": ROUTINE,
    "past_client_program.quarterly_call": ROUTINE,
    "post_funded_welcome.check_in_call": ROUTINE,
}
SEQUENCES = {"pipeline_progression": DECISIVE, "application_incomplete": DECISIVE, "application_stalled": DECISIVE,
             "escalation_watch": DECISIVE, "refinance_opportunity": OPPORTUNITY, "refinance_scenarios": OPPORTUNITY}
KINDS = {"reply": ANSWER, "escalation": DECISIVE, "call": DECISIVE, "review": OPPORTUNITY, "check_in": ROUTINE}


@dataclass(frozen=True)
class DaySettings:
    capacity: int = 12              # call tasks a day
    reserve: int | None = None      # of those, left free by routine planning for the day's arrivals (a quarter)
    window_days: int = 10           # business days a routine call may be planned over
    program_window_days: int = 60   # a program's quarterly call: across the quarter
    opportunity_window_days: int = 5  # a refinance wave's calls: spread over a week, before routine
    grace_days: dict = field(default_factory=lambda: {ANSWER: 2, DECISIVE: 3, OPPORTUNITY: 5})  # business days past due
    day_ends: str = "17:00"         # a routine call is due by the end of its planned day

    @classmethod
    def of(cls, lo_day: dict | None, capacity: int | None = None) -> "DaySettings":
        raw = dict(lo_day or {})
        grace = {**cls().grace_days, **(raw.pop("grace_days", None) or {})}
        known = {k: raw[k] for k in ("reserve", "window_days", "program_window_days", "opportunity_window_days", "day_ends") if k in raw}
        s = cls(capacity=int(capacity if capacity is not None else raw.get("capacity", cls.capacity)),
                grace_days=grace, **known)
        if s.reserve is None:
            s = replace(s, reserve=s.capacity // 4)
        if s.capacity < 1 or not 0 <= s.reserve < s.capacity:
            raise ValueError(f"lo_day: capacity {s.capacity} must be at least 1 and reserve {s.reserve} below it")
        return s

    @property
    def routine_room(self) -> int:
        return self.capacity - self.reserve


# -- business days --------------------------------------------------------------------------

def is_business_day(d: date) -> bool:
    return d.weekday() < 5


def business_day(d: date) -> date:
    """``d`` or the next business day after it."""
    while not is_business_day(d):
        d += timedelta(days=1)
    return d


def add_business_days(d: date, n: int) -> date:
    d = business_day(d)
    for _ in range(n):
        d = business_day(d + timedelta(days=1))
    return d


def business_minutes(start: datetime, end: datetime, zone: str, opens: str = "09:00", closes: str = "17:00") -> int:
    """Minutes of working time (Mon-Fri, ``opens``-``closes`` in ``zone``) between two instants:
    how long a borrower waited for a call, as the LO's week counts it."""
    if end <= start:
        return 0
    tz = ZoneInfo(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    o, c = time.fromisoformat(opens), time.fromisoformat(closes)
    total, d = 0.0, a.date()
    while d <= b.date():
        if is_business_day(d):
            lo = max(a, datetime.combine(d, o, tz))
            hi = min(b, datetime.combine(d, c, tz))
            total += max(0.0, (hi - lo).total_seconds() / 60)
        d += timedelta(days=1)
    return int(total)


def local_day(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def first_workday(now: datetime, zone: str, s: "DaySettings") -> date:
    """The first day a call that can wait is planned on: the next business day. Today belongs to
    the calls that cannot wait, and a day's count is exact only while none of it is done yet:
    the open tasks are the count, and a task done this morning leaves them."""
    return add_business_days(local_day(now, zone), 1)


def _at(d: date, hhmm: str, zone: str) -> datetime:
    """``hhmm`` on day ``d`` in ``zone``, in UTC (stored times compare as text: one offset for all)."""
    return datetime.combine(d, time.fromisoformat(hhmm), ZoneInfo(zone)).astimezone(timezone.utc)


# -- classes ---------------------------------------------------------------------------------

def priority_of(task: dict) -> str:
    """A task's (or a task order's) class: stated, else from its step, its sequence, its kind.
    Anything unknown is decisive: an unrecognised call is never the one capacity drops."""
    for stated in (task.get("priority"), task.get("call_class")):  # a touch order's "priority" is its sequence's rank
        if stated in PRIORITIES:
            return stated
    if task.get("kind") == "reply" or task.get("hot"):
        return ANSWER
    step = f"{task.get('sequence')}.{task.get('step')}"
    if step in STEPS:
        return STEPS[step]
    if task.get("sequence") in SEQUENCES:
        return SEQUENCES[task["sequence"]]
    return KINDS.get(task.get("kind") or "", DECISIVE)


def rank_key(task: dict) -> tuple:
    return PRIORITIES.index(priority_of(task)), task.get("due_at") or task.get("created_at") or "", task["task_id"]


def window_days(order: dict, s: DaySettings) -> int:
    return s.program_window_days if order.get("program") and order.get("step") != "follow_up_call" else s.window_days


def task_day(task: dict, zone: str) -> date:
    """The day a task is on: its planned day, else the day it was created."""
    if task.get("day"):
        return date.fromisoformat(task["day"])
    return local_day(datetime.fromisoformat(task["created_at"]), zone)


# -- planning --------------------------------------------------------------------------------

class Planner:
    """The LO's days ahead, as counts of open tasks per day, and the placing of new calls on them.
    An LO's counts are read once per planner (``loader``: the LO's open tasks) and only when a
    routine call needs them; ``place`` counts what it places, so one run of the scheduler spreads
    its calls over the days among themselves."""

    def __init__(self, settings_of, zone: str, loader=None):
        self.settings_of, self.zone, self.loader = settings_of, zone, loader
        self.loads: dict[str, dict[date, int]] = {}

    def load(self, lo_id: str, open_tasks: list[dict]) -> None:
        days: dict[date, int] = {}
        for t in open_tasks:
            d = task_day(t, self.zone)
            days[d] = days.get(d, 0) + 1
        self.loads[lo_id] = days

    def _days(self, lo_id: str) -> dict[date, int]:
        if lo_id not in self.loads:
            self.load(lo_id, self.loader(lo_id) if self.loader else [])
        return self.loads[lo_id]

    def place(self, lo_id: str, order: dict, now: datetime) -> dict | str:
        """The fields a new task of ``order`` gets (its class, its day, its window), or, for a
        routine call with no room in its window, the reason it cannot be a call."""
        s = self.settings_of(lo_id)
        cls = priority_of(order)
        if cls in ESCALATES:  # never held back: it counts on today, if today's counts are in hand
            day = local_day(now, self.zone)
            if lo_id in self.loads:
                self.loads[lo_id][day] = self.loads[lo_id].get(day, 0) + 1
            return {"call_class": cls, "call_day": day.isoformat()}
        days = self._days(lo_id)
        first = first_workday(now, self.zone, s)
        # an opportunity wave (a rate drop) is spread over a few days, and the routine calls
        # planned later find those days taken: opportunity goes before routine
        last = add_business_days(first, (s.opportunity_window_days if cls == OPPORTUNITY else window_days(order, s)) - 1)
        d = first
        while d <= last and days.get(d, 0) >= s.routine_room:
            d = add_business_days(d, 1)
        if d > last:
            return (f"lo_day_full: no room for {'an opportunity' if cls == OPPORTUNITY else 'a routine'} call in the "
                    f"LO's days until {last.isoformat()} (capacity {s.capacity} a day, {s.reserve} kept for the calls "
                    "that cannot wait)")
        days[d] = days.get(d, 0) + 1
        return {"call_class": cls, "call_day": d.isoformat(),
                **({"call_window_end": last.isoformat()} if cls == ROUTINE else {})}


def stamp(task: dict, now: datetime, zone: str, s: DaySettings) -> dict:
    """A new task's class, day, due time and expiry (the day ``Planner.place`` chose, if any)."""
    cls = priority_of(task)
    if cls == ROUTINE:
        day = date.fromisoformat(task["call_day"]) if task.get("call_day") else first_workday(now, zone, s)
        last = date.fromisoformat(task["call_window_end"]) if task.get("call_window_end") else \
            add_business_days(day, s.window_days - 1)
        return {"priority": cls, "day": day.isoformat(), "window_end": last.isoformat(),
                "due_at": _at(day, s.day_ends, zone).isoformat(), "expires_at": _at(last, s.day_ends, zone).isoformat()}
    due = datetime.fromisoformat(task.get("due_at") or now.isoformat())
    if task.get("call_day") and date.fromisoformat(task["call_day"]) > local_day(now, zone):
        due = _at(date.fromisoformat(task["call_day"]), s.day_ends, zone)  # planned on a later day
    ends = max(_at(add_business_days(local_day(due, zone), s.grace_days.get(cls, 1)), s.day_ends, zone), due)
    return {"priority": cls, "day": task.get("call_day") or local_day(now, zone).isoformat(),
            "expires_at": ends.astimezone(timezone.utc).isoformat()}


# -- the nightly review ----------------------------------------------------------------------

@dataclass
class Review:
    expire: list[tuple[dict, str]] = field(default_factory=list)     # routine/opportunity: close, with reason
    escalate: list[tuple[dict, str]] = field(default_factory=list)   # answer/decisive: the manager hears of it
    move: list[tuple[dict, str, str]] = field(default_factory=list)  # (task, new day, reason)


def _words(d: date) -> str:
    return d.strftime("%a %b %-d")


def review(open_tasks: list[dict], now: datetime, zone: str, s: DaySettings) -> Review:
    """One LO's open tasks at the start of a day: what ended, what must move and why."""
    out = Review()
    today = local_day(now, zone)
    live = []
    for t in open_tasks:
        if t.get("expires_at") and t["expires_at"] <= now.isoformat():
            cls = priority_of(t)
            why = f"not done by {_words(datetime.fromisoformat(t['expires_at']).date())}"
            (out.escalate if cls in ESCALATES else out.expire).append((t, why))
        else:
            live.append(t)
    loads: dict[date, list[dict]] = {}
    for t in live:
        loads.setdefault(task_day(t, zone), []).append(t)
    counts = {d: len(ts) for d, ts in loads.items()}
    # routine work left on a past day, then routine work over a day's capacity (newest first)
    todo: list[tuple[dict, str]] = []
    for d in sorted(loads):
        routine = sorted((t for t in loads[d] if priority_of(t) == ROUTINE), key=rank_key)
        if d < today:
            todo += [(t, f"not reached on {_words(d)}") for t in routine]
            counts[d] = 0
        elif counts[d] > s.capacity:
            over = routine[max(0, len(routine) - (counts[d] - s.capacity)):]
            n_urgent = counts[d] - len(routine)
            todo += [(t, f"{_words(d)} was full ({n_urgent} calls that cannot wait)") for t in over]
            counts[d] -= len(over)
    start = business_day(today)
    for t, why in todo:
        last = date.fromisoformat(t["window_end"]) if t.get("window_end") else start
        d = start
        while d <= last and counts.get(d, 0) >= s.routine_room:
            d = add_business_days(d, 1)
        if d <= last:
            counts[d] = counts.get(d, 0) + 1
            out.move.append((t, d.isoformat(), f"moved to {_words(d)}: {why}"))
        else:
            out.expire.append((t, f"{why}, and no room before its window closed on {_words(last)}"))
    return out


# -- Today -----------------------------------------------------------------------------------

@dataclass
class Today:
    day: str
    capacity: int
    items: list[dict]       # ranked: what the LO works today
    moved: list[dict]       # planned today, not on the list: {"task", "to", "reason"}
    upcoming: int           # planned on later days

    @property
    def used(self) -> int:
        return len(self.items)


def today(open_tasks: list[dict], now: datetime, zone: str, s: DaySettings) -> Today:
    """The LO's day: the calls that cannot wait first, then routine up to capacity; a routine
    call that does not fit today is shown as moved to the next business day, with why."""
    day = local_day(now, zone)
    due = sorted((t for t in open_tasks if task_day(t, zone) <= day), key=rank_key)
    urgent = [t for t in due if priority_of(t) != ROUTINE]
    routine = [t for t in due if priority_of(t) == ROUTINE]
    room = max(0, s.capacity - len(urgent))
    nxt = add_business_days(day, 1)
    moved = [{"task": t, "to": nxt.isoformat(),
              "reason": f"today is full: {len(urgent)} calls that cannot wait and {room} routine calls fill "
                        f"the {s.capacity}"} for t in routine[room:]]
    moved += [{"task": t, "to": t["day"], "reason": t["moved"]} for t in open_tasks
              if t.get("moved") and t.get("moved_on") == day.isoformat() and task_day(t, zone) > day]
    return Today(day.isoformat(), s.capacity, urgent + routine[:room], moved,
                 sum(1 for t in open_tasks if task_day(t, zone) > day))
