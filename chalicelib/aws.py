"""boto3 clients, created once per container and only when first needed (cold start)."""
from __future__ import annotations

from functools import lru_cache

from .config import settings


@lru_cache(maxsize=None)
def client(service: str):
    import boto3  # deferred: a tracking request must not pay for clients it never uses

    return boto3.session.Session().client(service, region_name=settings().region)
