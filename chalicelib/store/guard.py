"""What the guard rails keep (domain/guard.py): held batches and their members, the team's book
count, held rate quotes. The only code that knows these item layouts.

The ``guard`` table (pk, sk):
  pk "batches",            sk <batch_id>  one per (run, sequence): leads counted, status, reason
  pk "members#<batch_id>", sk <lead_id>   the leads of a held batch (release walks them)
  pk "book",               sk "leads"     the team's book: leads created, an ADD per create
Held rate quotes live beside the rates they would replace: the rates table's "#held" partition,
one item per product (the sweeps read "#latest" and product partitions, never this one).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.models import Model

from .models import _meta

BATCHES, BOOK = "batches", "book"
COUNTED_DAYS = 30  # a batch that never tripped is only a run's count: it expires


def _conditional(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


class GuardModel(Model):
    Meta = _meta("guard")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(null=True)      # batches: counted | held | released | discarded
    leads = NumberAttribute(null=True)        # batches: leads counted in the run; book: leads created
    parts = UnicodeSetAttribute(null=True)    # batches: the invocations already counted (re-runs add nothing)
    released = NumberAttribute(null=True)
    discarded = NumberAttribute(null=True)
    sequence = UnicodeAttribute(null=True)
    run = UnicodeAttribute(null=True)         # the sweep and day, or the import, that counted it
    reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    held_at = UnicodeAttribute(null=True)
    settled_at = UnicodeAttribute(null=True)  # released or discarded
    counted_at = UnicodeAttribute(null=True)  # book: when it was last recounted from the leads
    settled_by = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)   # TTL, on batches that never tripped


class HeldQuoteModel(Model):
    Meta = _meta("rates")
    product = UnicodeAttribute(hash_key=True)  # always HELD
    as_of = UnicodeAttribute(range_key=True)   # the product code (the rates table's key names)
    rate = NumberAttribute()
    doc = JSONAttribute()


def _batch(m: GuardModel) -> dict:
    return {"batch_id": m.sk, "status": m.status or "counted", "sequence": m.sequence, "run": m.run,
            "leads": int(m.leads or 0), "reason": m.reason, "created_at": m.created_at, "held_at": m.held_at,
            "settled_at": m.settled_at, "settled_by": m.settled_by,
            "released": int(m.released or 0), "discarded": int(m.discarded or 0)}


class BookRepo:
    """How many leads the team has, without reading them: one counter, ADD on each create."""

    def add(self, n: int = 1) -> None:
        GuardModel(BOOK, "leads").update(actions=[GuardModel.leads.add(n)])

    def size(self) -> int:
        return self.state()[0]

    def state(self) -> tuple[int, str | None]:
        """(leads counted, when the book was last recounted from the leads; None: never, only ADDs)."""
        try:
            m = GuardModel.get(BOOK, "leads")
        except DoesNotExist:
            return 0, None
        return int(m.leads or 0), m.counted_at

    def recount(self, now: datetime) -> int:
        """Count the book from the leads themselves (a COUNT Query per stage on the by_stage
        index, never a Scan) and set the counter to it. Leads created while it counts may be
        counted twice or not at all: the breaker's share is a guard, not an invoice."""
        from ..domain.lead import STAGES
        from .models import LeadModel

        n = sum(LeadModel.by_stage.count(stage) for stage in STAGES)
        GuardModel(BOOK, "leads").update(actions=[GuardModel.leads.set(n), GuardModel.counted_at.set(now.isoformat())])
        return n


class HoldRepo:
    def count(self, batch_id: str, part: str, n: int, sequence: str, run: str, now: datetime) -> tuple[dict, bool]:
        """Add ``n`` leads from one invocation (``part``) to a run's batch, once per part.
        Returns the batch and whether this call counted them (False: a re-run of that part)."""
        expires = int((now + timedelta(days=COUNTED_DAYS)).timestamp())
        try:
            m = GuardModel(BATCHES, batch_id)
            m.update(actions=[GuardModel.leads.add(n), GuardModel.parts.add({part}),
                              GuardModel.sequence.set(sequence), GuardModel.run.set(run),
                              GuardModel.created_at.set(GuardModel.created_at | now.isoformat()),
                              GuardModel.expires_at.set(GuardModel.expires_at | expires)],
                     condition=GuardModel.parts.does_not_exist() | ~GuardModel.parts.contains(part))
            return _batch(m), True
        except UpdateError as exc:
            if not _conditional(exc):
                raise
        return self.get(batch_id), False

    def trip(self, batch_id: str, reason: str, now: datetime) -> bool:
        """Mark a counted batch held (once: False when it already was, or was settled)."""
        m = GuardModel(BATCHES, batch_id)
        try:
            m.update(actions=[GuardModel.status.set("held"), GuardModel.expires_at.remove(),
                              GuardModel.reason.set(reason), GuardModel.held_at.set(now.isoformat())],
                     condition=GuardModel.status.does_not_exist())
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def settle(self, batch_id: str, status: str, now: datetime, by: str | None) -> bool:
        """held -> released | discarded, once (False when the batch was not held)."""
        m = GuardModel(BATCHES, batch_id)
        try:
            m.update(actions=[GuardModel.status.set(status), GuardModel.settled_at.set(now.isoformat()),
                              GuardModel.settled_by.set(by or "api")],
                     condition=GuardModel.status == "held")
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def tally(self, batch_id: str, released: int = 0, discarded: int = 0) -> None:
        actions = [a for a, n in ((GuardModel.released.add(released), released),
                                  (GuardModel.discarded.add(discarded), discarded)) if n]
        if actions:
            GuardModel(BATCHES, batch_id).update(actions=actions)

    def get(self, batch_id: str) -> dict | None:
        try:
            return _batch(GuardModel.get(BATCHES, batch_id, consistent_read=True))
        except DoesNotExist:
            return None

    def list(self, status: str | None = "held", limit: int = 100) -> list[dict]:
        """Batches newest first (one partition: a few per night at most, the counted ones expire)."""
        cond = GuardModel.status == status if status not in (None, "counted") else \
            (GuardModel.status.does_not_exist() if status == "counted" else None)
        return sorted((_batch(m) for m in GuardModel.query(BATCHES, filter_condition=cond)),
                      key=lambda b: b.get("held_at") or b.get("created_at") or "", reverse=True)[:limit]

    def add_members(self, batch_id: str, lead_ids: list[str]) -> None:
        with GuardModel.batch_write() as batch:
            for lead_id in dict.fromkeys(lead_ids):
                batch.save(GuardModel(f"members#{batch_id}", lead_id))

    def members(self, batch_id: str, start: dict | None = None, limit: int = 100) -> tuple[list[str], dict | None]:
        result = GuardModel.query(f"members#{batch_id}", limit=limit, last_evaluated_key=start)
        ids = [m.sk for m in result]
        return ids, result.last_evaluated_key


class HeldQuoteRepo:
    HELD = "#held"  # product codes are [a-z0-9_]: never a product's partition

    def get(self, product: str) -> dict | None:
        try:
            m = HeldQuoteModel.get(self.HELD, product, consistent_read=True)
        except DoesNotExist:
            return None
        return {**m.doc, "product": m.as_of, "rate": float(m.rate)}

    def put(self, quote: dict) -> None:
        HeldQuoteModel(self.HELD, quote["product"], rate=quote["rate"],
                       doc={k: v for k, v in quote.items() if k not in ("product", "rate")}).save()

    def clear(self, product: str) -> None:
        HeldQuoteModel(self.HELD, product).delete()

    def all(self) -> list[dict]:
        return [{**m.doc, "product": m.as_of, "rate": float(m.rate)} for m in HeldQuoteModel.query(self.HELD)]
