"""Cell values as LOS and CRM exports hold them, read into the lead's vocabulary. Pure.

Every parser takes the raw cell text and returns ``(value, problem)``: a value and no problem,
or no value and a sentence for the import report saying what was wrong. An empty cell is
``(None, None)``: missing is not wrong.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from .lead import LOAN_PURPOSES, LOAN_TYPES, _STATES, normalize_email, normalize_phone

Parsed = tuple[object, str | None]

STATE_NAMES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "washington dc": "DC", "florida": "FL",
    "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR", "guam": "GU",
    "virgin islands": "VI", "us virgin islands": "VI", "american samoa": "AS", "northern mariana islands": "MP",
}

# The words LOSs use for a loan type and a purpose, squeezed (lower case, letters and digits only).
LOAN_TYPE_WORDS = {
    "conventional": "conventional", "conv": "conventional", "conforming": "conventional",
    "fha": "fha", "va": "va", "usda": "usda", "usdarhs": "usda", "rhs": "usda", "rural": "usda",
    "farmershomeadministration": "usda", "fmha": "usda",  # Encompass's name for USDA
    "jumbo": "jumbo", "nonconforming": "jumbo", "heloc": "heloc", "homeequitylineofcredit": "heloc",
    "nonqm": "non_qm", "bankstatement": "non_qm", "dscr": "non_qm", "other": "other",
}
LOAN_PURPOSE_WORDS = {
    "purchase": "purchase", "purch": "purchase", "construction": "purchase", "constructiononly": "purchase",
    "constructiontopermanent": "purchase",
    "refinance": "refinance", "refi": "refinance", "rateterm": "refinance", "rateandterm": "refinance",
    "ratetermrefinance": "refinance", "ratetermrefi": "refinance", "nocashoutrefinance": "refinance",
    "nocashout": "refinance", "limitedcashoutrefinance": "refinance", "streamline": "refinance",
    "irrrl": "refinance", "cashoutrefinance": "cash_out_refinance", "cashout": "cash_out_refinance",
    "cashoutrefi": "cash_out_refinance", "heloc": "heloc", "secondmortgage": "heloc",
}
YES = {"y", "yes", "true", "t", "1", "x", "optedin", "optin", "opted", "checked", "consented", "agree", "agreed"}
NO = {"n", "no", "false", "f", "0", "optedout", "optout", "declined", "unchecked", "none", "na"}

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_US_DATE = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})[\-/.](\d{1,2})[\-/.](\d{1,2})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NAMED_DATE = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")          # Jan 5, 2021
_DAY_NAMED_DATE = re.compile(r"^(\d{1,2})[\s\-]([A-Za-z]{3,9})[\s\-,]+(\d{2}|\d{4})$")  # 5-Jan-21
_TIME_TAIL = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?\s*(Z|[+\-]\d{2}:?\d{2}|UTC|GMT)?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def squeeze(text: str) -> str:
    """Lower case, letters and digits only: how column names and code words are compared."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _empty(raw: str | None) -> bool:
    return raw is None or not raw.strip() or raw.strip().lower() in ("null", "n/a", "#n/a", "-", "--")


def parse_date(raw: str | None, today: date) -> Parsed:
    """US (3/7/2021, 03-07-21), ISO (2021-03-07, with or without a time), compact (20210307),
    and written-out (Mar 7, 2021; 7-Mar-21) dates. Two-digit years fall in the century that does
    not put the date in the future."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    bare = _TIME_TAIL.sub("", text).strip() or text
    y = m = d = None
    if match := _ISO_DATE.match(bare) or _COMPACT_DATE.match(bare):
        y, m, d = (int(g) for g in match.groups())
    elif match := _US_DATE.match(bare):
        m, d, y = (int(g) for g in match.groups())
        if len(match.group(3)) == 2:
            y = _century(y, today)
    elif match := _NAMED_DATE.match(bare):
        m, d, y = _MONTHS.get(match.group(1)[:3].lower()), int(match.group(2)), int(match.group(3))
    elif match := _DAY_NAMED_DATE.match(bare):
        d, m, y = int(match.group(1)), _MONTHS.get(match.group(2)[:3].lower()), int(match.group(3))
        if len(match.group(3)) == 2:
            y = _century(y, today)
    if m is None:
        return None, f"'{text}' is not a date (use MM/DD/YYYY or YYYY-MM-DD)"
    try:
        return date(y, m, d), None
    except ValueError:
        return None, f"'{text}' is not a real date"


def _century(yy: int, today: date) -> int:
    year = 2000 + yy
    return year if year <= today.year else year - 100


def parse_instant(raw: str | None, today: date) -> Parsed:
    """A consent time: a date (midnight UTC of that day) or an ISO time with its offset."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            return parsed.astimezone(timezone.utc), None
    except ValueError:
        pass
    day, problem = parse_date(text, today)
    if day is None:
        return None, problem
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc), None


def parse_money(raw: str | None, low: float = 1, high: float = 100_000_000) -> Parsed:
    """$325,000.00, 325000, USD 325,000, 325K: a positive amount in dollars."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    cleaned = re.sub(r"(?i)usd|\$|,|\s", "", text)
    scale = 1
    if cleaned[-1:].lower() == "k":
        cleaned, scale = cleaned[:-1], 1000
    elif cleaned[-1:].lower() == "m":
        cleaned, scale = cleaned[:-1], 1_000_000
    if cleaned.startswith("(") or not _NUMBER.match(cleaned):
        return None, f"'{text}' is not an amount"
    value = float(cleaned) * scale
    if not low <= value <= high:
        return None, f"'{text}' is outside {low:,.0f} to {high:,.0f}"
    return round(value, 2), None


def parse_rate(raw: str | None) -> Parsed:
    """6.875%, 6.875, '6.875 %', 0.06875 (a fraction): a note rate in percent."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    cleaned = text.replace("%", "").replace(" ", "")
    if not _NUMBER.match(cleaned):
        return None, f"'{text}' is not a rate"
    value = float(cleaned)
    if 0 < value < 0.3 and "%" not in text:
        value *= 100  # exported as a fraction (0.06875)
    if not 0 < value <= 30:
        return None, f"'{text}' is not a plausible note rate"
    return round(value, 4), None


def parse_term(raw: str | None) -> Parsed:
    """360, '360 months', '30 yrs', 30: a term in months (a number up to 50 is years)."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    match = re.match(r"^(\d+(?:\.\d+)?)\s*(months?|mos?|m|years?|yrs?|y)?\.?$", text, re.I)
    if not match:
        return None, f"'{text}' is not a loan term"
    value, unit = float(match.group(1)), (match.group(2) or "").lower()
    months = value * 12 if unit.startswith("y") or (not unit and value <= 50) else value
    if not 12 <= months <= 480:
        return None, f"'{text}' is not a plausible loan term"
    return int(round(months)), None


def parse_email(raw: str | None) -> Parsed:
    """Stray spaces, capitals, a mailto: prefix, angle brackets, or several addresses in one cell."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    candidates = [c.strip().strip("<>").removeprefix("mailto:") for c in re.split(r"[;,\s]+", text) if c.strip()]
    for candidate in candidates:
        email = normalize_email(candidate)
        if email:
            return email, None
    return None, f"'{text}' is not an e-mail address"


def parse_phone(raw: str | None) -> Parsed:
    """Any US format: (512) 555-0123, 512.555.0123, +1 512 555 0123, 15125550123, 512-555-0123 x12."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    main = re.split(r"(?i)\s*(?:x|ext\.?|extension|#)\s*\d+\s*$", text)[0]
    if re.fullmatch(r"\d+\.0", main):  # a spreadsheet turned it into a number
        main = main[:-2]
    phone = normalize_phone(main)
    if phone is None or not phone.startswith("+1"):
        return None, f"'{text}' is not a US phone number"
    return phone, None


def parse_state(raw: str | None) -> Parsed:
    if _empty(raw):
        return None, None
    text = raw.strip()
    code = text.upper().rstrip(".")
    if code in _STATES:
        return code, None
    name = re.sub(r"[^a-z ]", "", text.lower()).strip()
    name = re.sub(r"\s+", " ", name)
    if name in STATE_NAMES:
        return STATE_NAMES[name], None
    return None, f"'{text}' is not a US state"


def parse_zip(raw: str | None) -> Parsed:
    """78701, 78701-1234, and 2134 (a spreadsheet dropped the leading zero of 02134)."""
    if _empty(raw):
        return None, None
    text = raw.strip()
    match = re.fullmatch(r"(\d{3,5})(?:-\d{4})?", text)
    if not match:
        return None, f"'{text}' is not a ZIP code"
    return match.group(1).zfill(5), None


def parse_choice(raw: str | None, words: dict[str, str], allowed: tuple[str, ...], what: str) -> Parsed:
    if _empty(raw):
        return None, None
    key = squeeze(raw)
    value = words.get(key) or (key if key in allowed else None)
    if value is None:
        return None, f"'{raw.strip()}' is not a {what} this engine knows ({', '.join(allowed)})"
    return value, None


def parse_loan_type(raw: str | None) -> Parsed:
    return parse_choice(raw, LOAN_TYPE_WORDS, LOAN_TYPES, "loan type")


def parse_loan_purpose(raw: str | None) -> Parsed:
    return parse_choice(raw, LOAN_PURPOSE_WORDS, LOAN_PURPOSES, "loan purpose")


# "Preferred Language" as the exports spell it (accents folded first: "Español" -> "espanol").
LANGUAGE_WORDS = {"es": "es", "spa": "es", "sp": "es", "spanish": "es", "espanol": "es", "castellano": "es",
                  "esus": "es", "esmx": "es", "spanishus": "es",
                  "en": "en", "eng": "en", "english": "en", "ingles": "en", "enus": "en", "englishus": "en"}


def parse_language(raw: str | None) -> Parsed:
    """``es`` / ``en`` from a "Preferred Language" cell (Spanish, Español, ES, SPA, English...)."""
    if _empty(raw):
        return None, None
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(c))
    value = LANGUAGE_WORDS.get(squeeze(folded))
    if value is None:
        return None, f"'{raw.strip()}' is not a language the engine writes in (English, Spanish); English is used"
    return value, None


def parse_yes_no(raw: str | None) -> Parsed:
    if _empty(raw):
        return None, None
    key = squeeze(raw)
    if key in YES:
        return True, None
    if key in NO:
        return False, None
    return None, f"'{raw.strip()}' is neither yes nor no"


def parse_name(raw: str | None) -> Parsed:
    """Names as typed; ALL CAPS or all lower case is put in title case (O'BRIEN -> O'Brien)."""
    if _empty(raw):
        return None, None
    text = re.sub(r"\s+", " ", raw.strip())[:100]
    if text.isupper() or text.islower():
        text = text.title()
    return text, None


def parse_loan_number(raw: str | None) -> Parsed:
    if _empty(raw):
        return None, None
    text = re.sub(r"\s+", "", raw.strip()).upper()
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9\-_/.#]{0,39}", text):
        return None, f"'{raw.strip()}' is not a loan number"
    return text, None


def split_full_name(raw: str) -> tuple[str | None, str | None]:
    """'Lopez, Maria' or 'Maria Lopez' into first and last names."""
    text = (parse_name(raw)[0] or "") if raw else ""
    if "," in text:
        last, _, first = text.partition(",")
        return (first.strip() or None), (last.strip() or None)
    parts = text.split(" ")
    if len(parts) == 1:
        return (parts[0] or None), None
    return " ".join(parts[:-1]), parts[-1]


def product_for(loan_type: str | None, term_months: int | None) -> str | None:
    """The market product a fixed conventional loan is compared with by the refinance sweep
    (the rate feed quotes the 30- and 15-year conventional). Other loans get none: an FHA or VA
    note rate is not comparable with a conventional quote."""
    if loan_type not in (None, "conventional"):
        return None
    return {360: "conv30", 180: "conv15"}.get(term_months or 0)
