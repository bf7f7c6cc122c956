"""boto3 clients, created once per container and only when first needed (cold start)."""
from __future__ import annotations

from functools import lru_cache

from .config import settings

# In-memory stand-ins by service name (the fast simulator: chalicelib/local/memory_aws.py).
_stand_ins: dict[str, object] = {}


def client(service: str):
    return _stand_ins.get(service) or _boto_client(service)


@lru_cache(maxsize=None)
def _boto_client(service: str):
    import boto3  # deferred: a tracking request must not pay for clients it never uses

    return boto3.session.Session().client(service, region_name=settings().region)


def use_stand_ins(clients: dict[str, object] | None) -> None:
    """Route ``client(service)`` to these objects (None: back to boto3)."""
    _stand_ins.clear()
    _stand_ins.update(clients or {})
