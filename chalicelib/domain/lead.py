"""Lead validation and normalisation: pure, no I/O.

Hand-written rather than pydantic: the rules are few, the error shape is fixed by the API
(``{"field.path": "what is wrong"}``, every bad field at once), and pydantic would add
~100 ms to every Lambda's cold start.

Free text that reaches a template or a message header (names, the Realtor's name, the lead's
source, a consent's source and disclosure text) has a length limit (``TEXT_LIMITS``) and no
control characters: C0 (NUL, TAB, CR, LF...), DEL, C1 (U+0080-U+009F) and the Unicode line and
paragraph separators. A CR or LF in a name would end a header early ("Bob\r\nBcc: ...") and
a stored one would fail every e-mail built from it; such input is refused with a 400 naming
the field, never stripped silently (the sender's data is wrong, and they should know). Only a
consent's disclosure text, which never reaches a header or template, keeps line breaks and tabs.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone


from .timezones import derive_timezone, is_valid_zone

STAGES = (
    "new_lead", "application_started", "application_submitted", "conditional_approval",
    "appraisal_ordered", "clear_to_close", "funded", "lost",
)
CHANNELS = ("email", "sms", "voice")
LOAN_TYPES = ("conventional", "fha", "va", "usda", "jumbo", "heloc", "non_qm", "other")
LOAN_PURPOSES = ("purchase", "refinance", "cash_out_refinance", "heloc")
EXTERNAL_EVENT_TYPES = (
    "credit_pull", "home_value_updated", "document_downloaded", "email_replied", "sms_replied",
    "email_opened", "link_clicked", "call_completed", "handoff", "resume", "converted", "note", "lo_replied",
    "join_program",  # {"program": "past_client_program" | "long_term_nurture"}: join a year-round program now
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP",
}


TEXT_LIMITS = {"first_name": 100, "last_name": 100, "source": 100, "realtor.name": 100,
               "consent.source": 200, "consent.text": 2000}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps TAB, LF, CR


def text_problem(value: object, limit: int, *, multiline: bool = False) -> str | None:
    """What is wrong with one free-text value (None: nothing)."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        return f"must be a non-empty string of at most {limit} characters"
    bad = (_CONTROL_KEEP_LINES if multiline else _CONTROL).search(value)
    if bad:
        return (f"must not contain control characters (line breaks, tabs, NUL...): "
                f"U+{ord(bad.group()):04X} at position {bad.start()}")
    return None


class ValidationError(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def normalize_phone(raw: object) -> str | None:
    """E.164 for a US number written any usual way; None when it is not a valid number."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    import phonenumbers  # ~10 ms of metadata: paid by the requests that carry a phone, not every cold start

    try:
        parsed = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.match(value) or _CONTROL.search(value):
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_key(email: str | None) -> str | None:
    return email.lower() if email else None


def name_fold(text: str | None) -> str:
    """A name as the console's search compares it: case and accents off, apostrophes dropped,
    any other mark a space (``José O'Brien-Díaz`` -> ``jose obrien diaz``), so "obrien",
    "o'brien" and "garcia-nunez" or "garcia nunez" find what they should."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    plain = "".join(c if c.isalnum() else "" if c in "'’`" else " " for c in plain.casefold())
    return " ".join(plain.split())


def name_keys(lead: dict) -> dict:
    """The name index's keys (store's ``by_name``): last name then first name, folded, under
    their first character; none for a lead without a name."""
    last, first = name_fold(lead.get("last_name")), name_fold(lead.get("first_name"))
    # an index sort key holds at most 1,024 bytes, and folding can lengthen a name (NFKD): the
    # first 200 bytes, cut on a character boundary, are more than anyone types into a search
    sort = " ".join(p for p in (last, first) if p).encode()[:NAME_SORT_BYTES].decode("utf-8", "ignore").strip()
    return {"name_key": sort[0] if sort else None, "name_sort": sort or None}


NAME_SORT_BYTES = 200


def _date(raw: object) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _number(raw: object, low: float, high: float) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    return float(raw) if low <= raw <= high else None


def _validate_loan(loan: object, errors: dict[str, str]) -> dict | None:
    if loan is None:
        return None
    if not isinstance(loan, dict):
        errors["loan"] = "must be an object"
        return None
    out: dict = {}
    if "type" in loan:
        if loan["type"] not in LOAN_TYPES:
            errors["loan.type"] = f"must be one of {', '.join(LOAN_TYPES)}"
        else:
            out["type"] = loan["type"]
    if "purpose" in loan:
        if loan["purpose"] not in LOAN_PURPOSES:
            errors["loan.purpose"] = f"must be one of {', '.join(LOAN_PURPOSES)}"
        else:
            out["purpose"] = loan["purpose"]
    for name, low, high in (("amount", 1, 50_000_000), ("property_value", 1, 100_000_000),
                            ("rate", 0, 30), ("term_months", 12, 480), ("closing_costs", 0, 1_000_000)):
        if name in loan and loan[name] is not None:
            value = _number(loan[name], low, high)
            if value is None:
                errors[f"loan.{name}"] = f"must be a number between {low} and {high}"
            else:
                out[name] = int(value) if name == "term_months" else value
    for name in ("funded_on", "anticipated_close_date", "application_submitted_on"):
        if name in loan and loan[name] is not None:
            if _date(loan[name]) is None:
                errors[f"loan.{name}"] = "must be a date YYYY-MM-DD"
            else:
                out[name] = loan[name]
    if "product" in loan and loan["product"] is not None:
        if not isinstance(loan["product"], str) or not re.fullmatch(r"[a-z0-9_]{2,20}", loan["product"]):
            errors["loan.product"] = "must be a short product code such as conv30"
        else:
            out["product"] = loan["product"]
    return out


def _validate_realtor(realtor: object, errors: dict[str, str]) -> dict | None:
    if realtor is None:
        return None
    if not isinstance(realtor, dict):
        errors["realtor"] = "must be an object"
        return None
    out: dict = {}
    name = realtor.get("name")
    if name is not None and not (isinstance(name, str) and not name.strip()):  # a blank name: no name
        problem = text_problem(realtor["name"], TEXT_LIMITS["realtor.name"])
        if problem:
            errors["realtor.name"] = problem
        else:
            out["name"] = realtor["name"].strip()
    if realtor.get("email") is not None:
        email = normalize_email(realtor["email"])
        if email is None:
            errors["realtor.email"] = "is not a valid e-mail address"
        else:
            out["email"] = email
    if realtor.get("phone") is not None:
        phone = normalize_phone(realtor["phone"])
        if phone is None:
            errors["realtor.phone"] = "is not a valid phone number"
        else:
            out["phone"] = phone
    return out


def validate_consent_grant(channel: str, grant: object, now: datetime, path: str,
                           errors: dict[str, str]) -> dict | None:
    """One consent record: granted or revoked, when, how, and which disclosure text.

    ``path`` prefixes the fields named in errors ("consent.sms"; "" for the consent route's
    own body, whose fields are ``granted``, ``at``, ``source``, ``text``)."""
    def name(field: str) -> str:
        return f"{path}.{field}" if path else field

    if isinstance(grant, bool):
        grant = {"granted": grant}
    if not isinstance(grant, dict) or not isinstance(grant.get("granted"), bool):
        errors[path or "granted"] = "must be true/false or an object with a boolean 'granted'"
        return None
    bad = False
    for field, multiline in (("source", False), ("text", True)):
        if grant.get(field) not in (None, ""):
            problem = text_problem(grant[field], TEXT_LIMITS[f"consent.{field}"], multiline=multiline)
            if problem:
                errors[name(field)] = problem
                bad = True
    if bad:
        return None
    at = grant.get("at")
    if at is not None:
        try:
            parsed = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError
            at = parsed.astimezone(timezone.utc).isoformat()  # one offset: records order by time
        except ValueError:
            errors[name("at")] = "must be an ISO 8601 time with offset"
            return None
    return {
        "channel": channel,
        "granted": grant["granted"],
        "at": at or now.isoformat(),
        "source": (grant.get("source") or "api").strip(),
        "text": grant.get("text") or "",
    }


LANGUAGES = ("en", "es")  # the languages the engine writes to borrowers in (templates/es/: Spanish)


def language_of(raw: object) -> str | None:
    """``en`` or ``es`` from the API's value (``"es"``, ``"ES"``, ``"es-US"``), or None."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def lead_language(lead: dict) -> str:
    """The language a lead's borrower-facing messages go in (a lead stored before it: English)."""
    return lead.get("language") if lead.get("language") in LANGUAGES else "en"


def validate_lead(body: object, now: datetime, *, partial: bool = False,
                  lo_ids: tuple[str, ...] = ()) -> dict:
    """Return the normalised lead fields, or raise ValidationError naming every bad field."""
    if not isinstance(body, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    out: dict = {}

    for name in ("first_name", "last_name", "source"):
        if name in body and body[name] is not None:
            problem = text_problem(body[name], TEXT_LIMITS[name])
            if problem:
                errors[name] = problem
            else:
                out[name] = body[name].strip()
    if not partial and "first_name" not in out and "first_name" not in errors:
        errors["first_name"] = "is required"

    if body.get("email") is not None:
        email = normalize_email(body["email"])
        if email is None:
            errors["email"] = "is not a valid e-mail address"
        else:
            out["email"] = email
    if body.get("phone") is not None:
        phone = normalize_phone(body["phone"])
        if phone is None:
            errors["phone"] = "is not a valid phone number"
        else:
            out["phone"] = phone
    if not partial and body.get("email") is None and body.get("phone") is None:
        errors["email"] = "email or phone is required"

    if body.get("state") is not None:
        state = str(body["state"]).upper()
        if state not in _STATES:
            errors["state"] = "must be a two-letter US state code"
        else:
            out["state"] = state
    if body.get("timezone") is not None:
        if not isinstance(body["timezone"], str) or not is_valid_zone(body["timezone"]):
            errors["timezone"] = "must be an IANA time zone such as America/Chicago"
        else:
            out["timezone"] = body["timezone"]
    if "stage" in body:
        if body["stage"] not in STAGES:
            errors["stage"] = f"must be one of {', '.join(STAGES)}"
        elif not partial:
            out["stage"] = body["stage"]
        else:
            errors["stage"] = "change the stage with POST /leads/{lead_id}/stage"
    if "lo_id" in body:
        if not isinstance(body["lo_id"], str) or (lo_ids and body["lo_id"] not in lo_ids):
            errors["lo_id"] = "is not a loan officer of this team"
        else:
            out["lo_id"] = body["lo_id"]
    if body.get("birthday") is not None:
        if _date(body["birthday"]) is None:
            errors["birthday"] = "must be a date YYYY-MM-DD"
        else:
            out["birthday"] = body["birthday"]

    if "language" in body:
        language = language_of(body["language"])
        if language is None:
            errors["language"] = f"must be one of {', '.join(LANGUAGES)}"
        else:
            out["language"] = language
    elif not partial:
        out["language"] = "en"

    loan = _validate_loan(body.get("loan"), errors)
    if loan is not None:
        out["loan"] = loan
    realtor = _validate_realtor(body.get("realtor"), errors)
    if realtor is not None:
        out["realtor"] = realtor

    if body.get("consent") is not None and partial:
        errors["consent"] = "change consent with POST /leads/{lead_id}/consent (it is kept as history)"
    elif body.get("consent") is not None:
        consent = body["consent"]
        if not isinstance(consent, dict):
            errors["consent"] = "must be an object"
        else:
            records = []
            for channel, grant in consent.items():
                if channel not in CHANNELS:
                    errors[f"consent.{channel}"] = f"channel must be one of {', '.join(CHANNELS)}"
                    continue
                record = validate_consent_grant(channel, grant, now, f"consent.{channel}", errors)
                if record:
                    records.append(record)
            out["consent_records"] = records

    unknown = set(body) - {"first_name", "last_name", "source", "email", "phone", "state", "timezone",
                           "stage", "lo_id", "birthday", "loan", "realtor", "consent", "language"}
    for name in sorted(unknown):
        errors[name] = "is not a known field"
    if errors:
        raise ValidationError(errors)

    if "timezone" not in out and not partial:
        derived = derive_timezone(out.get("state"), out.get("phone"))
        if derived:
            out["timezone"] = derived
            out["timezone_derived"] = True  # policy then weighs every zone the state or area code spans
    return out

