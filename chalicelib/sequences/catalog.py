"""Every sequence the engine runs, by id. Adding a sequence is one module and one line here."""
from __future__ import annotations

from . import (annual_review, application_incomplete, application_stalled, birthday, escalation_watch, lead_nurture,
               pipeline_progression, post_funded_welcome, refinance_opportunity, refinance_scenarios)
from .dsl import Sequence

SEQUENCES: dict[str, Sequence] = {m.SEQUENCE.id: m.SEQUENCE for m in (
    lead_nurture, application_incomplete, pipeline_progression, post_funded_welcome,
    annual_review, refinance_opportunity, birthday, refinance_scenarios, application_stalled, escalation_watch,
)}

CORE = ("lead_nurture", "application_incomplete", "pipeline_progression", "post_funded_welcome",
        "annual_review", "refinance_opportunity", "birthday")


def _validate_at_load() -> None:
    """Refuse to start with a broken plan: a dangling branch, a spinning loop, a missing template.

    The merge-field and Reg Z checks parse every template with Jinja2, which is too slow for a
    Lambda cold start: they run in the unit tests and when the local stack starts.
    """
    from pathlib import Path

    from .validate import problems

    templates = Path(__file__).resolve().parents[2] / "templates"
    found = [p for seq in SEQUENCES.values() for p in problems(seq)]
    for seq in SEQUENCES.values():
        for touch in seq.touches():
            names = ([f"email/{touch.template}.html.j2", f"email/{touch.template}.txt.j2"]
                     if touch.channel in ("email", "partner_email") else [f"{touch.channel}/{touch.template}.j2"])
            found += [f"{seq.id}.{touch.name}: missing template {n}" for n in names if not (templates / n).exists()]
    if found:
        raise ValueError("invalid sequences:\n  " + "\n  ".join(found))


_validate_at_load()
