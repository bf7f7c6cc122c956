"""Templates the team owns (issue 27): list, read with every version, write a draft, approve,
roll back, restore the built-in, preview for a borrower beside the live words."""
from __future__ import annotations

from chalice import Blueprint

from ..clock import now
from ..domain.lead import ValidationError
from ..services.context import context
from .http import actor, body_of, error, json_response, outside_book, principal_of, query, route

bp = Blueprint(__name__)


@route(bp, "/templates", methods=["GET"])
def list_templates():
    from ..services.templates import list_templates as items

    return json_response({"items": items(context())})


@route(bp, "/templates/{template_id}", methods=["GET"])
def get_template(template_id):
    from ..services.templates import describe

    found = describe(context(), template_id, query(bp.current_request, "language"))
    return json_response(found) if found else error(404, "not_found")


@route(bp, "/templates/{template_id}", methods=["PUT"], action="content.write")
def put_template(template_id):
    from ..services.templates import save_draft

    request = bp.current_request
    saved = save_draft(context(), template_id, body_of(request), actor(request), now())
    if saved is None:
        return error(404, "not_found")
    request.context["audit"] = {"target": f"template:{template_id}", "version": saved["version"]}
    return json_response(saved, 201)


def _version(raw: str) -> int:
    digits = raw[1:] if raw[:1] in ("v", "V") else raw
    if not digits.isdigit() or not 0 < int(digits) < 10 ** 6:
        raise ValidationError({"version": "must be a version number such as 3 or v3"})
    return int(digits)


@route(bp, "/templates/{template_id}/versions/{version}/approve", methods=["POST"], action="content.approve")
def approve(template_id, version):
    from ..services.templates import NotYours, approve as run

    request = bp.current_request
    try:
        done = run(context(), template_id, _version(version), query(request, "language") or body_of(request).get("language"),
                   principal_of(request), now())
    except NotYours:
        return error(403, "forbidden", detail="a version goes live on the approval of a compliance person "
                                              "other than its author")
    if done is None:
        return error(404, "not_found")
    request.context["audit"] = {"target": f"template:{template_id}", "version": done["version"]}
    return json_response(done)


@route(bp, "/templates/{template_id}/rollback", methods=["POST"], action="content.write")
def rollback(template_id):
    from ..services.templates import rollback as run

    request = bp.current_request
    done = run(context(), template_id, body_of(request).get("language"), actor(request), now())
    if done is None:
        return error(404, "not_found")
    request.context["audit"] = {"target": f"template:{template_id}", "version": done["live_version"]}
    return json_response(done)


@route(bp, "/templates/{template_id}/restore", methods=["POST"], action="content.write")
def restore(template_id):
    from ..services.templates import restore_built_in

    request = bp.current_request
    done = restore_built_in(context(), template_id, body_of(request).get("language"), actor(request), now())
    if done is None:
        return error(404, "not_found")
    request.context["audit"] = {"target": f"template:{template_id}", "version": 0}
    return json_response(done)


@route(bp, "/templates/{template_id}/preview", methods=["POST"], action="read")
def preview(template_id):
    from ..services.templates import preview as run

    body = body_of(bp.current_request)
    lead_id = body.get("lead_id")
    if not isinstance(lead_id, str) or not lead_id:
        raise ValidationError({"lead_id": "is required: the borrower to preview for"})
    if outside_book(bp.current_request, lead_id):
        return error(404, "not_found")
    version = body.get("version")
    draft = {"subject": body.get("subject"), "body": body["body"]} if isinstance(body.get("body"), str) else None
    found = run(context(), template_id, body.get("language"), lead_id,
                _version(str(version)) if version not in (None, "", 0, "0") else None, now(), draft)
    return json_response(found) if found else error(404, "not_found")
