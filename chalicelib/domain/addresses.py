"""Clean lists in: what an e-mail address says about its deliverability before anything is sent.
Pure.

* A malformed address is refused (domain/lead.py ``normalize_email`` already holds the syntax).
* A known disposable domain (a throwaway inbox that dies within hours) is refused: mail to it
  bounces, and bounces are what gets a sending domain reviewed.
* A role account (``info@``, ``sales@``...) is accepted and flagged: a shared inbox rarely
  belongs to the borrower and draws complaints more than a person's does.
An address that bounced hard before (on any lead) is suppressed where the lead is created
(services/reputation.py keeps those, by hash).
"""
from __future__ import annotations

DISPOSABLE = frozenset({
    "10minutemail.com", "10minutemail.net", "20minutemail.com", "33mail.com", "anonaddy.me", "burnermail.io",
    "discard.email", "dispostable.com", "dropmail.me", "emailondeck.com", "fakeinbox.com", "getairmail.com",
    "getnada.com", "guerrillamail.biz", "guerrillamail.com", "guerrillamail.de", "guerrillamail.info",
    "guerrillamail.net", "guerrillamail.org", "guerrillamailblock.com", "harakirimail.com", "inboxkitten.com",
    "incognitomail.org", "jetable.org", "mailcatch.com", "maildrop.cc", "mailinator.com", "mailinator.net",
    "mailnesia.com", "mailpoof.com", "mintemail.com", "mohmal.com", "mytemp.email", "nada.email",
    "sharklasers.com", "spam4.me", "spambox.us", "spamgourmet.com", "temp-mail.io", "temp-mail.org",
    "tempail.com", "tempinbox.com", "tempmail.com", "tempmail.net", "tempmailo.com", "tempr.email",
    "throwawaymail.com", "trashmail.com", "trashmail.de", "trashmail.net", "yopmail.com", "yopmail.fr",
    "yopmail.net",
})
ROLES = frozenset({
    "abuse", "accounting", "accounts", "admin", "administrator", "billing", "contact", "customerservice",
    "enquiries", "help", "hello", "hostmaster", "hr", "info", "inquiries", "jobs", "mail", "marketing",
    "no-reply", "noc", "noreply", "office", "postmaster", "privacy", "sales", "security", "service",
    "support", "team", "webmaster",
})


def disposable(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in DISPOSABLE)


def role_account(email: str) -> bool:
    local = email.rsplit("@", 1)[0].lower().split("+", 1)[0]
    return local in ROLES


def refusal(email: str | None) -> str | None:
    """Why an address (already well-formed) is refused, or None."""
    if email and disposable(email):
        return "is a disposable address (a throwaway inbox): mail to it bounces; ask the borrower for theirs"
    return None


def warning(email: str | None) -> str | None:
    """Why an accepted address is flagged, or None."""
    if email and role_account(email):
        return (f"'{email.rsplit('@', 1)[0]}@' is a role account (a shared inbox): accepted, but it rarely "
                "reaches the borrower and draws spam complaints")
    return None
