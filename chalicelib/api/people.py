"""People and keys: sign-in, the team's people (ops), integration keys (ops), the audit log."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..domain.lead import ValidationError
from ..services import people as svc
from ..services.context import context
from .http import actor, body_of, error, int_query, json_response, principal_of, query, route, validation

bp = Blueprint(__name__)


@bp.route("/auth/login", methods=["POST"],
          content_types=["application/json", "application/x-www-form-urlencoded", "text/plain"])
def login():
    """Public (it is how a token is had): wrong answers 401 whatever was wrong, so it tells a
    guesser nothing; the brake answers 429 before Cognito is asked."""
    from ..people.directory import NeedsCode, SignInFailed

    try:
        body = body_of(bp.current_request)
        if not isinstance(body, dict):
            raise ValidationError({"body": "must be a JSON object"})
        result = svc.sign_in(body.get("email"), body.get("password"), now(), body.get("code"), body.get("session"))
    except ValidationError as exc:
        return validation(exc.fields)
    except svc.TooManyFailures as exc:
        return json_response({"error": "too_many_attempts", "retry_after": exc.retry_after}, 429,
                             headers={"Retry-After": str(exc.retry_after)})
    except NeedsCode as exc:
        return error(401, "mfa_required", session=exc.session)
    except SignInFailed:
        return error(401, "unauthorized")
    return json_response(result)


@bp.route("/auth/logout", methods=["POST"],
          content_types=["application/json", "application/x-www-form-urlencoded", "text/plain"])
def logout():
    """A person's token, signed out at once wherever it was copied: ``204``; no person's valid
    token: ``401``. (Public by its path, like the sign-in: the token it ends is its credential.)"""
    from chalice import Response

    scheme, _, token = (bp.current_request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not svc.sign_out(token):
        return error(401, "unauthorized")
    return Response(body="", status_code=204)


@route(bp, "/me", methods=["GET"])
def me():
    return json_response(principal_of(bp.current_request).public())


@route(bp, "/users", methods=["POST"], action="people")
def create_user():
    from ..people.directory import AlreadyExists

    try:
        person = svc.create_person(context(), body_of(bp.current_request))
    except AlreadyExists:
        return error(409, "duplicate", fields={"email": "a person with this e-mail already has an account"})
    bp.current_request.context["audit"] = {"target": f"user:{person['user_id']}", "email": person["email"]}
    return json_response(person, 201)


@route(bp, "/users", methods=["GET"], action="people")
def list_users():
    return json_response({"items": svc.people()})


@route(bp, "/users/{user_id}", methods=["DELETE"], action="people")
def disable_user(user_id):
    person = svc.disable_person(user_id)
    if person is None:
        return error(404, "not_found")
    bp.current_request.context["audit"] = {"email": person["email"]}
    return json_response(person)


@route(bp, "/keys", methods=["POST"], action="people")
def create_key():
    key = svc.create_key(body_of(bp.current_request), now(), actor(bp.current_request))
    bp.current_request.context["audit"] = {"target": f"key:{key['key_id']}", "name": key["name"]}
    return json_response(key, 201)


@route(bp, "/keys", methods=["GET"], action="people")
def list_keys():
    return json_response({"items": svc.keys()})


@route(bp, "/keys/{key_id}", methods=["DELETE"], action="people")
def revoke_key(key_id):
    key = svc.revoke_key(key_id, now(), actor(bp.current_request))
    if key is None:
        return error(404, "not_found")
    bp.current_request.context["audit"] = {"name": key["name"]}
    return json_response(key)


@route(bp, "/audit", methods=["GET"], action="audit")
def audit():
    req = bp.current_request
    return json_response({"items": svc.audit(query(req, "since"), int_query(req, "limit", 100, 1, 1000), now())})
