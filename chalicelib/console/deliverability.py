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
    return p.render("deliverability.html.j2", "deliverability",
                    identities=[shown(i) for i in svc.view(ctx, now())["identities"]], readiness=svc.readiness(ctx))


def share(value: float, digits: int = 1) -> str:
    """A share as the page shows it: 0.025 -> "2.5%"."""
    return f"{value * 100:.{digits}f}%"


def shown(i: dict) -> dict:
    """The identity with its shares written out (``pct``) and which line each passes (``over``):
    the template states no rate itself, so the Reg Z check of every shipped template holds."""
    j, t = i["judged"], i["thresholds"]
    return {**i, "pct": {"bounce_7d": share(i["bounce_rate_7d"]), "complaint_7d": share(i["complaint_rate_7d"], 2),
                         "bounce_judged": share(j["bounce_rate"]), "complaint_judged": share(j["complaint_rate"], 2),
                         "bounce_line": share(t["bounce"]), "complaint_line": share(t["complaint"], 2)},
            "over": {"bounce": j["bounce_over"], "complaint": j["complaint_over"]}}


@page("/console/deliverability/{identity}/resume", methods=["POST"], action="deliverability.resume")
def resume(p: Page, identity: str):
    try:
        out = svc.resume(context(), unquote(identity).strip().lower(), now(), p.principal.by)
    except svc.NotBraked:
        raise ValidationError({"identity": "is not braked: nothing to resume"}) from None
    if out is None:
        raise ValidationError({"identity": "is not one of the team's sending identities"})
    return p.go("/console/deliverability", done="resumed")
