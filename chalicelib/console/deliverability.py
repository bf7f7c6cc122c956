"""The console's Deliverability page (manager, ops): each sending identity's rates and the
brake; ops resumes a braked identity (services/reputation.py)."""
from __future__ import annotations

from urllib.parse import unquote

from ..clock import now
from ..domain.lead import ValidationError
from ..services import reputation as svc
from ..services.context import context
from .routes import Page, page


@page("/console/deliverability", action="deliverability")
def deliverability(p: Page):
    ctx = context()
    return p.render("deliverability.html.j2", "deliverability", identities=svc.view(ctx, now())["identities"],
                    readiness=svc.readiness(ctx))


@page("/console/deliverability/{identity}/resume", methods=["POST"], action="deliverability.resume")
def resume(p: Page, identity: str):
    try:
        out = svc.resume(context(), unquote(identity).strip().lower(), now(), p.principal.by)
    except svc.NotBraked:
        raise ValidationError({"identity": "is not braked: nothing to resume"}) from None
    if out is None:
        raise ValidationError({"identity": "is not one of the team's sending identities"})
    return p.go("/console/deliverability", done="resumed")
