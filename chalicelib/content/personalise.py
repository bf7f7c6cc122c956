"""AI personalisation, guarded. Pure: what to ask the model, and whether to use its answer.

Between merge and send, a marketing touch may be made more personal by a language model
(Amazon Bedrock, ``channels/bedrock.py``): an SMS body is rewritten in the LO's voice, and a
marketing email gets a one- or two-sentence P.S. written for this borrower. The rendered
template is always the fallback: the model's answer is used only if every guard below holds,
and a model that is slow, down or refused changes nothing but the wording.

Guards (any one failing keeps the template):
- figures: an SMS rewrite keeps the template's figures with their units, in their order
  ("$1,850 to $2,100" cannot turn round; "0.25%" cannot become "$0.25"), adds none, in digits
  or in words ("hundreds", "half a point"), and keeps its hedges ("could", "about", "subject
  to"); a P.S. has no figures at all. A model must not invent a rate, a payment or a deadline.
- links: an SMS rewrite keeps exactly the template's links; a P.S. has none, bare domains
  included (email links are tracked and bound in signed tokens, see ``tracking/links.py``).
- Reg Z 1026.24: no rate without its APR (``domain/regz.py``), as for templates.
- Regulation N (Mortgage Acts and Practices - Advertising, 12 CFR 1014.3) and UDAAP: no
  claims of approval, guarantees, "lowest rate", "no closing costs" or urgency the template did
  not make, each one checked, with the word before it ("not guaranteed" must stay so); none
  at all in a P.S. (``MISLEADING``). Typographic quotes and dashes are folded first.
- plain text only (no markup or template syntax), not empty, short (``limits``).
- language: the answer is in the borrower's language (``content/language.py``), the request
  asks for it ("en español, de usted"); the figure, claim and hedge guards read Spanish too
  ("dos", "garantizado", "podría", "unos $212"); a text rewrite keeps to GSM-7 when the template
  does (an accent outside it bills the text as UCS-2, two or three segments: Spanish texts are
  written without them).
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

# A figure with its unit: "$1,250.50", "6.5%", ".5%", "12/15", "555-0140", "30-year".
_FIGURE = re.compile(r"\$?\s?(?:\d+(?:[.,/:-]\d+)*|\.\d+)(?:\s?%)?")
_NUMBER_WORDS = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|half|quarter|dozen|double|twice|triple|"
    r"cero|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|quince|veinte|treinta|cuarenta|cincuenta|"
    r"cien|cientos?|mil|miles|millon|millones|mitad|medio|docena|doble|triple)\b",
    re.IGNORECASE)
_URL = re.compile(r"https?://\S+|\bwww\.\S+|\b[a-z0-9-]+\.(?:com|net|org|us|io|co|info|biz|example|mortgage|loans?)\b",
                  re.IGNORECASE)
_MARKUP = re.compile(r"[<>{}]|\[\[|\]\]")
# Claims a rewrite may not add (12 CFR 1014.3; CFPB UDAAP). A claim the template makes is kept
# only with the word before it ("not guaranteed" stays "not guaranteed").
MISLEADING = (
    r"guarantee\w*", r"lowest (?:rate|payment|price)s?", r"best (?:rate|price)s?", r"pre-?approved",
    r"(?:you're|you are|you've been|you have been) approved", r"you (?:qualify|are qualified|'re qualified)",
    r"no closing costs?", r"no[- ]cost", r"(?:zero|no|\$0) (?:money )?down", r"risk[- ]free", r"act now", r"hurry",
    r"last chance", r"limited[- ]time", r"expires? (?:today|soon)", r"locked?[- ]in", r"lock in",
    r"government[- ](?:program|approved|sponsored|backed)", r"no credit check", r"free money",
    # Spanish (as the model may write to a borrower who prefers it)
    r"garantiz\w*", r"(?:la )?(?:tasa|mensualidad) m[aá]s baja", r"(?:las|la) mejores? tasas?",
    r"preaprobad[oa]s?", r"(?:ya )?(?:est[aá]|fue) aprobad[oa]", r"usted califica", r"sin costos? de cierre",
    r"sin (?:enganche|pago inicial)", r"sin riesgo", r"act[uú]e (?:ya|ahora)", r"[uú]ltima oportunidad",
    r"tiempo limitado", r"sin revisi[oó]n de cr[eé]dito", r"dinero gratis", r"asegure su tasa",
)
_CLAIM = re.compile(r"(\w+\W+)?\b(" + "|".join(MISLEADING) + r")\b", re.IGNORECASE)
# Hedges the template uses must survive: "could save about $212" must not become "will save $212".
HEDGES = tuple(re.compile(h) for h in (
    r"(?i)\bcould\b", r"(?i)\bmight\b", r"\bmay\b",  # lower-case "may": "May" is a month
    r"(?i)\b(?:about|around|roughly|approximately|nearly|almost) \$?\d", r"(?i)\bestimat\w*",
    r"(?i)\bsubject to\b", r"(?i)\bup to\b", r"(?i)\bif you qualify\b", r"(?i)\bnot a commitment\b",
    r"(?i)\bnot guaranteed\b",
    r"(?i)\bpodr[ií]a\b", r"(?i)\b(?:unos|unas|alrededor de|aproximadamente|casi) \$?\d", r"(?i)\bsujet[oa] a\b",
    r"(?i)\bsi califica\b", r"(?i)\bno es un compromiso\b", r"(?i)\bno garantizad[oa]\b"))
_TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-",
                             "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u00a0": " ",
                             "\u202f": " ", "\u200b": ""})


def _figures(text: str) -> list[str]:
    return [re.sub(r"\s", "", f) for f in _FIGURE.findall(text)]


def _figure_change(ours: list[str], theirs: list[str]) -> str:
    added = [f for f in ours if ours.count(f) > theirs.count(f)]
    dropped = [f for f in theirs if theirs.count(f) > ours.count(f)]
    return f"invented figure {added[0]}" if added else f"dropped figure {dropped[0]}" if dropped else "figures reordered"


def _claims(text: str) -> list[tuple[str, str]]:
    return [((before or "").strip(" ,.;:!?").lower(), claim.lower()) for before, claim in _CLAIM.findall(text)]


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
    language: str = "en"


IN_LANGUAGE = {"en": "", "es": " Write in Spanish, as a US mortgage professional writes to a client, addressing "
                                "the borrower as usted."}


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
    lang = lead.get("language") if lead.get("language") in IN_LANGUAGE else "en"
    style = (f" Tone: {tone}." if tone else "") + IN_LANGUAGE[lang]
    if touch["channel"] == "sms":
        prompt = (f"About the borrower:\n{about}\n\nRewrite this text message so it sounds personal to them.{style} "
                  f"Keep every number, date and link exactly as written, keep it no longer than the message, "
                  f"and do not add a signature or opt-out line.\n\nMessage:\n{body}")
        return Ask("sms", prompt, body, lang)
    prompt = (f"About the borrower:\n{about}\n\nThe e-mail's subject is: {subject or ''}\n"
              f"Write a one- or two-sentence P.S. from the loan officer that feels written for this borrower.{style} "
              f"No numbers, no links, no offers; do not start with 'P.S.'.\n\nThe e-mail:\n{body}")
    return Ask("note", prompt, body, lang)


def check(ask: Ask, answer: str | None) -> tuple[str | None, str]:
    """The usable text, or None and the reason the template is kept."""
    text = (answer or "").translate(_TYPOGRAPHY).strip().strip('"').strip()
    reference = ask.reference.translate(_TYPOGRAPHY)
    if ask.kind == "note":
        text = re.sub(r"^p\.?\s?s\b\.?[:\s-]*", "", text, flags=re.IGNORECASE).strip()
    if not text:
        return None, "empty"
    if len(text) > (SMS_MAX if ask.kind == "sms" else NOTE_MAX):
        return None, "too long"
    if _MARKUP.search(text):
        return None, "markup"
    from .language import language_of

    if language_of(text) not in (None, ask.language):
        return None, f"not in the borrower's language ({ask.language})"
    if ask.kind == "sms":
        from .sms import encoding, normalise

        if encoding(normalise(reference)) == "gsm7" and encoding(normalise(text)) != "gsm7":
            return None, "characters outside GSM-7 (the text would bill as UCS-2)"
    if ask.kind == "note":
        if _FIGURE.search(text) or _NUMBER_WORDS.search(text):
            return None, "a figure in a P.S."
        if _URL.search(text):
            return None, "a link in a P.S."
        if _CLAIM.search(text):
            return None, f"misleading claim {_CLAIM.search(text).group(2).lower()!r}"
    else:
        ours, theirs = _figures(text), _figures(reference)
        if ours != theirs:  # the same figures, with their units, in the same order
            return None, _figure_change(ours, theirs)
        words = [w.lower() for w in _NUMBER_WORDS.findall(text)]
        known = [w.lower() for w in _NUMBER_WORDS.findall(reference)]
        if any(words.count(w) > known.count(w) for w in words):
            return None, "invented figure in words"
        if sorted(u.rstrip(".,;:!?)") for u in _URL.findall(text)) != \
                sorted(u.rstrip(".,;:!?)") for u in _URL.findall(reference)):
            return None, "links changed"
        allowed = _claims(reference)
        for claim in _claims(text):
            if claim not in allowed:
                return None, f"misleading claim {claim[1]!r}"
        for hedge in HEDGES:
            if len(hedge.findall(text)) < len(hedge.findall(reference)):
                return None, f"dropped qualifier {hedge.search(reference).group(0).lower()!r}"
    if rate_statements_without_apr(text):
        return None, "regz: rate stated without APR"
    return text, ""
