"""Sender reputation in DynamoDB: small partitions of the stats table (as the sequence switches
and the access records are), so the brake adds no table.

- ``deliv#<identity>`` / ``day#<YYYY-MM-DD>``: the day's counters (sent, marketing, hard_bounces,
  soft_bounces, complaints), one ADD per scheduler run and per SES notification;
- ``deliv#<identity>`` / ``state``: ok or braked, why, since when, who resumed it (``doc``), with a
  version every change is conditioned on;
- ``bounced#<2 hex>`` / <sha256(address)>: an address that bounced hard, so every lead that
  has it, now or later, is suppressed (the address itself is never stored).

One Query reads an identity's last days and its state together (``day#...`` sorts before
``state``).
"""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ..domain.reputation import COUNTERS
from .ddb import is_conditional
from .models import _meta

IDENTITY = "deliv#"
BOUNCED = "bounced#"


class DeliverabilityModel(Model):
    Meta = _meta("stats")
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    # day items: top-level numbers, so an ADD creates them
    sent = NumberAttribute(null=True)
    marketing = NumberAttribute(null=True)
    hard_bounces = NumberAttribute(null=True)
    soft_bounces = NumberAttribute(null=True)
    complaints = NumberAttribute(null=True)



class DeliverabilityRepo:
    def add(self, identity: str, day: str, counts: dict[str, int]) -> None:
        actions = [getattr(DeliverabilityModel, c).add(int(n)) for c, n in counts.items() if c in COUNTERS and n]
        if actions:
            DeliverabilityModel(IDENTITY + identity, "day#" + day).update(actions=actions)

    def read(self, identity: str, first_day: str) -> tuple[dict[str, dict], dict | None]:
        """The days from ``first_day`` on and the state record (None: never braked): one Query."""
        days, state = {}, None
        for m in DeliverabilityModel.query(IDENTITY + identity, DeliverabilityModel.sk >= "day#" + first_day,
                                           consistent_read=True):
            if m.sk == "state":
                state = {**(m.doc or {}), "version": int(m.version or 0)}
            elif m.sk.startswith("day#"):
                days[m.sk[4:]] = {c: int(getattr(m, c) or 0) for c in COUNTERS}
        return days, state

    def put_state(self, identity: str, state: dict, version: int) -> bool:
        """Write the state if it is still at ``version`` (0: none yet); False when it moved."""
        doc = {k: v for k, v in state.items() if k != "version"}
        item = DeliverabilityModel(IDENTITY + identity, "state", doc=doc, version=version + 1)
        cond = DeliverabilityModel.pk.does_not_exist() if version == 0 else DeliverabilityModel.version == version
        try:
            item.save(condition=cond)
        except PutError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def mark_bounced(self, key: str, at: str) -> None:
        DeliverabilityModel(BOUNCED + key[:2], key, doc={"at": at}).save()

    def bounced(self, key: str) -> str | None:
        """When the address with this key bounced hard, or None."""
        try:
            return (DeliverabilityModel.get(BOUNCED + key[:2], key).doc or {}).get("at")
        except DeliverabilityModel.DoesNotExist:
            return None
