"""Texts as carriers bill them: the characters, the encoding, the segments. Pure.

A US carrier bills an SMS per segment. GSM-7 (the 128 characters of 3GPP TS 23.038's default
alphabet) holds 160 characters in one segment, 153 per segment once a text is split (the rest
carries the concatenation header); its extension table (``^ { } \\ [ ~ ] |`` and the euro sign)
takes an escape plus the character, so each counts twice. One character outside both tables
(an emoji, a curly quote, an en dash) sends the whole text as UCS-2: 70 in one segment, 67 per
part, counted in UTF-16 code units (an emoji takes two).

Word processors put curly quotes, dashes and ellipses into copy; each would double the bill, so
a text is :func:`normalise`-d to GSM-7 forms before it is counted and before it is sent.

The budget: a marketing text fits ONE segment, signature and opt-out line included, unless its
template declares why it needs more, in a comment the validation reads:
``{# segments: 2 because the checklist is the point of this text #}``. The validation renders
each text with :data:`SAMPLE` (long-ish names and the team's longest signature) and refuses a
template over its budget.
"""
from __future__ import annotations

import re

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}

# What copy-and-paste brings in, as a borrower's phone would show it in GSM-7.
_TYPOGRAPHY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
})


def normalise(text: str) -> str:
    """Curly quotes, dashes, ellipses, odd spaces and zero-width marks as their GSM-7 forms."""
    return text.translate(_TYPOGRAPHY)


def encoding(text: str) -> str:
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "ucs2"


def units(text: str) -> int:
    """Septets (GSM-7, an extension character two) or UTF-16 code units (UCS-2)."""
    if encoding(text) == "gsm7":
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """The segments a carrier bills for ``text`` as it is sent (normalise it first)."""
    enc, n = encoding(text), units(text)
    if n <= SINGLE[enc]:
        return 1
    return -(-n // PART[enc])


def room(text: str, segments_: int = 1) -> int:
    """Characters left before ``text`` needs another segment (negative: over by that much)."""
    enc = encoding(text)
    limit = SINGLE[enc] if segments_ == 1 else PART[enc] * segments_
    return limit - units(text)


_DECLARED = re.compile(r"\{#-?\s*segments:\s*(\d+)\s+(.*?)-?#\}", re.DOTALL)


def declared(source: str) -> tuple[int, str] | None:
    """``(segments, why)`` a template declares it needs, or None (the default budget)."""
    m = _DECLARED.search(source)
    if not m:
        return None
    return int(m.group(1)), " ".join(m.group(2).split())


# -- the budget check's borrower -----------------------------------------------------------------

# Long-ish but ordinary values: a text that fits with these fits nearly everyone. The signature
# uses the longest name and company of the shipped team files (a unit test holds them to it).
SAMPLE = {
    "borrower": {"first_name": "Jacqueline", "last_name": "Washington", "full_name": "Jacqueline Washington",
                 "email": "jacqueline@example.com", "phone": "(512) 555-0142", "state": "TX", "city": "San Antonio"},
    "loan": {"type": "conventional", "type_label": "conventional", "purpose": "purchase",
             "purpose_label": "home purchase", "amount": 350000, "amount_fmt": "$350,000", "rate": 6.875,
             "rate_fmt": "6.875%", "apr_fmt": "6.982%", "term_years": 30, "anticipated_close_date": "2027-05-28",
             "close_date_fmt": "May 28, 2027", "product": "conv30", "funded_on": "2025-06-13",
             "funded_date_fmt": "June 13, 2025", "years_since_funding": 2, "property_value_fmt": "$425,000"},
    "lo": {"name": "Priya Natarajan", "first_name": "Priya", "phone": "+15125550140", "phone_fmt": "(512) 555-0140",
           "email": "priya@lonestarhomelending.example", "nmls_id": "2209318"},
    "team": {"name": "Lone Star Home Lending", "legal_name": "Lone Star Home Lending LLC",
             "postal_address": "100 Congress Ave, Austin, TX 78701", "nmls_id": "1847392",
             "phone_fmt": "(512) 555-0100"},
    "realtor": {"name": "Sam Agent", "first_name": "Sam", "email": "sam@realty.example", "phone": "(512) 555-0199"},
    "links": {"apply": "https://lonestarhomelending.example/apply",
              "documents": "https://lonestarhomelending.example/portal/documents",
              "calendar": "https://lonestarhomelending.example/book/jordan",
              "refi_calculator": "https://lonestarhomelending.example/tools/refinance-calculator",
              "rates": "https://lonestarhomelending.example/rates", "review": "https://lonestarhomelending.example/review"},
    "market": {"product": "30-year fixed", "rate_fmt": "6.125%", "apr_fmt": "6.262%", "as_of": "April 8, 2027",
               "previous_rate_fmt": "6.375%", "previous_apr_fmt": "6.514%", "previous_as_of": "March 11, 2027",
               "change_fmt": "0.25", "direction": "down", "payment_fmt": "$2,126.64", "payment_change_fmt": "$57.80",
               "amount_fmt": "$350,000", "amount_basis": "your balance", "term_years": 30, "costs_fmt": "$6,000",
               "note_gap_fmt": "0.75", "note_position": "above", "note_view": "worth_a_look"},
    "refi": {"current_rate_fmt": "7.125%", "current_payment_fmt": "$2,358.02", "new_rate_fmt": "6.125%",
             "new_apr_fmt": "6.262%", "new_payment_fmt": "$2,126.64", "monthly_savings_fmt": "$231.38",
             "break_even_months": 26, "lifetime_interest_difference_fmt": "$61,420", "closing_costs_fmt": "$6,000",
             "balance_fmt": "$338,410", "rate_drop_fmt": "1.00"},
    "home": {"value_fmt": "$455,000", "ltv_fmt": "74%", "equity_fmt": "$116,590", "balance_fmt": "$338,410",
             "paid_down_fmt": "$11,590", "value_basis": "estimated", "as_of_fmt": "April 13, 2027",
             "pmi_date_fmt": "March 2029"},
    "stage": {"name": "funded", "label": "funded"},
    "touch": {"day_name": "Wednesday", "month_name": "September", "year": 2027},
    "program": {"tier": "engaged", "tier_label": "engaged", "opens_90": 4, "clicks_90": 1, "replies_90": 0,
                "recent": "The rate watch", "last_click": "The rate watch", "last_click_on": "April 2"},
}
STAGES = ("new_lead", "application_started", "conditional_approval", "funded", "lost")


def sample_contexts() -> list[dict]:
    """The contexts a text is measured in: every stage, with every figure, and with only what
    every lead has (the optional fields absent, as merge.build_context leaves them out)."""
    from .fields import OPTIONAL

    out = []
    for stage in STAGES:
        full = {**SAMPLE, "stage": {"name": stage, "label": stage.replace("_", " ")},
                "relationship": "past_client" if stage == "funded" else "lead"}
        bare = {g: ({k: v for k, v in vals.items() if k not in OPTIONAL.get(g, ())} if isinstance(vals, dict) else vals)
                for g, vals in full.items()}
        out += [full, bare]
    return out
