"""Analytics counters and the scheduler's pace in DynamoDB (the stats table): per (sequence,
step), one ADD to the day's item as things happen, rolled into totals weekly."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from .ddb import connection, is_conditional
from .keys import ROLL_EVERY_DAYS, grouped
from .models import StatModel


class StatsRepo:
    @staticmethod
    def actions(counts: dict[str, int]) -> list:
        from pynamodb.expressions.operand import Path

        from ..domain.analytics import COUNTERS

        # a declared counter by its attribute; a reason counter ("deferred_cap") by its name
        return [(getattr(StatModel, name) if name in COUNTERS else Path(name)).add(n) for name, n in counts.items()]

    # Counter items (pk, sk):
    #   "daily#<seq>", "<day>#<step>"  live: one ADD per (sequence, step) as things happen, so a
    #                                  date range reads the days asked for
    #   "total#<seq>", "<step>"        closed days, summed by the roll-up (``roll_up``)
    #   "rolled", "<seq>"              the last day the roll-up added into the totals (``through``)
    # A total is the rolled total + the live days after the roll-up's mark:
    # every ADD counted once, and an all-time view reads at most ROLL_EVERY_DAYS + 1 live days
    # (most nights the roll-up reads one partition).
    DAILY, TOTAL, ROLLED = "daily#", "total#", "rolled"

    def add(self, sequence: str, step: str, counts: dict[str, int]) -> None:
        from ..clock import now  # the engine's clock: the day is its UTC day

        StatModel(f"{self.DAILY}{sequence}", f"{now().date().isoformat()}#{step}").update(
            actions=self.actions(counts))

    def add_all(self, grouped: dict[tuple[str, str], dict[str, int]]) -> None:
        """Plain ADD updates, outside any transaction: counters are hot items shared by every
        lead, and a transaction on them would conflict with every other lead's."""
        for (sequence, step), counts in grouped.items():
            self.add(sequence, step, counts)

    def rows(self, sequences=None) -> list[dict]:
        """Every counter per (sequence, step) since the stack began, reason counters included:
        the roll-up's marks (one Query), then per sequence its totals and its live days after
        the mark (two Queries). Without ``sequences``, a Scan finds them
        (the simulator's report, never a request path)."""
        if sequences is None:
            sequences = self._sequences()
        for _ in range(3):
            # Strongly consistent reads, and the marks read again at the end: a roll-up that
            # committed meanwhile (it moves totals and mark together) would count a day twice
            # or not at all, so the rows are read again.
            marks = self._marks()
            out = []
            for seq in sequences:
                totals = list(_counter_items(f"{self.TOTAL}{seq}", consistent=True))
                after = StatModel.sk > (marks[seq] + "#\uffff") if seq in marks else None
                live = [(sk.split("#", 1)[1], nums)
                        for sk, nums in _counter_items(f"{self.DAILY}{seq}", after, consistent=True)]
                out += [_stat_row(seq, step, nums) for step, nums in sorted(_summed(totals + live).items())]
            if self._marks() == marks:
                break
        return out

    def _marks(self) -> dict[str, str]:
        return {m.sk: m.through for m in StatModel.query(self.ROLLED, consistent_read=True)}

    def _sequences(self) -> list[str]:
        cond = StatModel.pk.startswith(self.DAILY) | StatModel.pk.startswith(self.TOTAL)
        return sorted({m.pk.split("#", 1)[1] for m in StatModel.scan(filter_condition=cond)})

    def roll_up(self, sequences, today: str) -> dict[str, int]:
        """Add the closed days (before ``today``, UTC) of each sequence whose mark is a week
        behind (or missing) into its totals and move its mark, conditioned on the mark as read:
        a second run, or two at once, adds nothing twice. The sequences share as few
        transactions as fit. Returns the days rolled per sequence whose mark moved."""
        from datetime import date, timedelta

        last = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
        due_by = (date.fromisoformat(today) - timedelta(days=ROLL_EVERY_DAYS + 1)).isoformat()
        marks = self._marks()
        plans = []  # (sequence, days rolled, the transaction's actions for it)
        for seq in sequences:
            rolled = marks.get(seq)
            if rolled and rolled > due_by:
                continue
            closed = (StatModel.sk.between((date.fromisoformat(rolled) + timedelta(days=1)).isoformat(), last + "#\uffff")
                      if rolled else StatModel.sk <= last + "#\uffff")
            days = list(_counter_items(f"{self.DAILY}{seq}", closed))
            actions = [(StatModel(f"{self.TOTAL}{seq}", step), self.actions(nums), None)
                       for step, nums in _summed([(sk.split("#", 1)[1], nums) for sk, nums in days]).items()]
            actions.append((StatModel(self.ROLLED, seq), [StatModel.through.set(last)],
                            StatModel.through == rolled if rolled else StatModel.through.does_not_exist()))
            plans.append((seq, len({sk.split("#", 1)[0] for sk, _ in days}), actions))
        out = {}
        for chunk in grouped(plans, lambda plan: len(plan[2])):
            try:
                self._roll(chunk)
                out.update({seq: n for seq, n, _ in chunk})
                continue
            except TransactWriteError as exc:
                if not is_conditional(exc):
                    raise
            for plan in chunk:  # a mark moved under us (another roll-up): each alone, that one skipped
                try:
                    self._roll([plan])
                    out[plan[0]] = plan[1]
                except TransactWriteError as exc:
                    if not is_conditional(exc):
                        raise
        return out

    @staticmethod
    def _roll(plans: list) -> None:
        with TransactWrite(connection=connection()) as tx:
            for _, _, actions in plans:
                for model, acts, cond in actions:
                    tx.update(model, actions=acts, condition=cond)

    PACE = "pace"  # sends released per scheduler minute: the paced budget's use across runs

    def pace_used(self, minute: str) -> dict[str, int]:
        try:
            m = StatModel.get(self.PACE, minute, consistent_read=True)
        except DoesNotExist:
            return {}
        return {c: int(getattr(m, f"pace_{c}") or 0) for c in ("email", "sms", "voice")}

    def pace_add(self, minute: str, counts: dict[str, int]) -> None:
        actions = [getattr(StatModel, f"pace_{c}").add(n) for c, n in counts.items() if n]
        if actions:
            StatModel(self.PACE, minute).update(actions=actions)

    def rows_between(self, sequences, first_day: str, last_day: str) -> list[dict]:
        """The counters of ``first_day``..``last_day`` (UTC, inclusive) summed per (sequence,
        step): one Query per sequence over the days asked for."""
        out = []
        days = StatModel.sk.between(first_day, last_day + "#\uffff")
        for seq in sequences:
            summed = _summed([(sk.split("#", 1)[1], nums) for sk, nums in _counter_items(f"{self.DAILY}{seq}", days)])
            out += [_stat_row(seq, step, nums) for step, nums in sorted(summed.items())]
        return out


def _summed(rows: list[tuple[str, dict]]) -> dict[str, dict[str, int]]:
    """Counters added up per step."""
    out: dict[str, dict[str, int]] = {}
    for step, nums in rows:
        bucket = out.setdefault(step, {})
        for name, n in nums.items():
            bucket[name] = bucket.get(name, 0) + n
    return out


def _counter_names() -> tuple[str, ...]:
    from ..domain.analytics import COUNTERS

    return COUNTERS


def _stat_row(sequence: str, step: str, nums: dict) -> dict:
    return {"sequence": sequence, "step": step, **{n: int(nums.get(n) or 0) for n in _counter_names()},
            **{k: int(v) for k, v in nums.items() if k not in _counter_names() and v}}


def _counter_items(pk: str, sk_condition=None, *, consistent: bool = False):
    """(sort key, every number on the item) for one stats partition, read raw so that reason
    counters, which the model does not declare, come back too."""
    conn = StatModel._get_connection()
    start = None
    while True:
        page = conn.query(pk, range_key_condition=sk_condition, exclusive_start_key=start,
                          consistent_read=consistent)
        for item in page.get("Items", []):
            yield item["sk"]["S"], {k: int(float(v["N"])) for k, v in item.items() if "N" in v}
        start = page.get("LastEvaluatedKey")
        if not start:
            return
