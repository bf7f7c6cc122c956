"""Which provider errors are worth retrying, and which mean "this message will never go"."""
from __future__ import annotations

TRANSIENT_CODES = {
    "Throttling", "ThrottlingException", "TooManyRequestsException", "LimitExceededException",
    "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure", "InternalServerError",
    "InternalError", "RequestTimeout", "RequestTimeoutException", "SendingPausedException",
    "ProvisionedThroughputExceededException", "KMSThrottlingException",
}


class PermanentFailure(Exception):
    """The provider refused the message for good (invalid number, suppressed address...)."""


class TransientFailure(Exception):
    """Try again later: throttled or the provider is briefly unavailable."""


def classify(exc: Exception) -> Exception:
    from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, ReadTimeoutError

    if isinstance(exc, (BotoConnectionError, ReadTimeoutError)):
        return TransientFailure(type(exc).__name__)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        message = exc.response.get("Error", {}).get("Message", "")
        if code in TRANSIENT_CODES or status >= 500:
            return TransientFailure(f"{code}: {message}"[:300])
        return PermanentFailure(f"{code}: {message}"[:300])
    return exc
