"""The console's language form (issue 28): the lead page shows the language the borrower's
messages go in, and an LO or manager changes it (the ``leads`` action, as the API's PATCH)."""
from __future__ import annotations

from ..clock import now
from ..domain.lead import LANGUAGES, ValidationError
from ..services.context import context
from .routes import DONE, Page, _not_found, page

DONE.setdefault("language", "Language saved: the next messages go in it.")


@page("/console/leads/{lead_id}/language", methods=["POST"], action="leads")
def language(p: Page, lead_id):
    from ..services.leads import patch_lead

    chosen = p.form.get("language", "")
    if chosen not in LANGUAGES:
        raise ValidationError({"language": "choose English or Spanish"})
    if patch_lead(context(), lead_id, {"language": chosen}, now()) is None:
        return _not_found(p, "lead")
    return p.go(f"/console/leads/{lead_id}", done="language")
