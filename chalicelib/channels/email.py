"""E-mail through SES v2 as raw MIME: text + HTML, per-touch reply address, unsubscribe headers."""
from __future__ import annotations

from email.headerregistry import Address
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ..aws import client

_WIRE = policy.SMTP.clone(max_line_length=998)


def build_mime(*, sender_name: str, sender: str, to: str, reply_to: str, subject: str, text: str, html: str,
               unsubscribe_urls: list[str], touch_id: str, sent_at) -> bytes:
    """The message as SES will send it. A header the standard library refuses to write (a line
    break in a subject built from an older lead's name) raises ``InvalidMessage``: it would be
    refused again on every retry, so the touch fails once, with the reason."""
    from email.errors import MessageError

    from .errors import InvalidMessage

    try:
        return _build(sender_name=sender_name, sender=sender, to=to, reply_to=reply_to, subject=subject, text=text,
                      html=html, unsubscribe_urls=unsubscribe_urls, touch_id=touch_id, sent_at=sent_at)
    except (ValueError, TypeError, MessageError) as exc:
        raise InvalidMessage(f"header_error: {exc}") from exc


def _build(*, sender_name, sender, to, reply_to, subject, text, html, unsubscribe_urls, touch_id, sent_at) -> bytes:
    msg = EmailMessage()
    local, _, domain = sender.partition("@")
    msg["From"] = Address(display_name=sender_name, username=local, domain=domain)
    msg["To"] = to
    msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = make_msgid(idstring=touch_id.replace(".", "-")[-40:], domain=domain)
    if unsubscribe_urls:
        # RFC 2369 + RFC 8058: one-click unsubscribe that mailbox providers can POST to.
        msg["List-Unsubscribe"] = ", ".join(f"<{u}>" for u in unsubscribe_urls)
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["X-Touch-Id"] = touch_id
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    # Never fold or encode a header into =?utf-8?q?...?= words: List-Unsubscribe must stay
    # machine-readable. RFC 5322 allows lines up to 998 characters.
    return msg.as_bytes(policy=_WIRE)


def send(raw: bytes, *, sender: str, to: str, configuration_set: str, touch_id: str) -> str:
    resp = client("sesv2").send_email(
        FromEmailAddress=sender, Content={"Raw": {"Data": raw}},  # recipients come from the MIME headers
        ConfigurationSetName=configuration_set,
        EmailTags=[{"Name": "touch", "Value": "".join(c if c.isalnum() or c in "-_" else "_" for c in touch_id)[:255]}],
    )
    return resp["MessageId"]
