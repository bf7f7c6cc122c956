"""Reg Z (interim)."""
import re

_RATE = re.compile(r"\d+(?:\.\d+)?\s?%")


class RegZViolation(ValueError):
    pass


def rate_statements_without_apr(text):
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", text or ""):
        if _RATE.search(sentence) and "apr" not in sentence.lower() and "annual percentage rate" not in sentence.lower():
            if not re.search(r"%\s*(down|ltv|loan-to-value|financing|of)", sentence.lower()):
                out.append(sentence.strip()[:120])
    return out


def check(text):
    bad = rate_statements_without_apr(text)
    if bad:
        raise RegZViolation(bad)
