"""A program's library history, packed for its item. Pure.

The history (sequences/rotation.py) is ``[[item_id, "YYYY-MM-DD", data_key], ...]``, one
entry per item, oldest first: about 85 entries and 3.3 KB of JSON a year into a program,
written again with every program touch. DynamoDB bills a write by the KB, so the item is
stored as raw DEFLATE of compact JSON with each date as days since the entry before it
(most are under 10): about 850 bytes, one write unit instead of four. Lossless: ``unpack``
gives back what ``pack`` was given (an entry without a data key comes back with None).
"""
from __future__ import annotations

import json
import zlib
from datetime import date

FORMAT = 1  # the first byte: a later layout can be read beside this one


def pack(history: list) -> bytes:
    rows, previous = [], 0
    for entry in history:
        day = date.fromisoformat(entry[1]).toordinal()
        key = entry[2] if len(entry) > 2 else None
        rows.append([entry[0], day - previous] + ([key] if key is not None else []))
        previous = day
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw: no header, no checksum
    return bytes([FORMAT]) + deflate.compress(json.dumps(rows, separators=(",", ":")).encode()) + deflate.flush()


def unpack(blob: bytes) -> list:
    if not blob or blob[0] != FORMAT:
        raise ValueError(f"unknown library history format {blob[:1]!r}")
    out, day = [], 0
    for row in json.loads(zlib.decompress(bytes(blob[1:]), -15)):
        day += row[1]
        out.append([row[0], date.fromordinal(day).isoformat(), row[2] if len(row) > 2 else None])
    return out
