"""Sends paced to the team's provider limits. Pure.

SES has an account send rate (14 a second in a new production account) and every SMS
origination number a throughput (a few messages a second for 10DLC and toll-free numbers). A
burst (a monthly update to 10,000 past clients at 09:00) would otherwise meet them as
throttling errors and backoff. The minute scheduler releases at most what the rates allow in
its minute, in priority order: answers to the lead's own action, hot signals and
transactional updates first, then by due time. What does not fit stays due, untouched, and is
planned again next minute (so quiet hours, the cap and consent are checked again for it);
nothing is dropped and nothing is queued twice. Within the minute each released touch is
delayed on the queue by its place in line, so the deliverer meets the rate per second too.
"""
from __future__ import annotations

from collections import Counter

DEFAULT_RATES = {"email_per_second": 14, "sms_per_second": 1, "voice_per_second": 1}
RATE_CHANNEL = {"email": "email", "partner_email": "email", "sms": "sms", "voice": "voice"}  # tasks: no limit
MINUTE = 60


def per_minute(rates: dict | None, sms_numbers: int = 1) -> dict[str, int]:
    """What one scheduler minute may release, per rate channel."""
    r = {**DEFAULT_RATES, **(rates or {})}
    return {"email": int(r["email_per_second"] * MINUTE),
            "sms": int(r["sms_per_second"] * max(1, sms_numbers) * MINUTE),
            "voice": int(r["voice_per_second"] * MINUTE)}


def urgent(order: dict) -> bool:
    return bool(order.get("immediate") or order.get("hot") or order.get("kind") == "transactional")


def demand(sends: list[dict]) -> Counter:
    return Counter(RATE_CHANNEL[s["channel"]] for s in sends if s["channel"] in RATE_CHANNEL)


def release(plans: list[list[dict]], budget: dict[str, int]) -> tuple[list[int], dict[str, int]]:
    """Which plans (each a lead's touch orders to send now) fit the minute's budget, urgent
    ones first, then the longest waiting. A lead's plan goes whole or not at all (its writes
    are one transaction). Returns the released indexes and the budget left."""
    left = dict(budget)
    order = sorted(range(len(plans)), key=lambda i: (
        not any(urgent(s) for s in plans[i]), min((s.get("due_at") or "" for s in plans[i]), default="")))
    released = []
    for i in order:
        need = demand(plans[i])
        if all(left.get(c, 0) >= n for c, n in need.items()):
            for c, n in need.items():
                left[c] -= n
            released.append(i)
    return sorted(released), left


def delays(orders: list[dict], rates: dict | None, sms_numbers: int = 1) -> list[int]:
    """Seconds each released order waits on the queue so sends go out at the rate per second:
    the first second's worth at once, the next second's a second later, and so on."""
    r = {**DEFAULT_RATES, **(rates or {})}
    per_second = {"email": r["email_per_second"], "sms": r["sms_per_second"] * max(1, sms_numbers),
                  "voice": r["voice_per_second"]}
    seen: Counter = Counter()
    out = []
    for o in orders:
        channel = RATE_CHANNEL.get(o["channel"])
        if channel is None:
            out.append(0)
            continue
        out.append(min(MINUTE - 1, int(seen[channel] // max(per_second[channel], 1e-9))))
        seen[channel] += 1
    return out
