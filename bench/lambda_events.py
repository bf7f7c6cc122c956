"""Lambda-shaped events for the handlers the bench calls directly."""
from __future__ import annotations

from datetime import datetime


def scheduled(now: datetime, rule: str = "schedule_due_touches") -> dict:
    """The event EventBridge sends a scheduled Lambda."""
    return {"version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "us-east-1",
            "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"], "detail": {}}


def sqs(bodies: list[str], queue: str = "touchengine-local-touches") -> dict:
    """An SQS batch as Lambda's event source mapping delivers it."""
    return {"Records": [{
        "messageId": f"bench-{i}", "receiptHandle": f"bench-{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
        "awsRegion": "us-east-1"} for i, body in enumerate(bodies)]}
