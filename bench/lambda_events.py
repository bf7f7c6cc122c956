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


def api_gateway_get(path: str, resource: str, path_parameters: dict, headers: dict,
                    source_ip: str = "198.51.100.7") -> dict:
    """A REST API (Lambda proxy integration) GET, as API Gateway hands it to Chalice's handler."""
    return {
        "resource": resource, "path": path, "httpMethod": "GET",
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters, "stageVariables": None,
        "requestContext": {
            "resourceId": "bench1", "resourcePath": resource, "httpMethod": "GET", "path": f"/api{path}",
            "accountId": "123456789012", "protocol": "HTTP/1.1", "stage": "api", "domainPrefix": "bench",
            "requestId": "bench-request", "extendedRequestId": "bench-request", "apiId": "bench",
            "requestTime": "10/Mar/2026:15:00:00 +0000", "requestTimeEpoch": 1773154800000,
            "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
        },
        "body": None, "isBase64Encoded": False,
    }
