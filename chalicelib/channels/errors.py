"""Which delivery errors are worth retrying, and which mean "this message will never go".

The one place that says so (``classify``). Retrying means: the touch goes back to the queue
and comes again after a backoff; a permanent error marks the touch failed at once with its
reason and the message is not retried. Permanent:
  - a provider's refusal of this message or recipient (invalid number, rejected content);
  - a message that cannot be built for this lead (``InvalidMessage``): a merge or template
    error, a header that cannot be written (a name with a line break in an older lead). The
    same lead and template fail the same way on every attempt.
Transient: throttling, brief unavailability, a dropped connection, the operator's
configuration (missing permission: retried so the touch reaches the dead-letter queue and can
be redriven once fixed). Anything unrecognised is retried (and dead-lettered if it keeps
failing): an unknown error must never be swallowed, and must never silently drop a touch either.
"""
from __future__ import annotations

import re

# Throttling and brief unavailability, as SES v2, SNS, Connect and DynamoDB spell them (the
# union of botocore's retryable codes and each service's own throttling exception).
TRANSIENT_CODES = {
    "Throttling", "ThrottlingException", "ThrottledException", "Throttled", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "LimitExceededException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "SlowDown", "PriorRequestNotComplete",
    "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure", "InternalServerError",
    "InternalError", "InternalServiceException", "RequestTimeout", "RequestTimeoutException",
    "SendingPausedException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "KMSThrottlingException", "KMSThrottling",
}

# Refusals that are about this message or this recipient: retrying cannot help. (Any other
# 4xx is permanent too; these are listed so the rule reads plainly.)
PERMANENT_CODES = {
    "MessageRejected",                      # SES: content or recipient refused
    "BadRequestException",                  # SES v2: the request itself is invalid
    "InvalidParameter", "InvalidParameterValue", "InvalidParameterException",  # SNS: invalid number
    "ValidationException",
    "OptedOut", "OptedOutException",        # SNS: the number sent STOP to the carrier
    "EndpointDisabled",                     # SNS
    "DestinationNotAllowedException",       # Connect: country or number not allowed
}

# The operator's problem, not the message's (missing permission, configuration set or flow,
# paused account): retried, so the touch ends in the dead-letter queue, from where it can be
# redriven once the stack is fixed, instead of every touch being failed for good.
OPERATOR_CODES = {
    "AccessDenied", "AccessDeniedException", "AuthorizationError", "UnrecognizedClientException",
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "NotFoundException",
    "ResourceNotFoundException", "MailFromDomainNotVerifiedException", "AccountSuspendedException",
}


class PermanentFailure(Exception):
    """The provider refused the message for good (invalid number, suppressed address...)."""


class InvalidMessage(PermanentFailure):
    """The message cannot be built for this lead (merge, template or header error)."""


class TransientFailure(Exception):
    """Try again later: throttled or the provider is briefly unavailable.

    ``retry_after`` (seconds), when set, is how long the queue should hide the message
    before the next attempt (a deferral to the end of quiet hours, say).
    """

    def __init__(self, message: str = "", retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def error_code(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "") or ""
    return ""


_EMAIL = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{8,}\d")


def redact(text: str) -> str:
    """Provider messages can quote the address or number they refused: keep them out of logs
    and of the stored reason."""
    return _PHONE.sub("<phone>", _EMAIL.sub("<email>", text))


def classify(exc: Exception) -> Exception:
    """Map a provider exception to TransientFailure or PermanentFailure (others unchanged)."""
    from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, ReadTimeoutError

    from ..content.render import MergeError

    if isinstance(exc, (PermanentFailure, TransientFailure)):
        return exc
    if isinstance(exc, MergeError):
        return InvalidMessage(f"merge_error: {exc}")
    if isinstance(exc, (BotoConnectionError, ReadTimeoutError)):
        return TransientFailure(type(exc).__name__)
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
        message = exc.response.get("Error", {}).get("Message", "")
        text = redact(f"{code}: {message}")[:300]
        if code in PERMANENT_CODES:
            return PermanentFailure(text)
        if code in TRANSIENT_CODES or code in OPERATOR_CODES or status >= 500 or status == 429:
            return TransientFailure(text)
        return PermanentFailure(text)
    return exc
