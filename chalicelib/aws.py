"""boto3 clients, created once per container and only when first needed (cold start)."""
from __future__ import annotations

from functools import lru_cache

from .config import settings

# In-memory stand-ins by service name (the fast simulator: chalicelib/local/memory_aws.py).
_stand_ins: dict[str, object] = {}


def client(service: str):
    return _stand_ins.get(service) or _boto_client(service)


# The clients that send to borrowers: botocore's own retries would send again after a read
# timeout (the provider may have taken the message), so they make one attempt and the engine
# decides (services/deliver.py: a send without an answer is not repeated; a throttle is retried).
SENDERS = ("sesv2", "sns")


@lru_cache(maxsize=None)
def _boto_client(service: str):
    import boto3  # deferred: a tracking request must not pay for clients it never uses

    if service in SENDERS:
        from botocore.config import Config

        return boto3.session.Session().client(service, region_name=settings().region,
                                              config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    return boto3.session.Session().client(service, region_name=settings().region)


def use_stand_ins(clients: dict[str, object] | None) -> None:
    """Route ``client(service)`` to these objects (None: back to boto3)."""
    _stand_ins.clear()
    _stand_ins.update(clients or {})
