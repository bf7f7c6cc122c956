"""E-mail through SES v2 as raw MIME: text + HTML, per-touch reply address, unsubscribe headers."""
from __future__ import annotations

import random
import re
import sys
from email.contentmanager import _encode_text  # the standard library's own choice of encoding
from email.headerregistry import Address
from email import policy
from email.utils import format_datetime, make_msgid

from ..aws import client

# Never fold or encode a header into =?utf-8?q?...?= words unless it needs them: List-Unsubscribe
# must stay machine-readable. RFC 5322 allows lines up to 998 characters.
_WIRE = policy.SMTP.clone(max_line_length=998)
_NL = re.compile(r"\r\n|\r|\n")
_PLAIN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")  # printable ASCII words: written as they are
_SPECIALS = set('()<>[]:;@\\,."')                       # a display name with one of these is quoted


def build_mime(*, sender_name: str, sender: str, to: str, reply_to: str, subject: str, text: str, html: str,
               unsubscribe_urls: list[str], touch_id: str, sent_at) -> bytes:
    """The message as SES will send it: the bytes the standard library's EmailMessage writes
    (tests/unit/test_email_mime.py holds them byte for byte), written directly, because
    EmailMessage parses every header when it is set and again when it is written, which made
    MIME building a fifth of a delivery's CPU. A plain header is written as it is; one that needs
    RFC 2047 words or quoting goes through the library's header classes.

    A header the standard library refuses to write (a line break in a subject built from an
    older lead's name) raises ``InvalidMessage``: it would be refused again on every retry, so
    the touch fails once, with the reason."""
    from email.errors import MessageError

    from .errors import InvalidMessage

    try:
        return _write(sender_name=sender_name, sender=sender, to=to, reply_to=reply_to, subject=subject, text=text,
                      html=html, unsubscribe_urls=unsubscribe_urls, touch_id=touch_id, sent_at=sent_at)
    except (ValueError, TypeError, MessageError) as exc:
        raise InvalidMessage(f"header_error: {exc}") from exc


def _write(*, sender_name, sender, to, reply_to, subject, text, html, unsubscribe_urls, touch_id, sent_at) -> bytes:
    local, _, domain = sender.partition("@")
    from_ = (f"{sender_name} <{sender}>" if _PLAIN.fullmatch(sender_name) and _SPECIALS.isdisjoint(sender_name)
             else Address(display_name=sender_name, username=local, domain=domain))
    headers = [("From", from_), ("To", to), ("Reply-To", reply_to), ("Subject", subject),
               ("Date", format_datetime(sent_at)),
               ("Message-ID", make_msgid(idstring=touch_id.replace(".", "-")[-40:], domain=domain))]
    if unsubscribe_urls:
        # RFC 2369 + RFC 8058: one-click unsubscribe that mailbox providers can POST to.
        headers += [("List-Unsubscribe", ", ".join(f"<{u}>" for u in unsubscribe_urls)),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="  # the library's own pattern
    headers += [("X-Touch-Id", touch_id), ("MIME-Version", "1.0"),
                ("Content-Type", f'multipart/alternative; boundary="{boundary}"')]
    head = "".join(_header(name, value) for name, value in headers).encode("ascii")
    sep = b"\r\n--" + boundary.encode("ascii")
    html_part = _part("html", html).replace(b"\r\n\r\n", b"\r\nMIME-Version: 1.0\r\n\r\n", 1)
    return head + sep + b"\r\n" + _part("plain", text) + sep + b"\r\n" + html_part + sep + b"--\r\n"


def _header(name: str, value) -> str:
    if isinstance(value, str) and _PLAIN.fullmatch(value) and len(name) + len(value) <= 996:
        return f"{name}: {value}\r\n"
    return _WIRE.fold(name, policy.default.header_store_parse(name, value)[1])


def _part(subtype: str, content: str) -> bytes:
    """One text part as EmailMessage.set_content writes it: the transfer encoding chosen by the
    library's own rule (7bit or 8bit up to 78-byte lines, else the shorter of quoted-printable
    and base64), lines ending CRLF."""
    cte, data = _encode_text(content, "utf-8", None, policy.default)
    body = "\r\n".join(_NL.split(data)).encode("ascii", "surrogateescape")
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'
            .encode("ascii") + body)


def send(raw: bytes, *, sender: str, to: str, configuration_set: str, touch_id: str) -> str:
    resp = client("sesv2").send_email(
        FromEmailAddress=sender, Content={"Raw": {"Data": raw}},  # recipients come from the MIME headers
        ConfigurationSetName=configuration_set,
        EmailTags=[{"Name": "touch", "Value": "".join(c if c.isalnum() or c in "-_" else "_" for c in touch_id)[:255]}],
    )
    return resp["MessageId"]
