"""Touch orders put back on the touches queue, or on its dead-letter queue, one message each.

A packed message (several touches due in the same second) is retried as a whole only when all
its touches failed; otherwise the failed ones come back here as a message of their own, with the
attempts they used (``"attempts"`` on each order), and a touch at its last attempt goes to the
dead-letter queue alone. ``deliver_touches_batch`` decides; this module only sends.
"""
from __future__ import annotations

import json

from ..aws import client
from . import deliver

MIN_TIME_LEFT_MS = 10_000  # an invocation stops starting touches with less than this left
SQS_MAX_DELAY = 900        # DelaySeconds allows 15 minutes; a longer wait is the next attempt's


def _wait(exc: BaseException, attempt: int) -> int:
    return getattr(exc, "retry_after", None) or deliver.backoff_seconds(attempt)


def first(failures: list[BaseException], attempt: int) -> BaseException:
    """Of a message's failed touches, the one to come back for first: a throttled touch must
    not wait for another's quiet hours to end (the deferred one is deferred again, cheaply)."""
    return min(failures, key=lambda e: _wait(e, attempt))


def delay(exc: BaseException, attempt: int) -> int:
    return max(0, min(int(_wait(exc, attempt)), SQS_MAX_DELAY))


def back(event_source_arn: str, orders: list[dict], delay_seconds: int) -> None:
    """The orders as one message on the queue they came from (raises if the queue refuses it:
    the record then fails and comes back whole, as before the split)."""
    if orders:
        client("sqs").send_message(QueueUrl=deliver.queue_url(event_source_arn), DelaySeconds=delay_seconds,
                                   MessageBody=json.dumps({"orders": orders}, separators=(",", ":"), default=str))


def dead_letter(event_source_arn: str, orders: list[dict]) -> None:
    """Each order, alone and in the single-order form, on the queue's dead-letter queue
    (``<queue>-dlq``, infra/template.json), where a person can inspect or redrive it."""
    if not orders:
        return
    url = deliver.queue_url(event_source_arn) + "-dlq"
    for order in orders:
        client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(
            {k: v for k, v in order.items() if k != "attempts"}, separators=(",", ":"), default=str))
