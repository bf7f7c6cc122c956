"""Every sequence the engine runs, by id. Adding a sequence is one module and one line here."""
from __future__ import annotations

from . import (annual_review, application_incomplete, birthday, escalation_watch, lead_nurture,
               pipeline_progression, post_funded_welcome, refinance_opportunity, refinance_scenarios)
from .dsl import Sequence

SEQUENCES: dict[str, Sequence] = {m.SEQUENCE.id: m.SEQUENCE for m in (
    lead_nurture, application_incomplete, pipeline_progression, post_funded_welcome,
    annual_review, refinance_opportunity, birthday, refinance_scenarios, escalation_watch,
)}

CORE = ("lead_nurture", "application_incomplete", "pipeline_progression", "post_funded_welcome",
        "annual_review", "refinance_opportunity", "birthday")
