"""HTTP middleware: correlation id, auth on management routes, a log line per request."""
from __future__ import annotations

import uuid

from ..observability import logger
from .http import PUBLIC_PREFIXES, SESSION_PREFIXES, error


def http_middleware(event, get_response):
    correlation_id = event.headers.get("x-correlation-id") or uuid.uuid4().hex
    logger.set_correlation_id(correlation_id)
    event.context["correlation_id"] = correlation_id
    path = event.path
    if not path.startswith(PUBLIC_PREFIXES + SESSION_PREFIXES):
        principal = _principal(event)
        if principal is None:
            logger.info("unauthorized", extra={"path": path, "method": event.method})
            return error(401, "unauthorized")
        event.context["principal"] = principal  # each route checks its action (http.route)
    response = get_response(event)
    response.headers["X-Correlation-Id"] = correlation_id
    logger.info("request", extra={"path": path, "method": event.method, "status": response.status_code})
    return response


def _principal(event):
    from ..services.people import principal_of

    scheme, _, token = (event.headers.get("authorization") or "").partition(" ")
    return principal_of(token) if scheme.lower() == "bearer" else None
