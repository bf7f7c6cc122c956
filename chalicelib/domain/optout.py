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

Spanish, for every lead whatever its language (a Spanish "stop" is a reasonable means of
revocation from anyone): ALTO, BAJA, CANCELAR, PARAR, DETENER, BASTA count under (a) with their
filler ("alto por favor", "BAJA ya"); the phrases of (b) have Spanish twins ("no me envíe(s) más
mensajes", "no me llame(s)", "deje(n) de enviar/mandar/llamar", "darme de baja", "ya no quiero
recibir mensajes", "no más mensajes", "número equivocado", "quíteme de la lista", "déjeme en paz",
"revoco mi consentimiento"). "Alto" alone is a stop, "el pago está muy alto" is not (only (a)
reads it); "no me llame(n)" is, as "don't call me" is; "no me envíe la solicitud todavía" is not
("envíe" counts with "más" or messages after it); "no puedo hablar ahora" is an ordinary reply.
AYUDA is help; COMENZAR, INICIAR and REANUDAR start.

A false "stop" costs one channel for one lead; a missed one is a TCPA violation, so where the
two readings are close we lean to stop.
"""
from __future__ import annotations

import re
import unicodedata

STOP_KEYWORDS = frozenset({"stop", "quit", "end", "revoke", "optout", "cancel", "unsubscribe", "stopall",
                           "arret", "remove", "td", "stopp", "unsub",
                           "alto", "baja", "cancelar", "parar", "detener", "basta", "cancela", "paren"})
HELP_KEYWORDS = frozenset({"help", "info", "ayuda", "informacion"})
START_KEYWORDS = frozenset({"start", "unstop", "comenzar", "iniciar", "reanudar"})
# Words that may surround a bare keyword without changing its meaning.
_FILLER = frozenset({"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "ty", "all", "me", "it",
                     "asap", "ok", "okay", "immediately", "just", "already", "the", "texts", "messages",
                     # Spanish: "ALTO por favor", "BAJA de todo", "cancelar los mensajes ya"
                     "por", "favor", "porfa", "gracias", "ya", "de", "todo", "todos", "los", "mensajes", "textos",
                     "mas", "ahora", "inmediatamente", "y"})
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
# Spanish: what is sent (mensajes, textos...), the verbs of sending and of contacting
_ES_WHAT = r"(?:mensajes?|textos?|sms|mensajitos|correos?|emails?|e mails?|notificaciones)"
_ES_SEND = r"(?:envie|mande|escriba|textee)"
_ES_CONTACT = r"(?:llame|contacte|moleste|escriba)"
_ES_VERB = (r"(?:enviar|enviarme|mandar|mandarme|escribir|escribirme|llamar|llamarme|molestar|molestarme|contactar|"
            r"contactarme|textear)")
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
    # Spanish (normalised: no accents, "envíe" -> "envie")
        rf"\bno me (?:{_ES_SEND})(?:s|n)? (?:mas|{_ES_WHAT})\b",
        rf"\bno me (?:{_ES_CONTACT})(?:s|n)?\b",  # as "don't call me": at any length
        rf"\b(?:deje|dejen|deja|dejar|dejes) de (?:{_ES_VERB})\b",
        r"\b(?:ya )?no (?:quiero|deseo|quisiera) (?:recibir |que me (?:envien|manden|escriban|llamen) )?"
        rf"(?:mas )?(?:{_ES_WHAT}|llamadas)\b",
        rf"\bno mas (?:{_ES_WHAT}|llamadas)\b",
        r"\b(?:darme|dame|deme|denme|me doy|me dan|dar|den) de baja\b",
        r"\b(?:quiteme|quitenme|sacame|saqueme|saquenme|borreme|borrenme|eliminenme|eliminame|elimineme) de\b",
        r"\b(?:quiten|quite|saquen|borren|borre|eliminen|elimine) mi (?:numero|telefono|celular|contacto)\b",
        r"\b(?:numero|persona) equivocad[oa]\b",
        r"\b(?:dejeme|dejenme|dejame) en paz\b",
        r"\b(?:revoco|retiro) (?:mi |el )?(?:consentimiento|permiso|autorizacion)\b",
        rf"\b(?:cancelar|cancela|cancelen|cancele|parar|paren|detener|detengan) (?:los |las |mis |sus |estos |esos )?"
        rf"(?:{_ES_WHAT}|suscripcion)\b",
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
    if _only(words, HELP_KEYWORDS, frozenset({"please", "pls", "me", "por", "favor", "necesito"})):
        return "help"
    if "".join(words) in START_KEYWORDS:
        return "start"
    return "none"


def said_in_spanish(body: str) -> bool:
    """Was a keyword message written in Spanish ("ALTO", "AYUDA por favor", "no me envíe más
    mensajes")? Its answer then goes in Spanish, whatever the lead's language."""
    words = _words(_normalise(body))
    spanish = {"alto", "baja", "cancelar", "parar", "detener", "basta", "cancela", "paren", "ayuda", "informacion",
               "comenzar", "iniciar", "reanudar", "mensajes", "favor", "quiero", "envie", "envies", "dejen"}
    return bool(words) and any(w in spanish for w in words)


# --- email ------------------------------------------------------------------------------------

EMAIL_STOP_KEYWORDS = frozenset({"stop", "unsubscribe", "unsub", "optout", "remove", "stopall", "cancel", "quit",
                                 "revoke", "alto", "baja", "cancelar", "parar", "basta"})
_EMAIL_PHRASES = re.compile("|".join(f"(?:{p})" for p in (
    r"\bunsubscribe\b", r"\bunsub\b",
    rf"\b(?:optout|opt me out)\b(?! of (?!{_OK_AFTER_OF}\b|e?mails?\b|emails?\b|mailings?\b|newsletters?\b))",
    r"\bremove me\b", r"\btake (?:me|my email|my address) off\b", r"\bremove (?:my|this) (?:email|address)\b",
    r"\bstop (?:emailing|e mailing|sending|contacting|mailing|spamming|messaging|writing)\b",
    r"\bno more (?:emails?|e mails?|mail|messages|newsletters?)\b",
    r"\b(?:dont|do not|never) (?:email|e mail|contact|message|write) me\b",
    r"\bleave me alone\b",
    # Spanish
    r"\b(?:darme|dame|deme|denme|me doy|dar|den) de baja\b", r"\bcancelar (?:la |mi )?suscripcion\b",
    rf"\bno me (?:{_ES_SEND})(?:s|n)? (?:mas|{_ES_WHAT})\b",
    rf"\b(?:deje|dejen|deja|dejar) de (?:{_ES_VERB})\b",
    rf"\b(?:ya )?no (?:quiero|deseo|quisiera) recibir (?:mas )?(?:{_ES_WHAT}|boletines|noticias)\b",
    rf"\bno mas (?:{_ES_WHAT}|boletines)\b",
    r"\b(?:quiteme|quitenme|saqueme|saquenme|borreme|borrenme|eliminenme|elimineme) de\b",
    r"\b(?:eliminen|borren|quiten) mi (?:correo|direccion|email)\b",
    r"\b(?:dejeme|dejenme) en paz\b",
)))
_QUOTE_HEADER = re.compile(
    r"^(?:on\b.*\bwrote:?$|.*\bwrote:$|-{2,}\s*original message\s*-{2,}|_{5,}|from:\s.*|sent from my\b.*"
    r"|le\b.*\ba ecrit\s*:|am\b.*\bschrieb\b.*:"
    r"|el\b.*\bescribi[oó]\s*:|-{2,}\s*mensaje original\s*-{2,}|de:\s.*|enviado desde mi\b.*)", re.IGNORECASE)
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
