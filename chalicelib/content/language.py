"""The borrower's language: which words a touch goes out with, and how figures read in it. Pure.

A lead carries ``language`` (``en`` or ``es``; ``domain.lead.lead_language``). English is the
built-in ``templates/<channel>/...``; Spanish mirrors it under ``templates/es/<channel>/...``
(same names), for what the borrower reads or hears: e-mail, text, call script. An LO's task and a
Realtor's update stay English: they are for the LO and the agent.

- A Spanish e-mail is written once, as text (``es/email/<template>.txt.j2``); its HTML is built
  from it (``content/article.py``, as for the library), and its subject line is the file's first
  comment, ``{# subject: ... #}``, so words and subject are reviewed together.
- The engine's own words (the e-mail footer with "Igualdad de Oportunidades en la Vivienda", the
  text signature with its "Responda ALTO para cancelar", the call's closing, the keyword answers,
  the unsubscribe page) come in the lead's language too.
- A Spanish lead never gets English: a library item without its Spanish version is not fit for
  them (``sequences/slots.py``: the slot passes when no item is), and a step without one is not
  sent (render raises ``NotInLanguage``, delivery suppresses the touch). The load checks hold
  every core sequence step to having its Spanish version (``sequences/validate.py``).
- Figures for Spanish readers in the US: dates "28 de mayo de 2027", months and days in Spanish,
  dollars and percentages as US Spanish-language lenders and media print them ("$350,000",
  "6.875%": a decimal point, as on the borrower's Loan Estimate), labels (loan type, purpose,
  stage, product) in Spanish.

Texts (SMS) in Spanish are written in GSM-7 by choice of words: á, í, ó, ú are outside GSM-7 and
one of them bills the whole text as UCS-2 (70 characters a segment, so no marketing text fits one
segment with its signature). Dropping accents ("mas" for "más") reads as careless, even wrong,
Spanish; instead the texts say it with words that need none (é, ñ, ü, ¿ and ¡ are GSM-7). The
segment budget check counts Spanish texts as carriers bill them, so an accent that slips in shows
as a budget failure at load. E-mails and calls carry every accent.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "es")
NAMES = {"en": "English", "es": "Spanish"}
BORROWER_CHANNELS = ("email", "sms", "voice")  # tasks are the LO's, partner e-mail the Realtor's
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
_SUBJECT = re.compile(r"\{#-?\s*subject:\s*(.*?)\s*-?#\}", re.DOTALL)


def of(ctx_or_lead: dict) -> str:
    language = ctx_or_lead.get("language")
    return language if language in LANGUAGES else "en"


def localised(channel: str, language: str) -> bool:
    """Does a touch on ``channel`` go in ``language``'s own files (not the English ones)?"""
    return language != "en" and channel in BORROWER_CHANNELS


def paths(channel: str, template: str, language: str) -> list[str]:
    """The files a template stands for in ``language`` (relative to templates/)."""
    if channel in ("email", "partner_email"):
        return [f"{language}/email/{template}.txt.j2"]
    return [f"{language}/{channel}/{template}.j2"]


@lru_cache(maxsize=4096)
def has_version(channel: str, template: str, language: str) -> bool:
    if not localised(channel, language):
        return True
    return all((TEMPLATES_DIR / p).exists() for p in paths(channel, template, language))


def subject_of(source: str) -> str | None:
    """The subject line a translated e-mail declares in its ``{# subject: ... #}`` comment."""
    m = _SUBJECT.search(source)
    return " ".join(m.group(1).split()) if m else None


@lru_cache(maxsize=1024)
def subject_for(template: str, language: str) -> str | None:
    path = TEMPLATES_DIR / paths("email", template, language)[0]
    return subject_of(path.read_text()) if path.exists() else None


# -- which language a text is in (personalisation's guard, the simulator's audit) -------------------

_EN_WORDS = frozenset("the you your and to of is for with this that it we our are be at or if what my i an have "
                      "will can from about when here".split())
_ES_WORDS = frozenset("el la los las de del que su sus usted para con por es un una le lo se y al mi ya hola "
                      "gracias como pero cuando aqui esta este puede".split())
_WORD = re.compile(r"[a-záéíóúñü]+")
_URL = re.compile(r"https?://\S+")


def language_of(text: str) -> str | None:
    """``en`` or ``es`` by their function words, or None when neither has more (a name, an address)."""
    words = _WORD.findall(_URL.sub(" ", text.lower()))
    en, es = sum(w in _EN_WORDS for w in words), sum(w in _ES_WORDS for w in words)
    return "en" if en > es else "es" if es > en else None


# -- Spanish words for the merge fields ------------------------------------------------------------

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")
DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LOAN_TYPES = {"conventional": "convencional", "fha": "FHA", "va": "VA", "usda": "USDA", "jumbo": "jumbo",
              "heloc": "HELOC", "non_qm": "non-QM", "other": "hipotecario"}
PURPOSES = {"purchase": "compra de vivienda", "refinance": "refinanciamiento",
            "cash_out_refinance": "refinanciamiento con retiro de efectivo", "heloc": "línea de crédito hipotecaria"}
STAGES = {"new_lead": "consulta", "application_started": "solicitud iniciada",
          "application_submitted": "solicitud enviada", "conditional_approval": "aprobación condicional",
          "appraisal_ordered": "avalúo solicitado", "clear_to_close": "listo para cerrar",
          "funded": "préstamo desembolsado",
          "lost": "cerrado"}
PRODUCTS = {"30-year fixed-rate": "tasa fija a 30 años", "20-year fixed-rate": "tasa fija a 20 años",
            "15-year fixed-rate": "tasa fija a 15 años", "10-year fixed-rate": "tasa fija a 10 años",
            "30-year FHA": "FHA a 30 años", "15-year FHA": "FHA a 15 años", "30-year VA": "VA a 30 años",
            "15-year VA": "VA a 15 años", "30-year USDA": "USDA a 30 años", "30-year jumbo": "jumbo a 30 años",
            "15-year jumbo": "jumbo a 15 años", "mortgage": "hipoteca", "30-year fixed": "tasa fija a 30 años"}
BASES = {"your balance": "su saldo", "your loan amount": "el monto de su préstamo",
         "a typical loan": "un préstamo típico"}
_LONG_DATE = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r") (\d{1,2}), (\d{4})\b")
_MONTH_YEAR = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r") (\d{4})\b")


def fecha(text: str) -> str:
    """English dates in a value as Spanish ones: "May 28, 2027" -> "28 de mayo de 2027",
    "March 2029" -> "marzo de 2029"."""
    text = _LONG_DATE.sub(lambda m: f"{int(m.group(2))} de {MONTHS[_EN_MONTHS.index(m.group(1))]} de {m.group(3)}",
                          text)
    return _MONTH_YEAR.sub(lambda m: f"{MONTHS[_EN_MONTHS.index(m.group(1))]} de {m.group(2)}", text)


def spanish_context(ctx: dict) -> dict:
    """The merge context as a Spanish reader reads it: labels, dates, months and days in Spanish."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in ctx.items()}
    loan = out.get("loan") or {}
    if loan.get("type") in LOAN_TYPES:
        loan["type_label"] = LOAN_TYPES[loan["type"]]
    if "purpose" in loan:
        loan["purpose_label"] = PURPOSES.get(loan["purpose"], "préstamo hipotecario")
    stage = out.get("stage") or {}
    if stage.get("name") in STAGES:
        stage["label"] = STAGES[stage["name"]]
    touch = out.get("touch") or {}
    if touch.get("month_name") in _EN_MONTHS:
        touch["month_name"] = MONTHS[_EN_MONTHS.index(touch["month_name"])]
    if touch.get("day_name") in _EN_DAYS:
        touch["day_name"] = DAYS[_EN_DAYS.index(touch["day_name"])]
    for group in ("loan", "market", "home", "refi"):
        values = out.get(group)
        if isinstance(values, dict):
            out[group] = {k: (fecha(v) if isinstance(v, str) else v) for k, v in values.items()}
    market = out.get("market") or {}
    if market.get("product") in PRODUCTS:
        market["product"] = PRODUCTS[market["product"]]
    if market.get("amount_basis") in BASES:
        market["amount_basis"] = BASES[market["amount_basis"]]
    out["language"] = "es"
    return out


def localise(ctx: dict, language: str) -> dict:
    """The context for rendering in ``language`` (the data a touch carries included)."""
    return spanish_context(ctx) if language == "es" else ctx


# What an LO's call task says of a borrower who prefers Spanish (its title is what Today lists).
LO_TITLE = "(prefers Spanish)"
LO_NOTE = "The borrower prefers Spanish: call in Spanish (or with a Spanish-speaking colleague)."


# -- the engine's own words ------------------------------------------------------------------------

def sms_signature(ctx: dict, opt_out: bool, language: str) -> str:
    sign = f" -{ctx['lo']['name']} NMLS {ctx['lo']['nmls_id']}, {ctx['team']['name']}"
    if language == "es":
        return sign + (". Responda ALTO para cancelar" if opt_out else "")
    return sign + (". Reply STOP to opt out" if opt_out else "")


def voice_closing(ctx: dict, language: str) -> str:
    if language == "es":
        return (f"Esta llamada fue de {ctx['lo']['name']}, NMLS {ctx['lo']['nmls_id']}, de {ctx['team']['name']}, "
                f"NMLS {ctx['team']['nmls_id']}. Si no desea recibir más llamadas, díganoslo o llame al "
                f"{ctx['lo']['phone_fmt']}.")
    return (f"This call was from {ctx['lo']['name']}, NMLS {ctx['lo']['nmls_id']}, at {ctx['team']['name']}, "
            f"NMLS {ctx['team']['nmls_id']}. To stop these calls, say so or call {ctx['lo']['phone_fmt']}.")


def keyword_text(kind: str, team_name: str, lo_name: str, nmls: str, phone: str, email: str,
                 language: str) -> str:
    """The answer to STOP / HELP / START (and ALTO / AYUDA / COMENZAR), in the lead's language.
    Spanish answers keep to GSM-7 (one segment), and name both words that work."""
    if language == "es":
        if kind == "sms_opt_out":
            return (f"{team_name}: listo, ya no le enviaremos mensajes ni llamadas. "
                    f"Para volver a recibirlos, responda COMENZAR.")
        if kind == "sms_help":
            return (f"{team_name}: {lo_name}, NMLS #{nmls}, {phone}, {email}. Pueden aplicar cargos por "
                    f"mensajes y datos. Responda ALTO para cancelar.")
        return (f"{team_name}: de nuevo le enviaremos mensajes de {lo_name}. Responda AYUDA para ayuda, "
                f"ALTO para cancelar.")
    if kind == "sms_opt_out":
        return (f"{team_name}: you are unsubscribed and will get no more texts or calls from us. "
                f"Reply START to resubscribe.")
    if kind == "sms_help":
        return (f"{team_name}: {lo_name}, NMLS #{nmls}, {phone}, {email}. "
                f"Msg&data rates may apply. Reply STOP to opt out.")
    return f"{team_name}: you are resubscribed to texts from {lo_name}. Reply HELP for help, STOP to opt out."
