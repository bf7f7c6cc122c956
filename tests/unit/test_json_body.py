"""The one JSON body parser (issue 33): every undecodable body is a ValidationError naming the
field, never another exception; a good object comes back as it was sent."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.api import json_body
from chalicelib.domain.lead import ValidationError


def refused(raw, field="body") -> str:
    with pytest.raises(ValidationError) as exc:
        json_body.parse(raw, field)
    assert list(exc.value.fields) == [field]
    return exc.value.fields[field]


@pytest.mark.parametrize("raw, says", [
    (b"[" * 50_000 + b"]" * 50_000, "nested deeper than 32 levels"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "nested deeper than 32 levels"),
    (b"[" * 50_000, "nested deeper than 32 levels"),        # never closed either: depth is checked first
    (b'{"data": ' + b"[" * 33 + b"]" * 33 + b"}", "nested deeper than 32 levels"),
    (b"x" * (json_body.MAX_BYTES + 1), "larger than 1024 KB"),
    (b"\xff\xfe{}", "must be UTF-8 text (byte 0 is not)"),
    (b"not json", "must be valid JSON: Expecting value (line 1, column 1)"),
    (b'{"a": 1', "must be valid JSON"),
    (b'{"rate": NaN}', "NaN is not a JSON number"),
    (b'{"rate": -Infinity}', "-Infinity is not a JSON number"),
    (b'{"amount": 1e400}', "1e400 is too large a number"),
    (b'{"amount": ' + b"9" * 5000 + b"}", "must be valid JSON"),   # past Python's 4,300-digit limit
    (b"[]", "must be a JSON object {...}, not an array"),
    (b'"text"', "not a string"),
    (b"42", "not a number"),
    (b"null", "not null"),
    (b"true", "not true or false"),
    (b'{"first_name": "\\ud800"}', "lone UTF-16 surrogate"),
    (b'{"\\udfff": 1}', "lone UTF-16 surrogate"),
])
def test_what_cannot_be_read_is_a_validation_error_naming_the_body(raw, says):
    assert says in refused(raw)


def test_a_string_may_hold_any_brackets_and_escaped_quotes():
    text = '"' + "[{" * 100 + '\\"' + "]}" * 3 + '"'
    assert json_body.parse(('{"note": ' + text + ", \"deep\": " + "[" * 31 + "]" * 31 + "}").encode()) == \
        {"note": json.loads(text), "deep": json.loads("[" * 31 + "]" * 31)}


def test_empty_is_an_empty_object_and_a_windows_bom_is_harmless():
    assert json_body.parse(None) == json_body.parse(b"") == json_body.parse(b"  \n") == {}
    assert json_body.parse("\ufeff{\"a\": 1}".encode()) == {"a": 1}


def test_the_field_is_named_as_asked():
    assert "must be a JSON object" in refused("[1]", "mapping")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                 st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
                              lambda inner: st.lists(inner, max_size=4)
                              | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                              max_leaves=30).map(lambda v: json.dumps(v).encode())))
def test_any_bytes_are_an_object_or_a_validation_error(raw):
    try:
        value = json_body.parse(raw)
    except ValidationError as exc:
        assert list(exc.fields) == ["body"]
    else:
        assert isinstance(value, dict)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # what a store or a message writes later must not fail
