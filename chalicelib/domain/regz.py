"""Reg Z advertising check: a stated rate needs its APR. Pure.

12 CFR 1026.24(c): if an advertisement states a rate of finance charge, it must state the rate as
an "annual percentage rate" (the abbreviation "APR" may be used). It may also state the simple
annual (note) rate, but not more conspicuously than the APR.

The check, per sentence (split on . ! ? followed by space, and on every line break):
- a rate statement is a number with "%", "percent", "pct" or "percentage point(s)"
  ("6.125%", "6.125 %", "a rate of 6 percent", "six percent"), a Jinja placeholder followed by
  "%" (``{{ x }}%``), or a Jinja placeholder whose name has a ``rate`` part
  (``{{ refi.new_rate_fmt }}``, not ``{{ links.rates }}``), so templates fail before they render;
- it is allowed when the same sentence says "APR" (upper case: "Apr" is April) or
  "annual percentage rate", or when the percentage is plainly not a rate: "20% down",
  "a 3% down payment", "80% LTV", "loan-to-value of 80%", "100% financing", "percent of",
  "% off", equity, debt-to-income, seller credits, home values.
Spanish (a lead who prefers it): "por ciento" states a rate too; "APR", "TAE" or "tasa de
porcentaje anual" in the sentence is its APR (US Spanish-language disclosures keep "APR" or say
"tasa de porcentaje anual (APR)"); "20% de enganche", "80% del valor" are not rates.
When in doubt it flags: a false positive blocks one message, a false negative is a violation.
Whether the APR is at least as conspicuous as the rate cannot be read from text; that stays a
content review item.
"""
from __future__ import annotations

import re


class RegZViolation(ValueError):
    """A rate is stated without its APR. ``snippets`` holds the offending statements."""

    def __init__(self, snippets: list[str]):
        super().__init__("rate stated without APR: " + "; ".join(repr(s) for s in snippets))
        self.snippets = snippets


_NUM = r"(?:\d{1,3}(?:,\d{3})*(?:\.\d+)?|\.\d+)[¼½¾]?"
_WORD_NUM = (r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
             r"fifteen|twenty)(?:[- ]and[- ]an?[- ](?:half|quarter))?")
_PCT_WORD = r"(?:percent|per\s?cent|pct|percentage\s+points?|por\s?ciento|puntos?\s+porcentuales?)\b"
_RATE = re.compile(
    rf"(?<![\w.]){_NUM}\s*(?:%|{_PCT_WORD})"          # 6.125%, 6.125 %, 6 percent
    rf"|\b{_WORD_NUM}\s+(?:percent|per\s?cent)\b"     # six percent
    r"|\x00\d+\x00\s*%",                              # {{ placeholder }}%
    re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_PLACEHOLDER_TOKEN = re.compile(r"\x00(\d+)\x00")
_APR = re.compile(r"\bAPRs?\b|\bA\.P\.R\.?|(?i:\bannual\s+percentage\s+rates?\b)|\bTAE\b"
                  r"|(?i:\btasas?\s+de\s+porcentaje\s+anual\b)")

# Right after the percentage: it is a share of something, not a rate.
_NOT_RATE_AFTER = re.compile(
    r"\s*(?:of\b|off\b|down\b|ltv\b|cltv\b|hcltv\b|loan[\s-]+to[\s-]+value\b|financ(?:ing|ed)\b|equity\b"
    r"|cash[\s-]+back\b|dti\b|debt[\s-]+to[\s-]+income\b|back[\s-]+end\b|front[\s-]+end\b"
    r"|(?:seller|closing[\s-]+cost|lender)\s+(?:credits?|concessions?|contributions?)\b"
    r"|(?:in\s+)?(?:seller\s+)?concessions?\b"
    r"|de\s+(?:enganche|pago\s+inicial|descuento|capital|su\s+valor|financiamiento|dti)\b|del\s+(?:valor|precio)\b)",
    re.IGNORECASE)
# Right before it: the sentence is talking about a down payment, LTV, equity or home values.
_NOT_RATE_BEFORE = re.compile(
    r"(?:\bdown\s+payments?|\bput(?:ting)?(?:\s+down)?|\bltv|\bcltv|\bloan[\s-]+to[\s-]+value(?:\s+ratio)?"
    r"|\bequity|\bdti|\bdebt[\s-]+to[\s-]+income(?:\s+ratio)?|\bappreciat\w*|\bhome\s+values?(?:\s+\w+)?"
    r"|\bhome\s+prices?(?:\s+\w+)?"
    r"|\brelaci[oó]n\s+pr[eé]stamo[\s-]+valor|\bplusval[ií]a|\benganche|\bpago\s+inicial|\bdeuda[\s-]+ingreso)"
    r"(?:\s+(?:of|is|at|by|to|as\s+(?:low|little)\s+as|up\s+to|just|only|around|about|under|below|over|above"
    r"|at\s+most|at\s+least|no\s+more\s+than|less\s+than|ratio"
    r"|de|del|es|alrededor\s+de|unos|hasta|menos\s+de|m[aá]s\s+de|cerca\s+de|aproximadamente))*\s*[:=]?\s*$",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")
_HTML_DROP = re.compile(r"<(style|script)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_JINJA_BLOCK = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_LINK_ROOTS = ("links", "link", "url", "urls")


def _rate_placeholder(expr: str) -> bool:
    """``{{ refi.new_rate_fmt }}`` names a rate; ``{{ links.rates }}`` and APR fields do not."""
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr)
    if not names or names[0].lower() in _LINK_ROOTS:
        return False
    parts = {p for name in names for p in name.lower().split("_")}
    return bool(parts & {"rate", "rates"}) and "apr" not in parts and "url" not in parts and "link" not in parts


def _clean(text: str) -> tuple[str, list[str]]:
    """Text without markup, Jinja placeholders masked as \\x00n\\x00 so dots inside them do not split."""
    text = _HTML_DROP.sub(" ", text)
    text = _TAG.sub("\n", text)  # tags end a sentence: rate and APR must share one text run
    text = _JINJA_BLOCK.sub("", text)
    placeholders: list[str] = []

    def mask(m: re.Match) -> str:
        placeholders.append(m.group(0))
        return f"\x00{len(placeholders) - 1}\x00"

    return _PLACEHOLDER.sub(mask, text), placeholders


def _unmask(text: str, placeholders: list[str]) -> str:
    return " ".join(_PLACEHOLDER_TOKEN.sub(lambda m: placeholders[int(m.group(1))], text).split())


def _snippet(sentence: str, start: int, end: int, placeholders: list[str], width: int = 60) -> str:
    lo, hi = max(0, start - width), min(len(sentence), end + width)
    text = _unmask(sentence[lo:hi], placeholders)
    return ("..." if lo > 0 else "") + text + ("..." if hi < len(sentence) else "")


def rate_statements_without_apr(text: str) -> list[str]:
    """Snippets of every rate stated in ``text`` without "APR" in the same sentence (see module doc)."""
    if not text:
        return []
    cleaned, placeholders = _clean(text)
    out: list[str] = []
    for sentence in _SENTENCE_END.split(cleaned):
        if not sentence.strip() or _APR.search(_unmask(sentence, placeholders)):
            continue
        hits: list[tuple[int, int]] = []
        for m in _RATE.finditer(sentence):
            if _NOT_RATE_AFTER.match(sentence, m.end()) or _NOT_RATE_BEFORE.search(sentence[:m.start()]):
                continue
            hits.append((m.start(), m.end()))
        for m in _PLACEHOLDER_TOKEN.finditer(sentence):
            if _rate_placeholder(placeholders[int(m.group(1))]) and not any(s <= m.start() < e for s, e in hits):
                hits.append((m.start(), m.end()))
        for start, end in sorted(hits):
            out.append(_snippet(sentence, start, end, placeholders))
    return out


def check(text: str) -> None:
    """Raise ``RegZViolation`` if ``text`` states a rate without its APR."""
    bad = rate_statements_without_apr(text)
    if bad:
        raise RegZViolation(bad)
