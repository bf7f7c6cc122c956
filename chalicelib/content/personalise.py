"""AI personalisation, guarded. Pure: what to ask the model, and whether to use its answer.

Between merge and send, a marketing touch may be made more personal by a language model
(Amazon Bedrock, ``channels/bedrock.py``): an SMS body is rewritten in the LO's voice, and a
marketing email gets a one- or two-sentence P.S. written for this borrower. The rendered
template is always the fallback: the model's answer is used only if every guard below holds,
and a model that is slow, down or refused changes nothing but the wording.

Guards (any one failing keeps the template):
- figures: an SMS rewrite keeps every number of the template (amounts, dates, percentages,
  phone numbers) and adds none; a P.S. has no digits at all. A model must not invent a rate,
  a payment or a deadline.
- links: an SMS rewrite keeps exactly the template's links; a P.S. has none (email links are
  tracked and bound in signed tokens, see ``tracking/links.py``).
- Reg Z 1026.24: no rate without its APR (``domain/regz.py``), as for templates.
- Regulation N (Mortgage Acts and Practices - Advertising, 12 CFR 1014.3) and UDAAP: no
  claims of approval, guarantees, "lowest rate", "no closing costs" or urgency the template did
  not make (``MISLEADING``).
- plain text only (no markup or template syntax), not empty, short (``limits``).
Data sent to the model is minimised: the first name, city and state, the loan's type and
purpose, the stage and the message itself; never an e-mail, phone number or last name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..domain.regz import rate_statements_without_apr

CHANNELS = ("email", "sms")
SMS_MAX = 320          # two SMS parts before the engine's signature
NOTE_MAX = 220

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_URL = re.compile(r"https?://\S+")
_MARKUP = re.compile(r"[<>{}]|\[\[|\]\]")
# Claims a rewrite may not add (12 CFR 1014.3; CFPB UDAAP). Matched case-insensitively; a
# phrase that the template itself uses is allowed through.
MISLEADING = (
    r"guarantee[ds]?", r"lowest (?:rate|payment|price)s?", r"best (?:rate|price)s?", r"pre-?approved",
    r"(?:you're|you are|you've been|you have been) approved", r"no closing costs?", r"no[- ]cost",
    r"risk[- ]free", r"act now", r"limited[- ]time", r"expires? (?:today|soon)", r"locked in",
    r"government[- ](?:program|approved|sponsored)", r"no credit check", r"free money",
)
_MISLEADING = re.compile(r"\b(?:" + "|".join(MISLEADING) + r")\b", re.IGNORECASE)

SYSTEM = (
    "You help a licensed mortgage loan officer write to a borrower. Write warmly, plainly and briefly, "
    "in the loan officer's first person. Never add facts, numbers, dates, rates, payments, links, "
    "promises, approvals or deadlines. Never use markup. Answer with the text only."
)


@dataclass(frozen=True)
class Ask:
    """One request to the model, and what its answer must respect."""
    kind: str          # "sms" (rewrite the body) or "note" (a P.S. for an email)
    prompt: str
    reference: str     # the template's text the answer is checked against


def eligible(touch: dict, lead: dict, config: dict) -> bool:
    return (bool(config.get("enabled")) and touch.get("channel") in tuple(config.get("channels") or CHANNELS)
            and touch.get("kind") != "transactional" and bool(lead.get("first_name")))


def facts(lead: dict, lo_name: str) -> dict:
    loan = lead.get("loan") or {}
    out = {"first name": lead.get("first_name"), "city": lead.get("city"), "state": lead.get("state"),
           "loan type": loan.get("type"), "loan purpose": loan.get("purpose"),
           "stage": (lead.get("stage") or "").replace("_", " "), "loan officer": lo_name}
    return {k: v for k, v in out.items() if v}


def ask_for(touch: dict, body: str, subject: str | None, lead: dict, lo_name: str, tone: str = "") -> Ask:
    about = "\n".join(f"- {k}: {v}" for k, v in facts(lead, lo_name).items())
    style = f" Tone: {tone}." if tone else ""
    if touch["channel"] == "sms":
        prompt = (f"About the borrower:\n{about}\n\nRewrite this text message so it sounds personal to them.{style} "
                  f"Keep every number, date and link exactly as written, keep it under {SMS_MAX} characters, "
                  f"and do not add a signature or opt-out line.\n\nMessage:\n{body}")
        return Ask("sms", prompt, body)
    prompt = (f"About the borrower:\n{about}\n\nThe e-mail's subject is: {subject or ''}\n"
              f"Write a one- or two-sentence P.S. from the loan officer that feels written for this borrower.{style} "
              f"No numbers, no links, no offers; do not start with 'P.S.'.\n\nThe e-mail:\n{body}")
    return Ask("note", prompt, body)


def check(ask: Ask, answer: str | None) -> tuple[str | None, str]:
    """The usable text, or None and the reason the template is kept."""
    text = (answer or "").strip().strip('"').strip()
    if ask.kind == "note":
        text = re.sub(r"^p\.?\s?s\.?[:\s-]*", "", text, flags=re.IGNORECASE).strip()
    if not text:
        return None, "empty"
    if len(text) > (SMS_MAX if ask.kind == "sms" else NOTE_MAX):
        return None, "too long"
    if _MARKUP.search(text):
        return None, "markup"
    ours = _NUMBER.findall(text)
    if ask.kind == "note":
        if ours:
            return None, f"a figure in a P.S.: {ours[0]}"
        if _URL.search(text):
            return None, "a link in a P.S."
    else:
        theirs = _NUMBER.findall(ask.reference)
        added = [n for n in ours if n not in theirs]
        if added:
            return None, f"invented figure {added[0]}"
        dropped = [n for n in theirs if n not in ours]
        if dropped:
            return None, f"dropped figure {dropped[0]}"
        if sorted(_URL.findall(text)) != sorted(_URL.findall(ask.reference)):
            return None, "links changed"
    claim = _MISLEADING.search(text)
    if claim and claim.group(0).lower() not in ask.reference.lower():
        return None, f"misleading claim {claim.group(0)!r}"
    if rate_statements_without_apr(text):
        return None, "regz: rate stated without APR"
    return text, ""
