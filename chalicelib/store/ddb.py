"""What every DynamoDB repository shares: the connection for transactions and the reading of
a refused write."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def connection():
    from pynamodb.connection import Connection

    from ..config import settings

    return Connection(region=settings().region)


def is_conditional(exc: Exception) -> bool:
    """A condition refused the write, or another transaction on the same item won: the caller
    re-reads and decides again. A throttled transaction is not that: it stays the retryable
    error it is."""
    cause = getattr(exc, "cause_response_code", None)
    if cause == "ConditionalCheckFailedException":
        return True
    if cause != "TransactionCanceledException":
        return False
    reasons = getattr(exc, "cancellation_reasons", None)
    if not reasons:
        return True  # a cancellation that names no reason: treat as lost to another writer, re-read
    codes = {r.code for r in reasons if r is not None and r.code not in (None, "None")}
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"}) and not codes & {
        "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
