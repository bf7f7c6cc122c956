"""Signed tracking tokens: round trips, forgery attempts, key rotation and garbage."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.tracking.tokens import (MAX_TOKEN_CHARS, TokenPayload, click_token, open_token, reply_token, sign,
                                        unsubscribe_token, verify)

K1 = b"k1-secret-0123456789abcdef"
K2 = b"k2-secret-fedcba9876543210"
KEYS = {"k1": K1}
TOUCH = "7f3c2a9e4b1d4e0f8a6b5c4d3e2f1a0b"
LEAD = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
OTHER_LEAD = "ffffffffffffffffffffffffffffffff"
URL = "https://lonestarhomelending.example/apply?utm_source=touch&x=1#top"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(kid: str, fields: list, key: bytes) -> str:
    """A token built the documented way, for checks that depend on the exact format."""
    body = b64(json.dumps(fields, separators=(",", ":")).encode())
    mac = hmac.new(key, b"touchengine.tracking.v1." + kid.encode() + b"." + body.encode(), hashlib.sha256)
    return f"{kid}.{body}.{b64(mac.digest()[:16])}"


# --- round trips ------------------------------------------------------------------------

@pytest.mark.parametrize("make, expected", [
    (lambda: open_token(TOUCH, LEAD, keys=KEYS, active_kid="k1"), TokenPayload("o", TOUCH, LEAD)),
    (lambda: click_token(TOUCH, LEAD, URL, keys=KEYS, active_kid="k1"), TokenPayload("c", TOUCH, LEAD, URL)),
    (lambda: unsubscribe_token(TOUCH, LEAD, keys=KEYS, active_kid="k1"), TokenPayload("u", TOUCH, LEAD)),
    (lambda: reply_token(TOUCH, LEAD, keys=KEYS, active_kid="k1"), TokenPayload("r", TOUCH, LEAD)),
])
def test_round_trip(make, expected):
    token = make()
    assert verify(token, KEYS) == expected


def test_format_is_url_safe_kid_payload_sig_and_matches_the_documented_construction():
    token = click_token(TOUCH, LEAD, URL, keys=KEYS, active_kid="k1")
    kid, body, sig = token.split(".")
    assert kid == "k1" and len(sig) == 22 and "=" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert json.loads(unb64(body)) == ["c", TOUCH, LEAD, URL]
    assert token == forge("k1", ["c", TOUCH, LEAD, URL], K1)


def test_non_ascii_url_round_trips():
    url = "https://example.com/préstamo?q=ñ"
    assert verify(click_token(TOUCH, LEAD, url, keys=KEYS, active_kid="k1"), KEYS).url == url


def test_payload_holds_only_opaque_ids():
    token = reply_token(TOUCH, LEAD, keys=KEYS, active_kid="k1")
    assert json.loads(unb64(token.split(".")[1])) == ["r", TOUCH, LEAD]


# --- forgery ----------------------------------------------------------------------------

def test_tampered_payload_is_rejected():
    kid, body, sig = open_token(TOUCH, LEAD, keys=KEYS, active_kid="k1").split(".")
    swapped = b64(json.dumps(["o", TOUCH, OTHER_LEAD], separators=(",", ":")).encode())
    assert verify(f"{kid}.{swapped}.{sig}", KEYS) is None
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    assert verify(f"{kid}.{flipped}.{sig}", KEYS) is None


def test_tampered_signature_is_rejected():
    kid, body, sig = open_token(TOUCH, LEAD, keys=KEYS, active_kid="k1").split(".")
    for i in range(len(sig)):
        bad = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:]
        assert verify(f"{kid}.{body}.{bad}", KEYS) is None


def test_truncated_and_extended_tokens_are_rejected():
    token = click_token(TOUCH, LEAD, URL, keys=KEYS, active_kid="k1")
    for cut in range(len(token)):
        assert verify(token[:cut], KEYS) is None
    assert verify(token + "A", KEYS) is None
    assert verify(token + ".", KEYS) is None
    assert verify("." + token, KEYS) is None


def test_a_token_for_another_lead_cannot_be_made_from_this_one():
    mine = unsubscribe_token(TOUCH, LEAD, keys=KEYS, active_kid="k1")
    theirs = unsubscribe_token(TOUCH, OTHER_LEAD, keys=KEYS, active_kid="k1")
    kid, _, my_sig = mine.split(".")
    _, their_body, _ = theirs.split(".")
    assert verify(f"{kid}.{their_body}.{my_sig}", KEYS) is None  # their ids, my signature
    assert verify(forge("k1", ["u", TOUCH, OTHER_LEAD], b"attacker-guessed-key-000"), KEYS) is None


def test_swapped_destination_is_rejected():
    token = click_token(TOUCH, LEAD, URL, keys=KEYS, active_kid="k1")
    kid, _, sig = token.split(".")
    evil = b64(json.dumps(["c", TOUCH, LEAD, "https://evil.example/phish"], separators=(",", ":")).encode())
    assert verify(f"{kid}.{evil}.{sig}", KEYS) is None


def test_kind_cannot_be_changed():
    kid, _, sig = open_token(TOUCH, LEAD, keys=KEYS, active_kid="k1").split(".")
    as_unsub = b64(json.dumps(["u", TOUCH, LEAD], separators=(",", ":")).encode())
    assert verify(f"{kid}.{as_unsub}.{sig}", KEYS) is None


def test_signature_covers_the_kid():
    # both keys equal: only the kid differs, and relabelling must still fail
    keys = {"k1": K1, "k2": K1}
    _, body, sig = open_token(TOUCH, LEAD, keys=keys, active_kid="k1").split(".")
    assert verify(f"k2.{body}.{sig}", keys) is None


def test_correctly_signed_but_wrong_shape_is_rejected():
    for fields in (["o", TOUCH], ["o", TOUCH, LEAD, URL, "x"], ["x", TOUCH, LEAD], ["o", "", LEAD],
                   ["o", TOUCH, 7], ["c", TOUCH, LEAD], ["c", TOUCH, LEAD, ""], ["o", TOUCH, LEAD, URL],
                   {"kind": "o"}, "o", None, [None, TOUCH, LEAD]):
        assert verify(forge("k1", fields, K1), KEYS) is None, fields


# --- keys -------------------------------------------------------------------------------

def test_unknown_kid_is_rejected():
    token = open_token(TOUCH, LEAD, keys={"k9": K1}, active_kid="k9")
    assert verify(token, KEYS) is None


def test_rotation_old_key_still_verifies_while_kept():
    old = open_token(TOUCH, LEAD, keys={"k1": K1}, active_kid="k1")
    rotated = {"k2": K2, "k1": K1}
    new = open_token(TOUCH, LEAD, keys=rotated, active_kid="k2")
    assert new.startswith("k2.")
    assert verify(old, rotated) == verify(new, rotated) == TokenPayload("o", TOUCH, LEAD)
    # once the old key is dropped, its tokens stop working
    assert verify(old, {"k2": K2}) is None and verify(new, {"k2": K2}) is not None


def test_wrong_key_under_the_same_kid_is_rejected():
    token = open_token(TOUCH, LEAD, keys=KEYS, active_kid="k1")
    assert verify(token, {"k1": K2}) is None


def test_str_keys_work_like_their_utf8_bytes():
    token = open_token(TOUCH, LEAD, keys={"k1": K1.decode()}, active_kid="k1")
    assert verify(token, KEYS) == TokenPayload("o", TOUCH, LEAD)


@pytest.mark.parametrize("keys, kid", [({"k1": b"short"}, "k1"), ({}, "k1"), (KEYS, ""), (KEYS, "k.1"),
                                       ({"k 1": K1}, "k 1"), ({"x" * 17: K1}, "x" * 17)])
def test_sign_refuses_unusable_keys_and_kids(keys, kid):
    with pytest.raises(ValueError):
        open_token(TOUCH, LEAD, keys=keys, active_kid=kid)


def test_short_key_never_verifies():
    token = forge("k1", ["o", TOUCH, LEAD], b"short")
    assert verify(token, {"k1": b"short"}) is None


@pytest.mark.parametrize("payload", [TokenPayload("x", TOUCH, LEAD), TokenPayload("o", "", LEAD),
                                     TokenPayload("c", TOUCH, LEAD), TokenPayload("o", TOUCH, LEAD, URL),
                                     TokenPayload("c", TOUCH, LEAD, "https://x.example/" + "a" * MAX_TOKEN_CHARS)])
def test_sign_refuses_invalid_payloads(payload):
    with pytest.raises(ValueError):
        sign(payload, KEYS, "k1")


# --- garbage ----------------------------------------------------------------------------

@pytest.mark.parametrize("junk", [None, 123, b"k1.abc.def", "", ".", "..", "k1..", "k1.e30.", "k1.!!!!.AAAAAAAAAAAAAAAAAAAAAA",
                                  "k1.e30.AAAAAAAAAAAAAAAAAAAAAA", "k1.e30.AAAAAAAAAAAAAAAAAAAAA=",
                                  "k1.e30=.AAAAAAAAAAAAAAAAAAAAAA", "k1." + "A" * 10_000 + ".AAAAAAAAAAAAAAAAAAAAAA",
                                  "k1.\udcff.AAAAAAAAAAAAAAAAAAAAAA", "k1.e30.AAAAAAAAAAAAAAAAAAAAA\u0661"])
def test_garbage_is_none(junk):
    assert verify(junk, KEYS) is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(text):
    assert verify(text, KEYS) is None


token_alphabet = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=token_alphabet, max_size=200))
def test_token_shaped_text_never_verifies(text):
    assert verify("k1." + text, KEYS) is None


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1), st.text(min_size=1), st.one_of(st.none(), st.text(min_size=1)), st.sampled_from("ocur"))
def test_any_ids_and_urls_round_trip(touch_id, lead_id, url, kind):
    url = (url or "https://x.example/") if kind == "c" else None
    payload = TokenPayload(kind, touch_id, lead_id, url)
    try:
        token = sign(payload, KEYS, "k1")
    except ValueError:
        return  # only an over-long token may be refused
    assert verify(token, KEYS) == payload
