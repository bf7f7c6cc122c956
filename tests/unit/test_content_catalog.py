"""Every sequence in the catalog ships its templates: one file per touch channel, on disk."""
from pathlib import Path

from chalicelib.sequences.catalog import SEQUENCES

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
IDS = {"lead_nurture", "application_incomplete", "pipeline_progression", "post_funded_welcome",
       "annual_review", "refinance_opportunity", "birthday"}


def expected_paths(touch) -> list[Path]:
    if touch.channel in ("email", "partner_email"):
        return [TEMPLATES / "email" / f"{touch.template}.html.j2", TEMPLATES / "email" / f"{touch.template}.txt.j2"]
    return [TEMPLATES / touch.channel / f"{touch.template}.j2"]


def test_the_seven_core_sequences_are_in_the_catalog():
    assert IDS <= set(SEQUENCES)


def test_every_touch_has_its_template_files():
    missing = [f"{seq.id}.{t.name}: {p.relative_to(TEMPLATES)}"
               for seq in SEQUENCES.values() for t in seq.touches() for p in expected_paths(t) if not p.is_file()]
    assert missing == []


def test_sms_templates_stay_short():
    too_long = {}
    for seq in SEQUENCES.values():
        for t in seq.touches():
            if t.channel == "sms":
                text = (TEMPLATES / "sms" / f"{t.template}.j2").read_text()
                if len(text) >= 300:
                    too_long[t.template] = len(text)
    assert too_long == {}


def test_the_sms_length_check_sees_every_sms_touch():
    sms = [t for seq in SEQUENCES.values() for t in seq.touches() if t.channel == "sms"]
    assert sms and all((TEMPLATES / "sms" / f"{t.template}.j2").is_file() for t in sms)
