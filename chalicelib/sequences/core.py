"""The core sequences' ids: the six the engine ships with, and the birthday (API.md)."""
CORE = ("lead_nurture", "application_incomplete", "pipeline_progression", "post_funded_welcome",
        "annual_review", "refinance_opportunity", "birthday")
