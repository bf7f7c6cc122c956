"""Merge context: what a template can say about the borrower, loan, LO, team and Realtor.

Absent values are left out (not None), so StrictUndefined fails a template that uses one
without a fallback: a touch fails (merge_error) rather than go out as "Hi ,".
"""
from __future__ import annotations

from datetime import date, datetime

import phonenumbers

from ..domain.refi_offer import rate_pct  # one way to show a rate, here and in refinance offers

LOAN_TYPE_LABELS = {"conventional": "conventional", "fha": "FHA", "va": "VA", "usda": "USDA", "jumbo": "jumbo",
                    "heloc": "HELOC", "non_qm": "non-QM", "other": "home"}
PURPOSE_LABELS = {"purchase": "home purchase", "refinance": "refinance", "cash_out_refinance": "cash-out refinance",
                  "heloc": "home equity line"}
STAGE_LABELS = {"new_lead": "inquiry", "application_started": "application started",
                "application_submitted": "application submitted", "conditional_approval": "conditional approval",
                "appraisal_ordered": "appraisal ordered", "clear_to_close": "clear to close", "funded": "funded",
                "lost": "closed out"}


def money(value) -> str:
    return f"${float(value):,.0f}" if float(value) >= 1000 else f"${float(value):,.2f}"


def phone_fmt(e164: str | None) -> str | None:
    if not e164:
        return None
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "US"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def long_date(iso: str | None) -> str | None:
    if not iso:
        return None
    d = date.fromisoformat(iso[:10])
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != ""}


def lead_extras(lead: dict) -> dict:
    """The computed figures a lead carries for refinance and home-value content."""
    refi = lead.get("refi_snapshot") or {}
    return {"refi": refi, "market": refi.get("market") or {}, "home": lead.get("home_snapshot") or {}}


def relationship(lead: dict) -> str:
    """Why the borrower hears from the team, as the e-mail footer tells them: ``past_client`` when
    a loan of theirs funded with the team (funded now or before, or imported from the LOS as a
    funded loan), else ``lead`` (they asked about a loan). A Realtor's e-mail says ``partner``:
    the channel decides that (content.render), not the lead."""
    if lead.get("stage") == "funded" or any(h.get("stage") == "funded" for h in lead.get("stage_history") or []):
        return "past_client"
    if lead.get("imported") and (lead.get("loan") or {}).get("funded_on"):
        return "past_client"
    return "lead"


def build_context(lead: dict, team, links: dict, now: datetime, extra: dict | None = None) -> dict:
    lo = team.lo(lead.get("lo_id"))
    loan = lead.get("loan") or {}
    realtor = lead.get("realtor") or {}
    funded_on = loan.get("funded_on")
    years = None
    if funded_on:
        f = date.fromisoformat(funded_on)
        years = now.date().year - f.year - ((now.date().month, now.date().day) < (f.month, f.day))
    ctx = {
        "borrower": _clean({
            "first_name": lead.get("first_name"), "last_name": lead.get("last_name"),
            "full_name": " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p),
            "email": lead.get("email"), "phone": phone_fmt(lead.get("phone")), "state": lead.get("state"),
            "city": lead.get("city"),
        }),
        "loan": _clean({
            "type": loan.get("type"), "type_label": LOAN_TYPE_LABELS.get(loan.get("type")),
            "purpose": loan.get("purpose", "purchase"),
            "purpose_label": PURPOSE_LABELS.get(loan.get("purpose", "purchase"), "home loan"),
            "amount": loan.get("amount"), "amount_fmt": money(loan["amount"]) if loan.get("amount") else None,
            "rate": loan.get("rate"), "rate_fmt": rate_pct(loan["rate"]) if loan.get("rate") is not None else None,
            "apr_fmt": rate_pct(loan["apr"]) if loan.get("apr") is not None else None,
            "term_years": int(loan.get("term_months", 360)) // 12,
            "anticipated_close_date": loan.get("anticipated_close_date"),
            "close_date_fmt": long_date(loan.get("anticipated_close_date")),
            "product": loan.get("product"), "funded_on": funded_on, "funded_date_fmt": long_date(funded_on),
            "years_since_funding": years,
            "property_value_fmt": money(loan["property_value"]) if loan.get("property_value") else None,
        }),
        "lo": _clean({"name": lo.name, "first_name": lo.name.split()[0], "phone": lo.phone,
                      "phone_fmt": phone_fmt(lo.phone), "email": lo.email, "nmls_id": lo.nmls_id}),
        "team": _clean({"name": team.name, "legal_name": team.legal_name, "postal_address": team.postal_address,
                        "nmls_id": team.nmls_id, "phone_fmt": phone_fmt(lo.phone)}),
        "realtor": _clean({"name": realtor.get("name"),
                           "first_name": realtor["name"].split()[0] if realtor.get("name") else None,
                           "email": realtor.get("email"), "phone": phone_fmt(realtor.get("phone"))}),
        "links": dict(links),
        "relationship": relationship(lead),
        "language": lead.get("language") if lead.get("language") in ("en", "es") else "en",  # content/language.py
        "stage": {"name": lead.get("stage"), "label": STAGE_LABELS.get(lead.get("stage"), lead.get("stage"))},
        "touch": {"day_name": now.strftime("%A"), "month_name": now.strftime("%B"), "year": now.year},
        "market": {},
        "program": {},
        "refi": {},
        "home": {},
    }
    for key, values in (extra or {}).items():
        ctx[key] = {**ctx.get(key, {}), **_clean(values)}
    return ctx
