"""Reading JSON from a request: the one parser every route uses, so no body makes a 500.

Whatever arrives (too large, not UTF-8, not JSON, nested thousands deep, NaN, a lone UTF-16
surrogate, an array where an object belongs) is a ``ValidationError`` naming the field, which the
routes answer with the contract's 400. Nothing here catches more than the decoding's own errors:
a fault after the body is read stays a 500 and reaches the logs.

Pure: no framework imports, so the rules are unit-tested on plain bytes.
"""
from __future__ import annotations

import json
import math
import re

from ..domain.lead import ValidationError

MAX_BYTES = 1024 * 1024   # a lead, an event or an LOS milestone is a few KB; a megabyte is a mistake
MAX_DEPTH = 32            # the deepest body the contract has is 3 levels (consent.sms.granted)

# A JSON string (escapes included) or one bracket or a lone quote (a string that never ends).
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}"]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse(raw: bytes | str | None, field: str = "body") -> dict:
    """A JSON object from ``raw``; ``{}`` when there is nothing (routes whose body is optional)."""
    if raw is None or not raw.strip():
        return {}
    if len(raw) > MAX_BYTES:
        raise ValidationError({field: f"is larger than {MAX_BYTES // 1024} KB"})
    text = _text(raw, field)
    if _deeper_than(text, MAX_DEPTH):
        raise ValidationError({field: f"is nested deeper than {MAX_DEPTH} levels"})
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except ValueError as exc:  # JSONDecodeError, a non-finite number, an integer of over 4,300 digits
        raise ValidationError({field: f"must be valid JSON: {_said(exc)}"}) from None
    if not isinstance(value, dict):
        raise ValidationError({field: f"must be a JSON object {{...}}, not {_kind(value)}"})
    if _has_lone_surrogate(value):
        raise ValidationError({field: "holds a lone UTF-16 surrogate (\\ud800-\\udfff): not a character"})
    return value


def _text(raw: bytes | str, field: str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark from a Windows tool is harmless
    except UnicodeDecodeError as exc:
        raise ValidationError({field: f"must be UTF-8 text (byte {exc.start} is not)"}) from None


def _deeper_than(text: str, limit: int) -> bool:
    """Whether the brackets outside strings nest deeper than ``limit``. Checked before decoding:
    the decoder recurses once per level, so a body thousands deep would exhaust the stack (a
    RecursionError, or worse on a thread's smaller stack) before its result could be checked."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > limit:
                return True
        elif token == "]" or token == "}":
            depth -= 1
        elif token == '"':
            return False  # a string that never closes: the decoder names that fault
    return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def _said(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return str(exc)[:120]


def _kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "true or false", type(None): "null"}.get(type(value), "a number")


def _has_lone_surrogate(value: object) -> bool:
    """Python keeps a ``"\\ud800"`` escape as a lone surrogate, which no UTF-8 encoder (boto's,
    the e-mail's) will write: refused here rather than failing wherever it is first written."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending += item.keys()
            pending += item.values()
        elif isinstance(item, list):
            pending += item
    return False
