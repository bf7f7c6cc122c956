"""SMS keywords (interim)."""
import re

STOP = {"stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe", "stopall", "arret", "optout", "remove", "td"}


def classify_sms(body):
    text = re.sub(r"[^a-z ]", "", (body or "").lower()).strip()
    if text in STOP or any(w in text.split() for w in ("stop",)):
        return "stop"
    if text in ("help", "info"):
        return "help"
    if text in ("start", "unstop", "yes"):
        return "start"
    return "none"


def is_email_unsubscribe_reply(subject, body):
    return "unsubscribe" in (subject + " " + (body or "").split("\n")[0]).lower()
