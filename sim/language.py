"""``wrong_language``: a borrower-facing message whose language is not its lead's. Pure.

Each e-mail (its subject and text part, footer included) and each text the provider took is read
paragraph by paragraph (texts: whole), with a stop-word count: a paragraph with more English
function words than Spanish ones is English, the reverse Spanish, a tie (a name, an address, a
phone number) neither (``content.language.language_of``, personalisation's guard too). A message
to a lead who prefers Spanish with an English paragraph, or to an English lead with a Spanish
one, is in the wrong language. E-mails find their lead by the
``X-Touch-Id`` header's touch (a Realtor's update is not the borrower's and is skipped), texts by
the phone number. A keyword answer goes in Spanish to anyone who wrote the keyword in Spanish
(services/keyword_replies.py): the simulated English speakers write English keywords.
"""
from __future__ import annotations

import email
import re

from chalicelib.content.language import language_of


def mail_parts(raw: str) -> tuple[str | None, str, str]:
    """(touch id, subject, text part) of a raw MIME message."""
    from email.header import decode_header, make_header

    msg = email.message_from_string(raw)
    subject = str(make_header(decode_header(msg["Subject"] or "")))
    part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), None)
    text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8") if part else ""
    return msg["X-Touch-Id"], subject, text


def wrong_language(mail: list[str], texts: list[tuple[str, str]], touches: dict[str, dict],
                   leads: dict[str, dict]) -> list[str]:
    """``mail``: raw messages; ``texts``: (phone, text); ``touches``: touch id -> record;
    ``leads``: lead id -> lead. Returns one line per message in the wrong language."""
    by_phone = {lead.get("phone"): lead for lead in leads.values() if lead.get("phone")}
    out = []
    for raw in mail:
        touch_id, subject, text = mail_parts(raw)
        touch = touches.get(touch_id or "")
        if touch is None or touch.get("channel") != "email":
            continue  # a Realtor's update (partner_email), or mail of no touch
        lead = leads.get(touch["lead_id"]) or {}
        want = lead.get("language") or "en"
        paragraphs = [subject] + [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        bad = [p for p in paragraphs if language_of(p) not in (None, want)]
        if bad:
            out.append(f"{touch_id} e-mail to a lead in {want}: {bad[0][:80]!r}")
    for phone, text in texts:
        lead = by_phone.get(phone)
        if lead is None:
            continue
        want = lead.get("language") or "en"
        found = language_of(text)
        if found not in (None, want):
            out.append(f"text to {lead['lead_id']} (in {want}): {text[:80]!r}")
    return out
