"""A team's version of a template, checked when it is saved exactly as the built-in templates are
at load (content/checks.py), plus what only a hand-typed text can get wrong: a link outside the
team's own domains, a Reg Z trigger term without its disclosures, an attempt to pull in or
replace the engine's layout and compliance footer. Pure: the answer is ``{field: rule broken}``.
"""
from __future__ import annotations

import re

from .checks import FIGURES_PRESENT, check_source, subject_problems, text_budget_problems

MAX_BODY = 20_000
MAX_SUBJECT = 200
_URL = re.compile(r"https?://([^/\s\"'<>:?#]+)", re.IGNORECASE)
_LOCKED = re.compile(r"\{%-?\s*(?:include|extends|import|from)\b", re.IGNORECASE)
_FOOTER_WORDS = re.compile(r"unsubscribe_url|\bpartials/", re.IGNORECASE)

# 12 CFR 1026.24(d): a "triggering term" (the amount of a payment, the number of payments or the
# period of repayment, the down payment's amount) obliges the ad to state the down payment, the
# terms of repayment and the APR. A team's text that types such a figure must say "APR" too. The
# figures a template merges in (``{{ refi.new_payment_fmt }}``) are the borrower's own computed
# offer, checked as the built-in templates are (the rate placeholders need their APR).
_TRIGGERS = re.compile(
    r"(?:payments?\s+(?:of|as\s+low\s+as|from|starting\s+at)\s+(?:only\s+)?\$\s?[\d,.]+)"
    r"|(?:\$\s?[\d,.]+\s*(?:/\s?mo\b|per\s+month|a\s+month|monthly))"
    r"|(?:\b\d{2,3}\s+(?:monthly\s+)?payments\b)"
    r"|(?:\$\s?[\d,.]+\s+down\b)", re.IGNORECASE)
_APR = re.compile(r"\bAPR\b|annual\s+percentage\s+rate|apr_fmt", re.IGNORECASE)


def domains_of(links: dict, sender_email: str = "") -> tuple[str, ...]:
    """The team's own hosts: those of its links and of its sending address."""
    hosts = {m.group(1).lower() for url in (links or {}).values() if isinstance(url, str)
             for m in [_URL.match(url)] if m}
    if "@" in (sender_email or ""):
        hosts.add(sender_email.rsplit("@", 1)[1].lower())
    return tuple(sorted(hosts))


def _foreign_links(text: str, domains: tuple[str, ...]) -> list[str]:
    out = []
    for m in _URL.finditer(text):
        host = m.group(1).lower()
        if not any(host == d or host.endswith("." + d) for d in domains):
            out.append(host)
    return out


def problems(channel: str, template: str, subject: str | None, body: str, *, kind: str = "marketing",
             domains: tuple[str, ...] = (), language: str = "en") -> dict[str, str]:
    """Every rule the draft breaks, by field (the first rule per field, said plainly)."""
    from ..domain.regz import rate_statements_without_apr

    strict = not f"{channel}/{template}".startswith(FIGURES_PRESENT)
    out: dict[str, str] = {}

    def first(field: str, found: list[str], where: str) -> None:
        if found and field not in out:
            out[field] = found[0].replace(f"{where}: ", "", 1)

    if not isinstance(body, str) or not body.strip():
        return {"body": "is required: the words of the message"}
    if len(body) > MAX_BODY:
        out["body"] = f"is over {MAX_BODY:,} characters"
    if subject is not None and channel != "email":
        out["subject"] = f"a {channel} template has no subject"
    elif subject is not None and len(subject) > MAX_SUBJECT:
        out["subject"] = f"is over {MAX_SUBJECT} characters"
    for field, text in (("subject", subject or ""), ("body", body)):
        if _LOCKED.search(text) or _FOOTER_WORDS.search(text):
            first(field, ["the layout and the compliance footer (company, address, NMLS IDs, equal housing, "
                          "unsubscribe) are the engine's and cannot be included, replaced or edited"], field)
    if subject:
        first("subject", subject_problems(subject, "subject", strict), "subject")
    first("body", check_source(body, "body", strict), "body")
    bad = rate_statements_without_apr(body)
    if bad:
        first("body", [f"Reg Z: a rate is stated without its APR: {bad[0]!r}"], "body")
    for field, text in (("subject", subject or ""), ("body", body)):
        trigger = _TRIGGERS.search(text)
        if trigger and not _APR.search(f"{subject or ''}\n{body}"):
            first(field, [f"Reg Z trigger term {trigger.group(0).strip()!r} needs its disclosures: "
                          "the APR, the down payment and the terms of repayment"], field)
        foreign = _foreign_links(text, domains)
        if foreign:
            first(field, [f"links only to the team's own domains ({', '.join(domains)}), not {foreign[0]}"], field)
    if channel == "sms" and "body" not in out:
        first("body", text_budget_problems(body, "body", kind, language), "body")  # its signature's language
    return out
