"""Read opt-outs in inbound SMS and email replies. Pure.

SMS rule (``classify_sms``), in order; the first that matches decides:

1. STOP. The FCC's 2024 revocation rule (47 CFR 64.1200(a)(10)) treats "stop, quit, end, revoke,
   opt out, cancel, unsubscribe" as per se revocation; CTIA adds STOPALL and ARRET, and some
   carriers and aggregators also honour REMOVE and TD. A message is a stop when, after normalising (case, accents,
   punctuation, spacing: "S.T.O.P", "Opt-out", "Stop!!"):
   a. it is only keywords and filler ("STOP", "stop please", "Unsubscribe me", "STOP STOP"); or
   b. it contains an explicit phrase at any length: "stop texting/messaging/contacting...",
      "opt (me) out" (but not "opt out of escrow"), "unsubscribe me", "remove me", "take me off",
      "don't/do not/never text|message|contact|call me", "no more texts", "leave me alone",
      "wrong number", "lose/delete my number", "revoke (my) consent"; or
   c. it is short (<= 8 words) and has "stop" as its first or last word or next to "please", "it",
      "now"... (not "stop by"/"stop in"), or has "unsubscribe", "stopall", "revoke" or "arret" anywhere.
   "end", "quit", "cancel", "remove" and "td" count only under (a): in a sentence they are usually
   about the loan ("what's the end date", "cancel the appraisal", "remove PMI").
2. HELP: only "help"/"info" (with filler). It answers with help text and opts nothing out.
3. START: only "start" or "unstop": opts SMS back in. A bare "yes" is a reply to the LO
   (an answer to "can we talk Thursday?"), so it reaches the LO as a reply, not a re-subscription.
Anything else is "none": an ordinary reply for the loan officer.

A false "stop" costs one channel for one lead; a missed one is a TCPA violation, so where the
two readings are close we lean to stop.
"""
from __future__ import annotations

import re
import unicodedata

STOP_KEYWORDS = frozenset({"stop", "quit", "end", "revoke", "optout", "cancel", "unsubscribe", "stopall",
                           "arret", "remove", "td", "stopp", "unsub"})
HELP_KEYWORDS = frozenset({"help", "info"})
START_KEYWORDS = frozenset({"start", "unstop"})
# Words that may surround a bare keyword without changing its meaning.
_FILLER = frozenset({"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "all", "me", "it",
                     "asap", "ok", "okay", "immediately", "just", "already", "the", "texts", "messages"})
_SHORT = 8
_STRONG_WORDS = frozenset({"unsubscribe", "unsub", "stopall", "revoke", "arret"})  # "optout": phrase rule
# words next to "stop" that make it an instruction rather than "stop by the office"
_STOP_NEIGHBOURS = frozenset({"please", "pls", "plz", "just", "it", "this", "that", "now", "immediately",
                              "already", "all", "them", "these", "texts", "messages", "sending", "spamming",
                              "bothering", "harassing"})

# what "stop ..." / "quit ..." may be followed by to mean "stop contacting me"
_STOP_WHAT = (r"(?:text|texts|texting|txt|txting|textin|sms|message|messages|messaging|msg|msgs|contacting|calling|"
              r"sending|emailing|spamming|bothering|harassing|hitting me up)")
# what "don't ... me" may contain
_DONT_WHAT = r"(?:text|txt|sms|message|msg|contact|call|email|spam|bother|harass)"
_OK_AFTER_OF = (r"(?:texts?|messages?|msgs?|sms|this|these|all|everything|communications?|marketing|contact|"
                r"future|your|the (?:texts?|messages?|list)|text messages?)")
_OPT_OUT = rf"\b(?:optout|opt me out)\b(?! of (?!{_OK_AFTER_OF}\b))"  # not "opt out of escrow"
_PHRASES = [
    rf"\b(?:stop|quit) {_STOP_WHAT}\b",
    rf"\b(?:dont|do not|never|stop) (?:ever )?{_DONT_WHAT}(?:ing)? (?:me|this number)\b",
    r"\bno more (?:texts?|txts?|messages?|msgs?|sms|calls?|spam|contact)\b",
    r"\b(?:end|cancel) (?:the |these |all |your )?(?:texts?|messages?|msgs?|sms|texting|messaging)\b",
    _OPT_OUT,
    r"\bunsubscribe (?:me|from (?:this|these|your|the texts?|texts?|messages?|sms))\b",
    r"\bremove me\b",
    r"\btake (?:me|my number|this number) off\b",
    r"\bleave me alone\b",
    r"\bwrong (?:number|person)\b",
    r"\b(?:lose|delete|remove) (?:my|this) (?:number|phone number|phone|cell|contact)\b",
    r"\brevoke (?:my |all )?(?:consent|permission)\b",
    r"\bnot interested\b.*\b(?:stop|remove|unsubscribe)\b",
]
_PHRASE_RE = re.compile("|".join(f"(?:{p})" for p in _PHRASES))


def _normalise(text: str) -> str:
    """Lowercase ASCII with apostrophes dropped ("don't" -> "dont") and punctuation as spaces."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()  # "ARRÊT" -> "arret"
    text = re.sub(r"['\u2018\u2019`\u00b4]", "", text)
    text = re.sub(r"\bopt[\s\-_.]*out\b", "optout", text)  # "opt out", "opt-out", "OptOut" -> one word
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _words(norm: str) -> list[str]:
    """Words, with spelled-out runs like "s t o p" or "t d" joined back when they form a keyword."""
    words = norm.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j]) == 1:
            j += 1
        joined = "".join(words[i:j])
        if j - i >= 2 and joined in STOP_KEYWORDS | HELP_KEYWORDS | START_KEYWORDS:
            out.append(joined)
            i = j
        else:
            out.append(words[i])
            i += 1
    return out


def _only(words: list[str], keywords: frozenset[str], filler: frozenset[str]) -> bool:
    """All words are keywords or filler, and at least one is a keyword."""
    return any(w in keywords for w in words) and all(w in keywords or w in filler for w in words)


def _is_stop(words: list[str]) -> bool:
    compact = "".join(words)
    if compact in STOP_KEYWORDS:
        return True  # "S.T.O.P", "opt-out", "STOP ALL"
    if _only(words, STOP_KEYWORDS, _FILLER):
        return True
    joined = " ".join(words)
    if _PHRASE_RE.search(joined):
        return True
    if len(words) <= _SHORT:
        if any(w in _STRONG_WORDS for w in words):
            return True
        for i, w in enumerate(words):
            if w != "stop":
                continue
            before = words[i - 1] if i > 0 else None
            after = words[i + 1] if i + 1 < len(words) else None
            if after in ("by", "in", "over", "at"):  # "stop by the office", "stop in tomorrow"
                continue
            if before is None or after is None or before in _STOP_NEIGHBOURS or after in _STOP_NEIGHBOURS:
                return True
    return False


def classify_sms(body: str) -> str:
    """"stop", "help", "start" or "none" for an inbound text (see the module docstring)."""
    words = _words(_normalise(body))
    if not words:
        return "none"
    if _is_stop(words):
        return "stop"
    if _only(words, HELP_KEYWORDS, frozenset({"please", "pls", "me"})):
        return "help"
    if "".join(words) in START_KEYWORDS:
        return "start"
    return "none"


# --- email ------------------------------------------------------------------------------------

EMAIL_STOP_KEYWORDS = frozenset({"stop", "unsubscribe", "unsub", "optout", "remove", "stopall", "cancel", "quit",
                                 "revoke"})
_EMAIL_PHRASES = re.compile("|".join(f"(?:{p})" for p in (
    r"\bunsubscribe\b", r"\bunsub\b",
    rf"\b(?:optout|opt me out)\b(?! of (?!{_OK_AFTER_OF}\b|e?mails?\b|emails?\b|mailings?\b|newsletters?\b))",
    r"\bremove me\b", r"\btake (?:me|my email|my address) off\b", r"\bremove (?:my|this) (?:email|address)\b",
    r"\bstop (?:emailing|e mailing|sending|contacting|mailing|spamming|messaging|writing)\b",
    r"\bno more (?:emails?|e mails?|mail|messages|newsletters?)\b",
    r"\b(?:dont|do not|never) (?:email|e mail|contact|message|write) me\b",
    r"\bleave me alone\b",
)))
_QUOTE_HEADER = re.compile(
    r"^(?:on\b.*\bwrote:?$|.*\bwrote:$|-{2,}\s*original message\s*-{2,}|_{5,}|from:\s.*|sent from my\b.*"
    r"|le\b.*\ba ecrit\s*:|am\b.*\bschrieb\b.*:)", re.IGNORECASE)
_MAX_LINES = 5  # a request to stop comes first; further down is usually signature or quote


def _fresh_lines(body: str) -> list[str]:
    """The reply's own first lines: no quoted (">") lines, nothing after a quote header."""
    out: list[str] = []
    lines = (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        text = line.strip()
        if text.startswith(">"):
            continue
        # "On Mon, Jan 5, 2026 at 9:00 AM Ana <a@b.c>" may wrap onto a second "wrote:" line
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if _QUOTE_HEADER.match(text) or (text.lower().startswith("on ") and nxt.lower().endswith("wrote:")):
            break
        if text:
            out.append(text)
        if len(out) >= _MAX_LINES:
            break
    return out


def _strip_subject(subject: str) -> str:
    return re.sub(r"^\s*(?:(?:re|fw|fwd|aw|sv|tr)\s*(?:\[\d+\])?\s*:\s*)+", "", subject or "", flags=re.IGNORECASE)


def is_email_unsubscribe_reply(subject: str, body: str) -> bool:
    """True if an email reply asks to stop email (subject, or the reply's own first lines)."""
    subject_words = _words(_normalise(_strip_subject(subject)))
    if subject_words and _only(subject_words, EMAIL_STOP_KEYWORDS, _FILLER):
        return True
    if _EMAIL_PHRASES.search(" ".join(subject_words)):
        return True
    for line in _fresh_lines(body):
        words = _words(_normalise(line))
        if words and _only(words, EMAIL_STOP_KEYWORDS, _FILLER):
            return True  # a line that is just "STOP" or "Unsubscribe please"
        if _EMAIL_PHRASES.search(" ".join(words)):
            return True
    return False
