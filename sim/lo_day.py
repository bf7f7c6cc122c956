"""The simulated LOs at work, and what their days looked like (results.json ``lo_day``).

Each business-day step inside working hours, every LO of the book reads their Today list
(``GET /tasks/today``) and works it best first (``POST /tasks/{id}/complete``): the calls that
cannot wait (answer, decisive) whenever they are there, the others (opportunity, routine) in the
afternoon while the day's count is below the LO's capacity. The LO-1 and LO-2 books are the
simulated borrowers, half each; the manager works the escalations. The engine never knows it is
simulated: the plan, the moves, the expiry and the escalations are its own.

    lo_day: {"los", "capacity", "tasks_per_lo_business_day": {"p50", "p95", "max"},
             "over_capacity_days", "decisive_wait_business_minutes_p95", "expired", "escalated",
             "converted", "skipped", "open_at_end_max"}

* ``tasks_per_lo_business_day``: tasks an LO worked on a business day (every LO, every business day);
* ``over_capacity_days``: LO-days on which routine work took the day past capacity (more routine
  calls worked than the calls that cannot wait left room for). The LO works those as they come,
  and routine calls in the afternoon, up to capacity: a day ends above capacity only through
  answer and decisive calls, which are never held back (the routine ones left over move to the
  next day with room, or end);
* ``decisive_wait_business_minutes_p95``: from an answer or decisive task's creation to the LO
  working it, in working minutes (Mon-Fri, 09:00-17:00 in the team's zone);
* ``expired`` / ``escalated``: tasks closed undone (routine) and those sent to the manager;
* ``converted`` / ``skipped``: routine calls that found no room in their window and went as the
  program's e-mail or text instead, or were skipped with the reason;
* ``open_at_end_max``: the most open tasks any LO holds at the end (nothing piles up for ever).
"""
from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

WORK_HOURS = (9, 17)  # the LO's working hours, in the team's zone
LAST_SESSION_HOUR = 14  # the afternoon's look at the list: routine calls fill the day to capacity
URGENT = ("answer", "decisive")  # never held back; opportunity calls are planned within capacity
WAITED = ("answer", "decisive")


class LoDesk:
    """The team's LOs working their Today lists through the API."""

    def __init__(self, world, los: tuple[str, ...], zone: str, managers: tuple[str, ...] = ()):
        # the managers work their lists too (the escalations), measured apart from the books' LOs
        self.world, self.los, self.zone, self.managers = world, los, zone, managers
        self.worked: Counter = Counter()         # (lo, day) -> tasks worked
        self.routine: Counter = Counter()        # (lo, day) -> routine tasks worked
        self.days: set = set()                   # (lo, day) business days seen in working hours
        self.waits: list[int] = []
        self.capacity: dict[str, int] = {}
        self.trace: dict = {}                    # (lo, day) -> the day's list by class (to explain a heavy day)

    def work(self, now: datetime) -> None:
        from chalicelib.domain.lo_day import business_minutes, is_business_day

        local = now.astimezone(ZoneInfo(self.zone))
        if not is_business_day(local.date()) or not WORK_HOURS[0] <= local.hour < WORK_HOURS[1]:
            return
        for lo in self.los + self.managers:
            today = self.world.api("get", f"/tasks/today?lo_id={lo}")
            if lo in self.managers:
                for task in today["items"]:
                    self.world.api("post", f"/tasks/{task['task_id']}/complete", {"note": "handled"})
                    self.world.counts["manager_tasks_done"] += 1
                continue
            key = (lo, today["day"])
            self.days.add(key)
            cap = self.capacity[lo] = today["capacity"]
            full = [m for m in today["moved"] if m["reason"].startswith("today is full")]
            # routine calls fill what the calls that cannot wait leave of the day: the morning is
            # theirs, the afternoon's look at the list takes routine calls up to capacity
            room = cap if local.hour >= LAST_SESSION_HOUR else 0
            seen = self.trace.setdefault(key, {})
            for t in today["items"] + [m | {"priority": "routine"} for m in full]:
                seen[t["task_id"]] = t["priority"]
            for task in today["items"]:  # ranked: the calls that cannot wait first
                if task["priority"] not in URGENT and self.worked[key] >= room:
                    break
                self.world.api("post", f"/tasks/{task['task_id']}/complete", {"note": "called"})
                self.worked[key] += 1
                self.routine[key] += task["priority"] not in URGENT
                self.world.counts["lo_tasks_done"] += 1
                if task["priority"] in WAITED:
                    self.waits.append(business_minutes(datetime.fromisoformat(task["created_at"]), now, self.zone))

    def report(self, ctx, touches: list[dict]) -> dict:
        per_day = sorted(self.worked.get(k, 0) for k in self.days)

        def cap_of(k):
            return self.capacity.get(k[0], 0)

        tasks = ctx.tasks.list(None, None, limit=10 ** 9)
        status = Counter(t["status"] for t in tasks)
        open_by_lo = Counter(t["lo_id"] for t in tasks if t["status"] == "open")
        converted = sum(1 for t in touches if t.get("instead_of_call") and t["status"] == "sent")
        skipped = sum(1 for t in touches if t["status"] == "suppressed" and any(
            (h.get("reason") or "").startswith("lo_day_full") for h in t.get("history") or [t]))
        return {
            "los": len(self.los), "capacity": max(self.capacity.values(), default=0),
            "tasks_per_lo_business_day": {"p50": _pct(per_day, 50), "p95": _pct(per_day, 95),
                                          "max": max(per_day, default=0)},
            # routine work that took the day past capacity: more routine calls than the urgent left room for
            "over_capacity_days": sum(1 for k in self.days if self.routine[k] and
                                      self.routine[k] > cap_of(k) - (self.worked[k] - self.routine[k])),
            "decisive_wait_business_minutes_p95": _pct(sorted(self.waits), 95),
            "expired": sum(1 for t in tasks if t["status"] == "expired" and not t.get("escalated_from")
                           and "escalated to" not in (t.get("reason") or "")),
            "escalated": sum(1 for t in tasks if t.get("escalated_from")),
            "converted": converted, "skipped": skipped,
            "open_at_end_max": max(open_by_lo.values(), default=0),
            "heaviest_days": [{"lo": k[0], "day": k[1], "worked": self.worked[k],
                               "on_list": dict(Counter(self.trace.get(k, {}).values()))}
                              for k in sorted(self.days, key=lambda k: -self.worked.get(k, 0))[:3]],
            "tasks_by_status": dict(status), "by_priority": dict(Counter(t.get("priority") for t in tasks)),
            "by_source": dict(Counter(f"{t.get('priority')} {t.get('sequence') or t.get('kind')}.{t.get('step') or ''}"
                                      for t in tasks).most_common(12)),
        }

    def done(self, ctx) -> set:
        return {t["task_id"] for t in ctx.tasks.list(None, "done", limit=10 ** 9)}


def _pct(values: list, q: int):
    if not values:
        return 0
    if len(values) == 1:
        return values[0]
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)
