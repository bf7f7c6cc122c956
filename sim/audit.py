"""The simulator's compliance audit: read what was actually sent and check it against the rules.
Pure: plain records in, violations out. It re-derives each rule from the records (federal
calling hours, consent history, opt-outs, the cap, state daily limits, one send per touch)
instead of asking the engine's policy, so a policy bug shows up here.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.timezones import candidate_zones

DAILY_LIMIT_STATES = {"FL": 3, "OK": 3, "MD": 3}
# States whose calling window ends at 20:00 rather than the federal 21:00 (Fla. Stat. 501.059,
# 15 O.S. 775C.4, Md. Com. Law 14-4503, RCW 80.36.390); others: the federal 8:00-21:00.
EARLY_CLOSE_STATES = {"FL", "OK", "MD", "WA"}
# The cap is applied when a touch is scheduled; delivery follows within seconds (a minute at
# most when deployed), so the gap between two recorded send times may be that much shorter.
DELIVERY_SLACK = timedelta(minutes=2)
# OPT_OUT_SAME_SECOND: times are whole virtual seconds and the simulated borrowers answer a
# message in the second it arrives, so an opt-out or revocation stamped with a send's own second
# answered that send (or an earlier one). The local runtime applies every queued event, opt-outs
# included, before it delivers anything (chalicelib/local/runtime.drain), so a send after an
# opt-out always carries a later second and is caught.


def _sent_at(touch: dict) -> datetime | None:
    for h in touch.get("history") or []:
        if h["status"] == "sent":
            return datetime.fromisoformat(h["at"])
    return None


def _zones(lead: dict) -> tuple[str, ...]:
    explicit = None if lead.get("timezone_derived") else lead.get("timezone")
    return candidate_zones(explicit, lead.get("state"), lead.get("phone")) or ("America/New_York",)


def _consent_at(lead: dict, channel: str, at: datetime) -> bool | None:
    """The channel's consent as it stood at ``at`` (None: never recorded)."""
    state = None
    for rec in sorted((r for r in lead.get("consent_records", []) if r.get("channel") == channel),
                      key=lambda r: datetime.fromisoformat(r["at"])):
        if datetime.fromisoformat(rec["at"]) < at:  # same second: see OPT_OUT_SAME_SECOND
            state = bool(rec["granted"])
    return state


def audit(touches: list[dict], leads: dict[str, dict], sends_per_touch: Counter, cap_hours: int = 48) -> dict:
    violations: dict[str, list[str]] = defaultdict(list)
    by_lead: dict[str, list[tuple[datetime, dict]]] = defaultdict(list)
    for t in touches:
        at = _sent_at(t)
        # LO tasks are not touches to the borrower; keyword answers (the one STOP confirmation,
        # HELP) answer the borrower's own text, at any hour and whatever the consent.
        if at is None or t.get("channel") == "task" or t.get("sequence") == "system":
            continue
        lead = leads[t["lead_id"]]
        by_lead[t["lead_id"]].append((at, t))
        channel, marketing = t["channel"], t.get("kind") != "transactional"
        where = f"{t['touch_id']} {channel} at {at.isoformat()}"
        if channel in ("sms", "voice"):
            close = 20 if (lead.get("state") or "") in EARLY_CLOSE_STATES else 21
            for zone in _zones(lead):
                local = at.astimezone(ZoneInfo(zone))
                if not 8 <= local.hour < close:
                    violations["calling_hours"].append(f"{where} is {local:%H:%M} in {zone}")
                    break
            consent = _consent_at(lead, channel, at)
            if consent is False or (marketing and consent is not True):
                violations["consent"].append(f"{where}: consent {consent}")
        if channel == "email" and marketing:
            sup = (lead.get("suppressed") or {}).get("email")
            if sup and datetime.fromisoformat(sup["at"]) < at:  # same second: see OPT_OUT_SAME_SECOND
                violations["opted_out_email"].append(f"{where} after {sup['reason']} at {sup['at']}")
    for lead_id, sends in by_lead.items():
        borrower = sorted(((at, t) for at, t in sends if t["channel"] != "partner_email"), key=lambda x: (x[0], x[1]["touch_id"]))
        for i, (at, t) in enumerate(borrower):
            capped = t.get("kind") != "transactional" and not (t.get("hot") or t.get("immediate"))
            if capped and i and at - borrower[i - 1][0] < timedelta(hours=cap_hours) - DELIVERY_SLACK:
                prev = borrower[i - 1][1]
                violations["cap"].append(f"{t['touch_id']} {at - borrower[i - 1][0]} after {prev['touch_id']} "
                                         f"({prev['channel']}, {prev.get('kind')}{', hot' if prev.get('hot') else ''}"
                                         f"{', immediate' if prev.get('immediate') else ''})")
        limit = DAILY_LIMIT_STATES.get(leads[lead_id].get("state") or "")
        if limit:
            calls = [at for at, t in borrower if t["channel"] in ("sms", "voice") and t.get("kind") != "transactional"]
            for i, at in enumerate(calls):
                if len([x for x in calls[i:] if x - at < timedelta(hours=24)]) > limit:
                    violations["state_daily_limit"].append(f"lead {lead_id}: over {limit} from {at.isoformat()}")
                    break
    for touch_id, n in sends_per_touch.items():
        if n > 1:
            violations["sent_twice"].append(f"{touch_id} sent {n} times")
    return {"violations": {k: len(v) for k, v in violations.items()},
            "examples": {k: v[:3] for k, v in violations.items()},
            "total": sum(len(v) for v in violations.values())}
