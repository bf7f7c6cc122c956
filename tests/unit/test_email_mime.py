"""The direct MIME writer (channels/email.py) against the standard library's EmailMessage:
the same bytes, boundary and Message-ID aside."""
from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest

from chalicelib.channels import email as mail
from chalicelib.channels.errors import InvalidMessage

WIRE = policy.SMTP.clone(max_line_length=998)


def library(*, sender_name, sender, to, reply_to, subject, text, html, unsubscribe_urls, touch_id, sent_at) -> bytes:
    """What the engine wrote before: the standard library's EmailMessage."""
    msg = EmailMessage()
    local, _, domain = sender.partition("@")
    msg["From"] = Address(display_name=sender_name, username=local, domain=domain)
    msg["To"] = to
    msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = make_msgid(idstring=touch_id.replace(".", "-")[-40:], domain=domain)
    if unsubscribe_urls:
        msg["List-Unsubscribe"] = ", ".join(f"<{u}>" for u in unsubscribe_urls)
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["X-Touch-Id"] = touch_id
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes(policy=WIRE)

AT = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
BASE = dict(sender_name="Jane Smith", sender="jane@mortgage.example.com", to="maria@example.org",
            reply_to="r-4f2a-9c1@reply.example.com", subject="Your rate, Maria",
            text="Hi Maria,\n\nRates moved today.\n", html='<p>Hi <a href="https://t.example.com/t/c/x">Maria</a></p>',
            unsubscribe_urls=["https://t.example.com/u/tok", "mailto:unsub@example.com?subject=u"],
            touch_id="lead_nurture.abc123.4", sent_at=AT)


def _normal(raw: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', raw).group(1)
    raw = raw.replace(boundary, b"BOUNDARY")
    return re.sub(rb"Message-ID: <[^>]+>", b"Message-ID: <ID>", raw)


def _both(**changes) -> tuple[bytes, bytes]:
    kw = {**BASE, **changes}
    return mail.build_mime(**kw), library(**kw)


CASES = [
    {},
    {"unsubscribe_urls": []},
    {"text": "Smart quotes \u2019 and an em dash \u2014 in 8bit\n", "html": "<p>caf\u00e9 \u2014 \u00bd point</p>"},
    {"text": "", "html": ""},
    {"text": "line\r\nwith CRLF\rand lone CR\n\n\n", "html": "<p>a</p>\n\n"},
    {"text": "x" * 998},
    {"subject": "Rates: 6.125% (6.321% APR) - what it means for you, Maria & family!"},
    {"sender_name": "Jane O'Neil-Smith"},
    {"subject": "A " + "long " * 150 + "subject"},
    {"text": "From the desk of Jane\nFrom here on\n"},
    {"text": "y" * 999},                                     # base64 or quoted-printable, as the library picks
    {"html": "<p>" + "\u00e9" * 600 + "</p>"},
    {"text": "A paragraph the template wrote on one line, " * 6 + "\u2019\n" + "short\n" * 12},
]


CASES += [  # headers that need the library's header classes: RFC 2047 words, quoting

    {"subject": "Your rate update \u2014 Maria"},
    {"sender_name": "Smith, Jane"},
    {"sender_name": "Jos\u00e9 P\u00e9rez"},
    {"subject": "two  spaces"},
    {"subject": "x" * 1000},
]


@pytest.mark.parametrize("changes", CASES, ids=range(len(CASES)))
def test_direct_writer_matches_the_standard_library(changes):
    written, library_bytes = _both(**changes)
    assert _normal(written) == _normal(library_bytes)


def test_random_messages_are_byte_for_byte_the_same():
    rng = random.Random(20270413)
    alphabet = "abcXYZ 019.,:;!?&'%$-\u2019\u2014\u00e9\n<>\"/="
    for _ in range(400):
        words = lambda n: "".join(rng.choice(alphabet) for _ in range(n))  # noqa: E731
        header = lambda n: "".join(rng.choice("abcXYZ019!?&'%$-/=,.:<>\" \u2014\u00e9") for _ in range(n))  # noqa: E731
        kw = {"subject": header(rng.randint(1, 120)), "sender_name": header(rng.randint(1, 20)),
              "text": words(rng.randint(0, 300)), "html": words(rng.randint(0, 300))}
        written, library_bytes = _both(**kw)
        assert _normal(written) == _normal(library_bytes), kw


def test_a_line_break_in_a_header_still_fails_the_touch_with_its_reason():
    with pytest.raises(InvalidMessage, match="header_error"):
        mail.build_mime(**{**BASE, "subject": "Hi\r\nBcc: everyone@example.com"})
