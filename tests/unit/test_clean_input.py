"""Clean input (issue 12): free text that reaches a template or a header has a length limit and
no control characters; such input is refused naming the field, never stripped silently."""
from datetime import datetime, timezone

import pytest

from chalicelib.domain.lead import TEXT_LIMITS, ValidationError, validate_consent_grant, validate_lead

NOW = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
BASE = {"first_name": "Ana", "email": "ana@example.com"}
# C0 (NUL, TAB, LF, CR, ESC, US), DEL, C1 (U+0080, NEL U+0085, U+009F), Unicode line/paragraph separators
CONTROLS = ["\x00", "\t", "\n", "\r", "\r\n", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\u2028", "\u2029"]


def _body(path: str, value):
    if path.startswith("realtor."):
        return {**BASE, "realtor": {path.split(".", 1)[1]: value}}
    if path.startswith("consent."):
        _, channel, field = path.split(".")
        return {**BASE, "consent": {channel: {"granted": True, field: value}}}
    return {**BASE, path: value}


def _errors(body, partial=False) -> dict:
    with pytest.raises(ValidationError) as caught:
        validate_lead(body, NOW, partial=partial)
    return caught.value.fields


SINGLE_LINE = ["first_name", "last_name", "source", "realtor.name", "consent.sms.source"]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c[0]):04X}" for c in CONTROLS])
@pytest.mark.parametrize("path", SINGLE_LINE)
def test_a_control_character_in_a_free_text_field_is_refused_naming_the_field(path, char):
    errors = _errors(_body(path, f"Bob{char}Bcc: x@example.net"))
    assert list(errors) == [path]
    assert "control characters" in errors[path] and f"U+{ord(char[0]):04X} at position 3" in errors[path]


def test_the_issue_example_names_first_name_on_create_and_on_patch():
    body = {"first_name": "Bob\r\nBcc: x@example.net", "email": "bob@example.com"}
    assert list(_errors(body)) == ["first_name"]
    assert list(_errors({"first_name": "Bob\r\nBcc: x@example.net"}, partial=True)) == ["first_name"]


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x1b", "\x7f", "\x85"])
def test_a_consent_disclosure_keeps_line_breaks_and_tabs_but_no_other_control(char):
    fine = validate_lead(_body("consent.sms.text", "I agree to texts.\r\n\tMsg&data rates may apply."), NOW)
    assert fine["consent_records"][0]["text"].startswith("I agree to texts.\r\n\t")
    assert list(_errors(_body("consent.sms.text", f"I agree{char}"))) == ["consent.sms.text"]


@pytest.mark.parametrize("path", list(TEXT_LIMITS))
def test_each_documented_limit_holds_at_the_limit_and_refuses_one_more(path):
    limit = TEXT_LIMITS[path]
    field = path if not path.startswith("consent.") else "consent.sms." + path.split(".")[1]
    validate_lead(_body(field, "a" * limit), NOW)
    errors = _errors(_body(field, "a" * (limit + 1)))
    assert errors == {field: f"must be a non-empty string of at most {limit} characters"}


def test_names_are_limited_to_100_characters():
    assert TEXT_LIMITS["first_name"] == TEXT_LIMITS["last_name"] == TEXT_LIMITS["realtor.name"] == 100


def test_an_email_address_with_a_control_character_is_not_an_address():
    assert list(_errors({"first_name": "Ana", "email": "ana\x00@example.com"})) == ["email"]
    assert list(_errors({**BASE, "realtor": {"email": "sam\x85@realty.example"}})) == ["realtor.email"]


def test_a_realtor_name_that_is_not_text_is_refused_not_dropped_and_a_blank_one_is_no_name():
    assert list(_errors({**BASE, "realtor": {"name": 42}})) == ["realtor.name"]
    assert validate_lead({**BASE, "realtor": {"name": "  ", "email": "sam@realty.example"}}, NOW)["realtor"] == \
        {"email": "sam@realty.example"}


def test_the_consent_routes_own_fields_are_named_plainly():
    errors: dict = {}
    assert validate_consent_grant("email", {"granted": False, "source": "call\ncenter"}, NOW, "", errors) is None
    assert list(errors) == ["source"]
    errors = {}
    validate_consent_grant("email", {"granted": "no"}, NOW, "", errors)
    assert list(errors) == ["granted"]


def test_ordinary_text_passes_untouched_apart_from_surrounding_spaces():
    out = validate_lead({**BASE, "first_name": "  José-María  ", "last_name": "O'Brien Núñez",
                         "realtor": {"name": "Sam Agent"}, "source": "Zillow (premier)"}, NOW)
    assert (out["first_name"], out["last_name"], out["realtor"]["name"], out["source"]) == \
        ("José-María", "O'Brien Núñez", "Sam Agent", "Zillow (premier)")
