"""DynamoDB write request units, computed from DynamoDB's published billing rules.

moto does not report consumed capacity faithfully (it answers 1.0 for any write, indexes
ignored), so the bench computes what on-demand DynamoDB would bill for every write request
the engine makes: the pure arithmetic below, and ``MotoWriteMeter``, which reads each written
item from moto's in-process backend before and after the call (``bench.counting`` calls it
from its botocore hooks).

The rules, and where AWS states them:
  item size      sum over attributes of (UTF-8 bytes of the name + size of the value): a string
                 is its UTF-8 bytes; a number ~ 1 byte per two significant digits + 1 (leading
                 and trailing zeros trimmed); binary its raw bytes; null and boolean 1 byte; a
                 list or map 3 bytes + 1 byte per element + the elements (a map's element
                 includes its key's name).
                 https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
  write units    one unit per 1 KB, rounded up, at least one. PutItem and UpdateItem: the
                 larger of the item before and after; DeleteItem: the deleted item's size;
                 BatchWriteItem: each put or delete on its own.
                 https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption
                 https://aws.amazon.com/dynamodb/pricing/on-demand/ ("a transactional write of a
                 3 KB item requires six WRUs")
  failed conds   a conditional write whose condition fails still consumes write units: the
                 existing item's size, or 1 when there is none (no index is written).
                 https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate
  transactions   2 units per 1 KB for every item of TransactWriteItems (prepare + commit).
                 https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
  indexes        every global secondary index pays its own writes, sized by the index entry
                 (the projection): a new entry 1 put; a changed key value a delete + a put; an
                 entry whose key left the item 1 delete; an entry whose projected attributes
                 changed 1 put; nothing when the entry is unchanged or absent before and after.
                 https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes

Two points AWS leaves open, decided here and named so they can be revisited:
  * index writes caused by a transaction are billed once (``TRANSACTIONAL_INDEX_FACTOR``): the
    index is propagated after the commit, not prepared and committed;
  * a cancelled transaction is billed like failed conditional writes, once per action at the
    existing item's size (``CANCELLED_TRANSACTION_FACTOR``). The engine's transactions rarely
    cancel; the bench reports how often.
The 100 bytes of per-item overhead in the docs are storage, not capacity, and are not added.
"""
from __future__ import annotations

import base64
import copy
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

KB = 1024
TRANSACTIONAL_FACTOR = 2
TRANSACTIONAL_INDEX_FACTOR = 1
CANCELLED_TRANSACTION_FACTOR = 1
WRITE_OPS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


# -- item sizes ------------------------------------------------------------------------------

def number_size(text: str) -> int:
    """Bytes of a number: 1 per two significant digits (zeros at either end trimmed), plus 1."""
    try:
        digits = Decimal(str(text)).normalize().as_tuple().digits
    except InvalidOperation:
        digits = tuple(c for c in str(text) if c.isdigit())
    significant = "".join(map(str, digits)).strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1


def _binary_size(value) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    try:   # JSON on the wire carries binary base64-encoded; the raw bytes count
        return len(base64.b64decode(value))
    except (ValueError, TypeError):
        return len(str(value))


def value_size(value: dict) -> int:
    """Size of one AttributeValue (``{"S": "..."}``, ``{"M": {...}}``...), without its name."""
    (kind, x), = value.items()
    if kind == "S":
        return len(x.encode())
    if kind == "N":
        return number_size(x)
    if kind == "B":
        return _binary_size(x)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in x)
    if kind == "NS":
        return sum(number_size(n) for n in x)
    if kind == "BS":
        return sum(_binary_size(b) for b in x)
    if kind == "L":
        return 3 + sum(1 + value_size(e) for e in x)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in x.items())
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: dict | None) -> int:
    return sum(len(name.encode()) + value_size(v) for name, v in (item or {}).items())


def units(size: int) -> int:
    """Write units for an entry of ``size`` bytes: 1 KB each, rounded up, at least one."""
    return max(1, math.ceil(size / KB))


# -- tables and indexes ----------------------------------------------------------------------

@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str = "ALL"              # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()

    def entry(self, item: dict | None, table_keys: tuple[str, ...]) -> dict | None:
        """The index entry ``item`` makes (its projection), or None when it lacks a key."""
        if not item or not all(k in item for k in self.keys):
            return None
        if self.projection == "ALL":
            return item
        names = set(table_keys) | set(self.keys)
        if self.projection == "INCLUDE":
            names |= set(self.include)
        return {k: v for k, v in item.items() if k in names}

    def key_of(self, item: dict) -> tuple:
        return tuple(repr(item.get(k)) for k in self.keys)


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[Index, ...] = ()

    def label(self) -> str:
        """Short name for reports: the last dash-part (``touchengine-local-leads`` -> ``leads``)."""
        return self.name.rsplit("-", 1)[-1]


def index_writes(table: Table, before: dict | None, after: dict | None) -> dict[str, int]:
    """Write units per index for one item going from ``before`` to ``after`` (None: absent)."""
    out: dict[str, int] = {}
    for index in table.indexes:
        old, new = index.entry(before, table.keys), index.entry(after, table.keys)
        if old is None and new is None:
            continue
        if old is None:
            cost = units(item_size(new))                                   # put into the index
        elif new is None:
            cost = units(item_size(old))                                   # delete from it
        elif index.key_of(old) != index.key_of(new):
            cost = units(item_size(old)) + units(item_size(new))           # delete + put
        elif old != new:
            cost = units(item_size(new))                                   # projected values changed
        else:
            continue
        out[index.name] = cost
    return out


def write_cost(table: Table, before: dict | None, after: dict | None, *, kind: str,
               transactional: bool = False, failed: bool = False) -> dict[str, int]:
    """Units one item write costs, by what pays them: ``{"leads": 2, "leads/by_lo": 1}``.

    ``kind``: put | update | delete | check (a transaction's ConditionCheck). ``failed``: the
    write's condition failed (or its transaction was cancelled), so nothing changed.
    """
    label = table.label()
    factor = TRANSACTIONAL_FACTOR if transactional else 1
    if failed:
        factor = CANCELLED_TRANSACTION_FACTOR if transactional else 1
        return {label: factor * units(item_size(before))}
    if kind == "check":
        return {label: factor * units(item_size(before))}
    if kind == "delete":
        size = item_size(before)
    else:
        size = max(item_size(before), item_size(after))
    out = {label: factor * units(size)}
    index_factor = TRANSACTIONAL_INDEX_FACTOR if transactional else 1
    for name, cost in index_writes(table, before, None if kind == "delete" else after).items():
        out[f"{label}/{name}"] = index_factor * cost
    return out


# -- the moto meter --------------------------------------------------------------------------

@dataclass
class _Target:
    table: str
    key: dict
    kind: str
    before: dict | None = None


def targets(op: str, params: dict) -> list[tuple[str, dict, str]]:
    """(table, key or whole item, kind) for every item a write request touches."""
    if op == "PutItem":
        return [(params["TableName"], params["Item"], "put")]
    if op == "UpdateItem":
        return [(params["TableName"], params["Key"], "update")]
    if op == "DeleteItem":
        return [(params["TableName"], params["Key"], "delete")]
    out = []
    if op == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for r in requests:
                if "PutRequest" in r:
                    out.append((table, r["PutRequest"]["Item"], "put"))
                elif "DeleteRequest" in r:
                    out.append((table, r["DeleteRequest"]["Key"], "delete"))
    elif op == "TransactWriteItems":
        kinds = {"Put": "put", "Update": "update", "Delete": "delete", "ConditionCheck": "check"}
        for entry in params.get("TransactItems") or []:
            for name, body in entry.items():
                out.append((body["TableName"], body["Item"] if name == "Put" else body["Key"], kinds[name]))
    return out


class MotoWriteMeter:
    """Write units of each request, from the items in moto's in-process backend.

    ``before(op, params)`` snapshots the items the request will write; ``after(...)`` reads
    them again and prices the change. Only for ``mock_aws`` in this process (the backend is
    read directly, so the meter itself makes no AWS call).
    """

    def __init__(self, account: str = "123456789012", region: str | None = None):
        import os

        self.account = account
        self.region = region or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        self._shapes: dict[str, Table] = {}

    def _backend(self):
        from moto.backends import get_backend

        return get_backend("dynamodb")[self.account][self.region]

    def shape(self, table_name: str) -> Table:
        if table_name not in self._shapes:
            t = self._backend().get_table(table_name)
            keys = tuple(k for k in (t.hash_key_attr, t.range_key_attr) if k)
            indexes = tuple(Index(g.name, tuple(k["AttributeName"] for k in g.schema),
                                  (g.projection or {}).get("ProjectionType", "ALL"),
                                  tuple((g.projection or {}).get("NonKeyAttributes", ())))
                            for g in t.global_indexes)
            self._shapes[table_name] = Table(table_name, keys, indexes)
        return self._shapes[table_name]

    def _item(self, table_name: str, key: dict) -> dict | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        shape = self.shape(table_name)
        table = self._backend().get_table(table_name)
        hash_key = DynamoType(key[shape.keys[0]])
        range_key = DynamoType(key[shape.keys[1]]) if len(shape.keys) > 1 else None
        try:
            item = table.get_item(hash_key, range_key)
        except KeyError:
            return None
        return copy.deepcopy(item.to_json()["Attributes"]) if item is not None else None

    def before(self, op: str, params: dict) -> list[_Target]:
        out = []
        for table, key, kind in targets(op, params):
            shape = self.shape(table)
            key = {k: key[k] for k in shape.keys}
            out.append(_Target(table, key, kind, self._item(table, key)))
        return out

    def after(self, op: str, snapshot: list[_Target], status: int, error_code: str | None) -> list[tuple[str, int]]:
        """[(label, units)] for the request, given its HTTP status and error code."""
        if status >= 300 and error_code not in ("ConditionalCheckFailedException", "TransactionCanceledException"):
            return []   # throttled, invalid...: not billed as a write
        failed = status >= 300
        transactional = op == "TransactWriteItems"
        out: list[tuple[str, int]] = []
        for t in snapshot:
            after = t.before if failed else self._item(t.table, t.key)
            cost = write_cost(self.shape(t.table), t.before, after, kind=t.kind, transactional=transactional,
                              failed=failed)
            out += list(cost.items())
        return out
