"""The consent ledger: one reading of a lead's consent per channel, and its one writer. Pure.

Consent is history (``consent_records``): a grant or a revocation appends a record and the
latest per channel wins. A record is its evidence: channel, granted, when (``at``), how
(``source``), the disclosure the person saw or said (``text``) and who recorded it (``by``: the
person's e-mail or ``key:<name>`` for the API, ``borrower`` for their own STOP, link or reply).
It lives on the lead's record and is never expired (domain/retention.py). Every way out revokes the channel it came by, with its source:

  SMS STOP word (and its carrier variants)   sms and voice   "sms keyword"
  the unsubscribe page's button              email           "unsubscribe page"
  a mailbox's one-click POST (RFC 8058)      email           "one-click unsubscribe"
  a mail to the mailto: unsubscribe address  email           "mailto unsubscribe"
  a reply asking to stop                     email           "reply asking to stop"
  an SES complaint ("this is spam")          email           "complaint"
  POST /leads/{id}/consent granted false     that channel    the source given

A revocation also writes the suppression that the contact policy and the sweeps read
(``suppressed.<channel>``); a later grant (START, POST /leads/{id}/consent) lifts a suppression
that a person chose (opt-out, complaint) but never a bounce's: a bounce says the address is
broken, not that the person changed their mind, so it revokes nothing and no grant mends it.

Leads stored before the ledger recorded e-mail opt-outs carry only the suppression: it reads
as a revocation at its time, unless a later record says otherwise.
"""
from __future__ import annotations

from datetime import datetime

CHANNELS = ("email", "sms", "voice")
# suppression reasons a person chose (a grant lifts them), weakest first; "unsubscribed" is an
# older spelling of "opted_out". Any other reason ("bounced") is about the address.
CHOSEN = ("opted_out", "unsubscribed", "complained")
_RANK = {"opted_out": 0, "unsubscribed": 0, "complained": 1}

EMAIL_EXIT_SOURCES = {"page": "unsubscribe page", "one_click": "one-click unsubscribe",
                      "mailto": "mailto unsubscribe", "reply": "reply asking to stop", "link": "unsubscribe link"}
COMPLAINT_SOURCE = "complaint"


def _at(record: dict) -> datetime:
    return datetime.fromisoformat(record["at"])


def latest_records(records: list[dict]) -> dict[str, dict]:
    """The latest record per channel (ties: the one appended last)."""
    latest: dict[str, dict] = {}
    for record in sorted(records, key=_at):
        latest[record["channel"]] = record
    return latest


def ledger(lead: dict) -> dict[str, dict]:
    """Each channel's consent as it stands: the latest record, or an older lead's bare opt-out
    suppression read as the revocation it was."""
    latest = latest_records(lead.get("consent_records") or [])
    for channel, sup in (lead.get("suppressed") or {}).items():
        if channel not in CHANNELS or not sup or sup.get("reason") not in CHOSEN or not sup.get("at"):
            continue
        record = latest.get(channel)
        # at the same instant, the opt-out wins over a grant: a missed opt-out is the costly mistake
        if record is None or _at(record) < _at(sup) or (_at(record) == _at(sup) and record["granted"]):
            latest[channel] = {"channel": channel, "granted": False, "at": sup["at"],
                               "source": sup.get("source") or sup["reason"], "text": ""}
    return latest


def granted(lead: dict, channel: str) -> bool:
    """Recorded consent that stands (SMS and voice marketing need it)."""
    return bool((ledger(lead).get(channel) or {}).get("granted"))


def revoked(lead: dict, channel: str) -> bool:
    """The person said no on this channel (no record at all is not a revocation)."""
    record = ledger(lead).get(channel)
    return record is not None and not record["granted"]


def record(lead: dict, rec: dict, reason: str = "opted_out") -> dict:
    """The lead with one consent record appended and its suppression made to agree with the
    ledger: a standing revocation suppresses the channel (``reason``: opted_out, or complained
    for a complaint, which also stops transactional mail); a standing grant lifts a suppression
    the person chose. A backdated record that is not the latest changes no suppression."""
    lead = dict(lead)
    lead["consent_records"] = list(lead.get("consent_records") or []) + [rec]
    channel = rec["channel"]
    suppressed = dict(lead.get("suppressed") or {})
    current = suppressed.get(channel)
    standing = ledger({**lead, "suppressed": {}})[channel]
    if standing["granted"]:
        if current and current.get("reason") in CHOSEN:
            suppressed.pop(channel)
    elif standing is rec:
        if current is None or _RANK.get(current.get("reason"), 9) <= _RANK[reason]:
            suppressed[channel] = {"reason": reason, "at": rec["at"], "source": rec["source"]}
    lead["suppressed"] = suppressed
    return lead


def revoke(lead: dict, channel: str, at: str, source: str, text: str = "", reason: str = "opted_out",
           by: str = "borrower") -> dict:
    """``by``: who recorded it; the borrower themselves for every way out (a STOP, a link, a reply)."""
    return record(lead, {"channel": channel, "granted": False, "at": at, "source": source, "text": text, "by": by},
                  reason)


def grant(lead: dict, channel: str, at: str, source: str, text: str = "", by: str = "borrower") -> dict:
    return record(lead, {"channel": channel, "granted": True, "at": at, "source": source, "text": text, "by": by})
