"""A borrower's record on request, and erasure: pure.

Export (``borrower_record``): one document with the profile, the consent ledger with its
evidence (channel, granted, time, source, disclosure text, who recorded it), every touch sent
(channel, time, template and version, the subject as sent and the content re-rendered, marked
``"rerendered": true``: touch records keep no message bodies, to stay one write unit each),
every decision not to send with its reason, the timeline and the tasks.

Erasure keeps only what the law needs:
- a suppression entry per e-mail and phone: an HMAC-SHA256 of the folded address under the team's
  secret (``suppression_keys``), never the address itself, so that a lead created or imported
  later with either one is suppressed on every channel (``suppress_erased``) and no form or
  import brings the person back into marketing;
- a tombstone on the timeline (``tombstone``): who erased, when, and the consent ledger without
  anything that names the person;
- the touch, timeline and task records reduced to what the engine did and when
  (``scrub_touch``, ``scrub_item``, ``scrub_task``): kept fields are listed, everything else
  (names, addresses, subjects, figures, task text) goes, and what stays is redacted of e-mail
  addresses, phone numbers and the person's own words (``redact``).
"""
from __future__ import annotations

import hashlib
import hmac
import re

from . import consent
from .lead import email_key

SUPPRESSION_PREFIX = "erased#"
ERASED = "erased"  # the suppression reason, the tombstone's kind
MARK = "[erased]"
NOT_SENT = ("deferred", "suppressed", "held", "failed", "retrying")

TOUCH_KEPT = ("touch_id", "lead_id", "sequence", "step", "channel", "template", "template_version", "kind",
              "status", "at", "exempt", "to_role", "attempt", "hot", "immediate", "personalised")
ITEM_KEPT = ("at", "kind", "type", "machine", "touch_id", "sequence", "step", "channel", "status", "exempt",
             "enrollment_id", "action", "task_id", "by", "to")
ITEM_DATA_KEPT = ("stage", "from", "channel", "granted", "outcome", "sequence", "program", "source")
TASK_KEPT = ("task_id", "lead_id", "lo_id", "kind", "status", "priority", "hot", "created_at", "due_at",
             "completed_at", "sequence", "step", "source", "expired_reason")
CONSENT_KEPT = ("channel", "granted", "at", "source", "text", "by")

_EMAIL = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+")
_PHONE = re.compile(r"\+\d{7,15}|\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b")


# -- suppression -----------------------------------------------------------------------------

def suppression_keys(email: str | None, phone: str | None, secret: bytes) -> list[str]:
    """The suppression entries' keys of an e-mail and a phone: HMAC-SHA256 under the team's
    secret (a plain hash of an address is reversed by hashing a list of addresses)."""
    out = []
    for kind, value in (("email", email_key(email)), ("phone", phone)):
        if value:
            out.append(SUPPRESSION_PREFIX + hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest())
    return out


def suppress_erased(lead: dict, at: str) -> dict:
    """A new lead who is a person erased before: suppressed on every channel. No grant lifts it
    (domain/consent.py lifts only what a person chose), so no form or import re-consents them."""
    out = dict(lead)
    out["suppressed"] = {**(lead.get("suppressed") or {}),
                         **{ch: {"reason": ERASED, "at": at, "source": "erasure request"} for ch in consent.CHANNELS}}
    return out


# -- what stays after an erasure ---------------------------------------------------------------

def needles(lead: dict | None) -> list[str]:
    """What names the person in free text: names, e-mail, phone (also without its +1)."""
    lead = lead or {}
    phone = lead.get("phone") or ""
    found = [lead.get("first_name"), lead.get("last_name"), lead.get("email"), phone,
             phone[2:] if phone.startswith("+1") else None]
    return [n for n in found if isinstance(n, str) and len(n.strip()) >= 2]


def redact(value, words: list[str] = ()):
    """Free text (a string, or the strings in a list or dict) cleared of e-mail addresses, phone
    numbers and ``words`` (case-insensitive, whole words). Never for times or ids."""
    if isinstance(value, dict):
        return {k: redact(v, words) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, words) for v in value]
    if not isinstance(value, str):
        return value
    text = _PHONE.sub(MARK, _EMAIL.sub(MARK, value))
    for word in words:
        text = re.sub(rf"(?<!\w){re.escape(word.strip())}(?!\w)", MARK, text, flags=re.IGNORECASE)
    return text


def reason_code(reason: str | None) -> str | None:
    """A decision's reason without its detail: what comes before the first colon ("exited",
    "cap", "regz", "retrying after attempt 2"); the detail may quote the lead."""
    if not reason:
        return reason
    return reason.split(":", 1)[0].strip()[:120]


def _kept(doc: dict, fields: tuple[str, ...]) -> dict:
    return {k: doc[k] for k in fields if k in doc}


def scrub_touch(touch: dict, words: list[str] = ()) -> dict:
    """A touch record as an erasure leaves it (the store's shape: the doc, status and history)."""
    out = _kept(touch, TOUCH_KEPT)
    if "reason" in touch:
        out["reason"] = redact(reason_code(touch["reason"]), words)
    out["history"] = [{"status": h.get("status"), "at": h.get("at"),
                       "reason": redact(reason_code(h.get("reason")), words) or ""}
                      for h in touch.get("history") or []]
    return out


def scrub_item(item: dict, words: list[str] = ()) -> dict:
    """A timeline item as an erasure leaves it; a tombstone stays as it is."""
    if item.get("kind") == ERASED:
        return item
    out = _kept(item, ITEM_KEPT)
    if "reason" in item:
        out["reason"] = redact(reason_code(item["reason"]), words)
    data = item.get("data")
    if isinstance(data, dict):
        out["data"] = {k: redact(v, words) for k, v in _kept(data, ITEM_DATA_KEPT).items()
                       if v is None or isinstance(v, (str, bool, int, float))}
    return out


def scrub_task(task: dict) -> dict:
    """A task as an erasure leaves it: no title, talking points or note; an open one expires."""
    out = _kept(task, TASK_KEPT)
    if out.get("status") == "open":
        out.update(status="expired", expired_reason=ERASED)
    return out


def tombstone(lead: dict, at: str, by: str, reason: str | None = None) -> dict:
    """The timeline item an erasure leaves: who, when, why, and the consent ledger's evidence
    with nothing that names the person (a TCPA claim about texts sent before is answered from it,
    found through the phone's suppression key)."""
    words = needles(lead)
    records = [{**_kept(r, CONSENT_KEPT), "source": redact(r.get("source"), words), "text": redact(r.get("text"), words)}
               for r in lead.get("consent_records") or []]
    item = {"at": at, "kind": ERASED, "by": by, "reason": redact(reason or "", words) or None,
            "lo_id": lead.get("lo_id"), "created_at": lead.get("created_at"),
            "suppressed": [k for k in ("email", "phone") if lead.get(k)],
            "consent_records": records}
    return item


def traces(value, words: list[str]) -> list[str]:
    """The ``words`` found anywhere in ``value`` (any case): an erasure's check on itself."""
    text = repr(value).lower()
    return [w for w in words if w.lower() in text]


# -- the record ------------------------------------------------------------------------------

def _sent_at(touch: dict) -> str | None:
    return next((h["at"] for h in touch.get("history") or [] if h.get("status") == "sent"), None)


def sent_touch(touch: dict, content: dict | None, problem: str | None) -> dict:
    """One touch sent, for the record: what went, when, from which template, and its content
    re-rendered from that template for the lead (``rerendered``): the subject is as sent."""
    out = {"touch_id": touch["touch_id"], "sequence": touch.get("sequence"), "step": touch.get("step"),
           "channel": touch.get("channel"), "to": touch.get("to_role", "borrower"), "kind": touch.get("kind"),
           "sent_at": _sent_at(touch) or touch.get("at"), "template": touch.get("template"),
           "template_version": touch.get("template_version"), "subject": touch.get("subject"),
           "exempt": touch.get("exempt"), "content": content, "rerendered": True}
    if touch.get("personalised"):
        out["personalised"] = True  # the wording sent had an AI part the template does not re-create
    if problem:
        out["content_problem"] = problem
    return out


def decisions_not_to_send(touches: list[dict]) -> list[dict]:
    """Every recorded decision not to send (deferred, suppressed, held, failed, retried), oldest first."""
    out = [{"touch_id": t["touch_id"], "sequence": t.get("sequence"), "step": t.get("step"),
            "channel": t.get("channel"), "at": h.get("at"), "status": h.get("status"), "reason": h.get("reason") or None}
           for t in touches for h in t.get("history") or [] if h.get("status") in NOT_SENT]
    return sorted(out, key=lambda d: d["at"] or "")


def profile(lead: dict) -> dict:
    """The lead's own fields (the consent ledger and suppressions go in their own section)."""
    return {k: v for k, v in lead.items() if not k.startswith("_") and k not in ("consent_records", "suppressed")}


def borrower_record(lead_id: str, lead: dict | None, touches: list[dict],
                    contents: dict[str, tuple[dict | None, str | None]], timeline: list[dict], tasks: list[dict],
                    erased: dict | None, at: str, by: str) -> dict:
    """The export: ``contents`` holds each sent touch's re-rendered content (or why not);
    ``timeline`` the assembled timeline; ``erased`` the tombstone when the lead was erased."""
    sent = [t for t in touches if _sent_at(t)]
    lead = lead or {}
    records = lead.get("consent_records") if lead else (erased or {}).get("consent_records")
    return {
        "lead_id": lead_id, "exported_at": at, "exported_by": by,
        "erased": {k: erased.get(k) for k in ("at", "by", "reason")} if erased else None,
        "profile": profile(lead) if lead else None,
        "consent": {"standing": consent.ledger(lead) if lead else {}, "records": list(records or []),
                    "suppressed": lead.get("suppressed") or {}},
        "touches_sent": sorted((sent_touch(t, *contents.get(t["touch_id"], (None, None))) for t in sent),
                               key=lambda s: s["sent_at"] or ""),
        "not_sent": decisions_not_to_send(touches),
        "timeline": timeline,
        "tasks": tasks,
    }
