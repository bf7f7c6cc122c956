"""The AWS stand-in's DynamoDB, made fit for a real book on a laptop.

moto's TransactWriteItems deep-copies every table a transaction names before writing, to roll
back on failure: an import's transaction of 25 new leads copied the whole leads, timeline and
enrollments tables each time, so a 3,000-row export crawled from 5 rows a second down to 2 as
the tables grew (issue 29). :func:`install` makes the rollback per item instead: the items the
transaction names are saved (copies of those items only) and put back if it fails; what a
transaction checks and writes, and when it is cancelled, is moto's own code, unchanged.
``make run`` installs it; ``LOCAL_PER_ITEM_ROLLBACK=0`` runs the stand-in as shipped.
"""
from __future__ import annotations

import copy
import types


def install() -> bool:
    """Patch the in-process stand-in (moto server mode runs in this process). Idempotent."""
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "per_item_rollback", False):
        return False
    shipped = backend.transact_write_items

    def deepcopy(obj, memo=None):
        # moto's own backup of a whole table before a transaction: kept by reference (the items
        # the transaction touches are saved below); every other copy is a real one
        return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            op = next(iter(entry.values()), None) or {}
            table = self.tables.get(op.get("TableName"))
            attrs = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in attrs or \
                    (table.range_key_attr and table.range_key_attr not in attrs):
                continue
            h = DynamoType(attrs[table.hash_key_attr])
            r = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            before = table.get_item(h, r)
            saved.append((table, h, r, copy.deepcopy(before) if before is not None else None))
        try:
            return shipped(self, transact_items)
        except Exception:
            for table, h, r, before in reversed(saved):  # all or nothing, item by item
                if r is None:
                    table.items.pop(h, None) if before is None else table.items.__setitem__(h, before)
                elif before is None:
                    table.items.get(h, {}).pop(r, None)
                else:
                    table.items[h][r] = before
            raise

    transact_write_items.per_item_rollback = True
    backend.transact_write_items = transact_write_items
    return True
