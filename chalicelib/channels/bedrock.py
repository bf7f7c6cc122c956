"""Amazon Bedrock Converse: one short completion for AI personalisation.

Bounded so a slow model cannot hold a delivery: 1 s to connect, 4 s to answer, no retry (a
throttled model means the template goes), a small token budget. Callers treat every error as "keep the template" (``services/personalise``).
An optional Bedrock guardrail (team config) screens the answer on the provider's side too.
"""
from __future__ import annotations

from functools import lru_cache

MAX_TOKENS = 300


@lru_cache(maxsize=1)
def runtime():
    import boto3
    from botocore.config import Config

    from ..config import settings

    return boto3.session.Session().client(
        "bedrock-runtime", region_name=settings().region,
        config=Config(connect_timeout=1, read_timeout=4, retries={"total_max_attempts": 1, "mode": "standard"}))


def converse_request(*, model_id: str, system: str, prompt: str, guardrail: dict | None = None) -> dict:
    request = {
        "modelId": model_id,
        "system": [{"text": system}],
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": MAX_TOKENS, "temperature": 0.4},
    }
    if guardrail and guardrail.get("id"):
        request["guardrailConfig"] = {"guardrailIdentifier": guardrail["id"],
                                      "guardrailVersion": str(guardrail.get("version", "DRAFT"))}
    return request


def complete(request: dict, bedrock=None) -> tuple[str, str]:
    """Returns (the answer's text, the stop reason)."""
    resp = (bedrock or runtime()).converse(**request)
    blocks = resp.get("output", {}).get("message", {}).get("content", [])
    return "".join(b.get("text", "") for b in blocks), resp.get("stopReason", "")
