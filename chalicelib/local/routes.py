"""Local stage only: the virtual clock and the inbound SMS / email simulators."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import clock
from ..domain.lead import ValidationError
from . import runtime
from ..api.http import route, body_of, json_response
from ..console import borrower as _borrower_view

bp = Blueprint(__name__)
_borrower_view.INBOUND = runtime  # the console's borrower's view answers through the simulators below

MAX_ADVANCE = 400 * 86400


@route(bp, "/_local/clock", methods=["GET"])
def get_clock():
    return json_response({"now": clock.now().isoformat()})


@route(bp, "/_local/clock", methods=["POST"], action="local")
def advance_clock():
    body = body_of(bp.current_request)
    seconds = body.get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_ADVANCE:
        raise ValidationError({"advance_seconds": f"must be a number of seconds between 0 and {MAX_ADVANCE}"})
    now = runtime.advance(float(seconds))
    return json_response({"now": now.isoformat()})


@route(bp, "/_local/inbound/sms", methods=["POST"], action="local")
def inbound_sms():
    body = body_of(bp.current_request)
    errors = {}
    if not isinstance(body.get("from"), str):
        errors["from"] = "is required (the sender's phone number)"
    if not isinstance(body.get("body"), str):
        errors["body"] = "is required (the message text)"
    if errors:
        raise ValidationError(errors)
    runtime.inbound_sms(body["from"], body["body"])
    return json_response({"accepted": True}, 202)


@route(bp, "/_local/inbound/email", methods=["POST"], action="local")
def inbound_email():
    body = body_of(bp.current_request)
    errors = {}
    for name in ("from", "to"):
        if not isinstance(body.get(name), str):
            errors[name] = "is required"
    if errors:
        raise ValidationError(errors)
    runtime.inbound_email(body["from"], body["to"], body.get("subject", ""), body.get("body", ""))
    return json_response({"accepted": True}, 202)


FEEDBACK_TYPES = ("bounce", "soft_bounce", "complaint")


@route(bp, "/_local/feedback", methods=["POST"], action="local")
def feedback():
    """Play SES's bounce (permanent) or complaint notification for an address, as the
    ses-feedback topic would deliver it."""
    from ..domain.lead import normalize_email

    body = body_of(bp.current_request)
    errors = {}
    if not normalize_email(body.get("email")):
        errors["email"] = "is required (the recipient's e-mail address)"
    if body.get("type") not in FEEDBACK_TYPES:
        errors["type"] = f"must be one of {', '.join(FEEDBACK_TYPES)}"
    if errors:
        raise ValidationError(errors)
    runtime.feedback(normalize_email(body["email"]), "complaint" if body["type"] == "complaint" else "bounce",
                     soft=body["type"] == "soft_bounce")
    return json_response({"accepted": True}, 202)
