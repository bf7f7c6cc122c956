"""Every sequence the engine runs, by id. Adding a sequence is one module and one line here."""
from __future__ import annotations

from . import (annual_review, application_incomplete, application_stalled, birthday, escalation_watch, lead_nurture,
               long_term_nurture, past_client_program, pipeline_progression, post_funded_welcome,
               refinance_opportunity, refinance_scenarios)
from ..domain import cadence
from .core import CORE  # noqa: F401  (the core ids: callers import them from here)
from .dsl import Sequence

SEQUENCES: dict[str, Sequence] = {m.SEQUENCE.id: m.SEQUENCE for m in (
    lead_nurture, application_incomplete, pipeline_progression, post_funded_welcome,
    annual_review, refinance_opportunity, birthday, refinance_scenarios, application_stalled, escalation_watch,
    past_client_program, long_term_nurture,
)}

PROGRAMS = cadence.PROGRAMS  # the year-round programs, each on or off per team


def _validate_at_load() -> None:
    """Refuse to start with a broken plan: a dangling branch, a spinning loop, a missing template.

    The merge-field and Reg Z checks parse every template with Jinja2, which is too slow for a
    Lambda cold start: they run in the unit tests and when the local stack starts.
    """
    from pathlib import Path

    from ..content.render import template_paths
    from .validate import problems

    templates = Path(__file__).resolve().parents[2] / "templates"
    found = [p for seq in SEQUENCES.values() for p in problems(seq)]
    for seq in SEQUENCES.values():
        for where, channel, template, _ in seq.templates():
            found += [f"{where}: missing template {n}" for n in template_paths(channel, template)
                      if not (templates / n).exists()]
    from ..content.language import has_version, paths

    for seq in (SEQUENCES[i] for i in CORE):  # a Spanish lead gets every core step in Spanish
        found += [f"{where}: missing template {paths(channel, template, 'es')[0]}"
                  for where, channel, template, _ in seq.templates() if not has_version(channel, template, "es")]
    if found:
        raise ValueError("invalid sequences:\n  " + "\n  ".join(found))


_validate_at_load()
