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
from collections import Counter

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


def funnel_by_language(sent: list[dict], lead_docs: dict, acted: Counter, days: int) -> dict:
    """The sequences' funnels split by the borrower's language: sends per sequence, and what the
    people did with their mail (opens and clicks per e-mail read)."""
    out = {}
    for lang in ("en", "es"):
        leads = {i for i, lead in lead_docs.items() if (lead.get("language") or "en") == lang}
        mine = [t for t in sent if t["lead_id"] in leads and t["channel"] in ("email", "sms", "voice")]
        mail = acted[(lang, "mail")]
        out[lang] = {"borrowers": len(leads),
                     "borrower_touches_per_lead_year": round(len(mine) / max(1, len(leads)) * 365 / days, 1),
                     "sent_by_sequence": dict(Counter(t.get("sequence") for t in mine).most_common()),
                     **{k: acted[(lang, k)] for k in ("mail", "human_opens", "human_clicks", "email_replies",
                                                      "unsubscribes")},
                     "opens_per_mail": round(acted[(lang, "human_opens")] / mail, 3) if mail else None}
    return out


def with_language(found: dict, outbox, touches: list[dict], lead_docs: dict) -> dict:
    """The audit with ``wrong_language`` (sim/language.py): every message in its lead's language."""
    mail, texts = outbox.words()
    wrong = wrong_language(mail, texts, {t["touch_id"]: t for t in touches}, lead_docs)
    violations = {**found["violations"], **({"wrong_language": len(wrong)} if wrong else {})}
    examples = {**found["examples"], **({"wrong_language": wrong[:3]} if wrong else {})}
    return {**found, "violations": violations, "examples": examples, "total": found["total"] + len(wrong),
            "wrong_language": len(wrong)}
