"""The events queue: every arrow into the engine becomes an event message."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from .aws import client
from .config import settings


def make_event(lead_id: str | None, type_: str, data: dict | None, at: datetime, source: str,
               correlation_id: str | None = None, event_id: str | None = None, by: str | None = None) -> dict:
    """``by``: the person or key that caused it (its timeline item says so)."""
    event = {
        "event_id": event_id or uuid.uuid4().hex,
        "lead_id": lead_id,
        "type": type_,
        "data": data or {},
        "at": at.isoformat(),
        "source": source,
        "correlation_id": correlation_id or uuid.uuid4().hex,
    }
    if by:
        event["by"] = by
    return event


def publish(event: dict) -> None:
    """One SendMessage: the only AWS call on the request path of event routes."""
    client("sqs").send_message(
        QueueUrl=settings().events_queue_url,
        MessageBody=json.dumps(event, separators=(",", ":")),
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": event["correlation_id"]}},
    )


def publish_many(events: list[dict]) -> None:
    sqs = client("sqs")
    for start in range(0, len(events), 10):
        chunk = events[start:start + 10]
        resp = sqs.send_message_batch(QueueUrl=settings().events_queue_url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(e, separators=(",", ":")),
             "MessageAttributes": {"correlation_id": {"DataType": "String", "StringValue": e["correlation_id"]}}}
            for i, e in enumerate(chunk)])
        if resp.get("Failed"):
            raise RuntimeError(f"events queue refused {len(resp['Failed'])} messages")
