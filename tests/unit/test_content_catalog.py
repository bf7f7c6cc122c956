"""Every sequence in the catalog ships its templates: one file per touch channel, on disk."""
from pathlib import Path

from chalicelib.sequences.catalog import SEQUENCES

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
IDS = {"lead_nurture", "application_incomplete", "pipeline_progression", "post_funded_welcome",
       "annual_review", "refinance_opportunity", "birthday"}


def expected_paths(channel: str, template: str) -> list[Path]:
    if channel in ("email", "partner_email"):
        if template.startswith("library/"):  # written once, as text: the HTML is built from it
            return [TEMPLATES / "email" / f"{template}.txt.j2"]
        return [TEMPLATES / "email" / f"{template}.html.j2", TEMPLATES / "email" / f"{template}.txt.j2"]
    return [TEMPLATES / channel / f"{template}.j2"]


def test_the_seven_core_sequences_are_in_the_catalog():
    assert IDS <= set(SEQUENCES)


def test_every_touch_has_its_template_files():
    # a library slot's templates are those of every item on its shelves
    missing = [f"{where}: {p.relative_to(TEMPLATES)}" for seq in SEQUENCES.values()
               for where, channel, template, _ in seq.templates() for p in expected_paths(channel, template)
               if not p.is_file()]
    assert missing == []


def test_sms_templates_fit_their_segment_budget():
    # measured as carriers bill them, signature and opt-out line included (content/sms.py)
    from chalicelib.content.checks import text_file_budget_problems
    from chalicelib.sequences.validate import texts

    over = [p for seq in SEQUENCES.values() for where, template, kind in texts(seq)
            for p in text_file_budget_problems(template, where, kind)]
    assert over == []


def test_the_budget_check_sees_every_text_the_catalog_sends():
    from chalicelib.sequences.validate import texts

    sms = {t for seq in SEQUENCES.values() for _, c, t, _ in seq.templates() if c == "sms"}
    budgeted = {t for seq in SEQUENCES.values() for _, t, _ in texts(seq)}
    assert len(sms) > 30 and sms == budgeted and all((TEMPLATES / "sms" / f"{t}.j2").is_file() for t in sms)
