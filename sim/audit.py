"""The simulator's compliance audit: read what was actually sent and check it against the rules.
Pure: plain records in, violations out. It re-derives each rule from the records (federal
calling hours, consent history, opt-outs, the cap, state daily limits, one send per touch)
instead of asking the engine's policy, so a policy bug shows up here.

Two more checks hold the engine to its delivery promise, whatever failed on the way (a run
with ``--faults``): each due touch reaches the borrower at most once, and none is lost.

``sent_twice``: a touch id in more than one message the provider took (the ``X-Touch-Id`` of
the mail kept by the stand-in), a touch record that says "sent" twice, one step of one
enrollment sent under two touch ids (same lead, sequence, step and due time), or more texts to
a phone than text touches of its lead that went or may have gone (a text carries no touch id:
SNS keeps the number and the words, so texts are reconciled by count; a touch failed as
"interrupted" or "no answer" may have gone, and is never resent).

``lost``: a touch that was due and never reached a final status with a reason. Final: sent,
suppressed, failed (with its reason: a permanent refusal, "interrupted", "dead-lettered after
attempt 5"). Not final: ``sending`` (claimed, never settled), ``retrying``, a ``deferred``
touch that had been queued, a queued touch with no record at all, a touch its enrollment
numbered (``<enrollment>.<n>`` up to its ``touch_no``) that was neither queued nor recorded (a
scheduler run whose write went in and whose queueing never happened); a touch recorded as sent
that never left (its e-mail is not in the outbox, fewer texts than sent text touches), a
message on a dead-letter queue without a recorded failure (every event there: an event has no
record of its own, so a dead-lettered event was never applied), and a scheduled invocation
dropped after Lambda's retries (a night's sweep never ran). A touch whose order is still on
the touches queue at the end (a quiet-hours deferral waiting for the morning) is ``pending``,
not lost: it is reported, and the simulator lets the queues settle before auditing a faulted
run.
"""
from __future__ import annotations

import json
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
# A delivery that failed and was retried (a throttled write, a crashed batch: a run with faults)
# lands later than the scheduler decided, by its retry delays; the cap was applied at the
# scheduler's decision, so the gap after a touch sent at a later attempt is measured from its
# due time, crediting at most RETRY_SLACK_MAX (the longest backoff). A touch sent at its first
# attempt gets no credit.
RETRY_SLACK_MAX = timedelta(minutes=15)
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


def _retry_delay(touch: dict, sent: datetime) -> timedelta:
    """How much later than its due time a touch sent at a later attempt went (at most
    RETRY_SLACK_MAX); zero for a touch sent at its first attempt."""
    if int(touch.get("attempt") or 1) <= 1 or not touch.get("due_at"):
        return timedelta(0)
    return min(max(sent - datetime.fromisoformat(touch["due_at"]), timedelta(0)), RETRY_SLACK_MAX)


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


FINAL = ("sent", "suppressed", "failed")
# Failed touches that may have gone all the same (services/deliver.py): the process died between
# claim and "sent" mark ("interrupted"), or the provider never answered a send ("no answer").
# Neither is resent, so each may account for one text the provider took.
MAY_HAVE_GONE = ("interrupted", "no answer")
# Scheduled functions whose next run does what a dropped one did not (the counters' roll-up adds
# every closed day it has not added yet); a dropped sweep's day is not swept again.
CATCHES_UP = ("sweep_counters", "sweep_lo_days")  # the next night does the missed work


def _reason(touch: dict) -> str:
    return touch.get("reason") or next((h.get("reason") for h in reversed(touch.get("history") or [])
                                         if h["status"] == touch["status"]), "") or ""


def order_ids(body: str) -> list[str]:
    """The touch ids a touches-queue message carries (packed ``{"orders": [...]}`` or one order)."""
    try:
        doc = json.loads(body)
        return [o["touch"]["touch_id"] for o in (doc["orders"] if "orders" in doc else [doc])]
    except (ValueError, KeyError, TypeError):
        return []


def sent_twice(touches: list[dict], leads: dict[str, dict], sends_per_touch: Counter,
               outbox: list[dict] | None = None) -> list[str]:
    found = [f"{touch_id} sent {n} times" for touch_id, n in sends_per_touch.items() if n > 1]
    steps: dict[tuple, set[str]] = defaultdict(set)
    texts_recorded: Counter = Counter()
    for t in touches:
        sends = [h for h in t.get("history") or [] if h["status"] == "sent"]
        if len(sends) > 1:
            found.append(f"{t['touch_id']}: its record says sent {len(sends)} times")
        if not sends:
            if t.get("channel") == "sms" and t.get("status") == "failed" and _reason(t).startswith(MAY_HAVE_GONE):
                texts_recorded[(leads.get(t["lead_id"]) or {}).get("phone")] += 1
            continue
        if t.get("sequence") and t.get("step") and t.get("due_at"):
            steps[(t["lead_id"], t.get("enrollment_id"), t["sequence"], t["step"], t["due_at"])].add(t["touch_id"])
        if t.get("channel") == "sms":
            texts_recorded[(leads.get(t["lead_id"]) or {}).get("phone")] += 1
    for (lead_id, _, sequence, step, due), ids in steps.items():
        if len(ids) > 1:
            found.append(f"lead {lead_id}: {sequence}/{step} due {due} sent as {sorted(ids)}")
    if outbox is not None:
        texts = Counter(m["to"] for m in outbox if m["channel"] == "sms")
        for phone, n in texts.items():
            if n > texts_recorded[phone]:
                found.append(f"{n} texts to {phone}, {texts_recorded[phone]} sent text touches "
                             "(with those failed that may have gone)")
    return found


def lost(touches: list[dict], leads: dict[str, dict], *, outbox: list[dict] | None = None,
         queued: set[str] | None = None, pending: set[str] = frozenset(),
         dead_letters: dict[str, list[str]] | None = None, dropped: list[dict] = (),
         planned: set[str] | None = None) -> list[str]:
    found = []
    by_id = {t["touch_id"]: t for t in touches}
    queued = set(queued or ())
    for tid in sorted(set(planned or ()) - set(by_id) - queued - set(pending)):
        found.append(f"{tid} planned by its enrollment, never queued nor recorded")
    for t in touches:
        tid, status = t["touch_id"], t.get("status") or ((t.get("history") or [{}])[-1].get("status"))
        if tid in pending:
            continue
        if status in ("sending", "retrying"):
            found.append(f"{tid} ({t.get('channel')}) left {status} since {t.get('at')}")
        elif status == "failed" and not _reason(t):
            found.append(f"{tid} failed without a reason")
        elif status == "deferred" and tid in queued:
            found.append(f"{tid} deferred on delivery at {t.get('at')} and never came back")
        elif status not in FINAL and status not in ("deferred", "held"):
            found.append(f"{tid} ended {status}")
    for tid in sorted(queued - set(by_id) - set(pending)):
        found.append(f"{tid} queued and never recorded")
    if outbox is not None:
        mailed = {m["touch_id"] for m in outbox if m["channel"] == "email"}
        texts = Counter(m["to"] for m in outbox if m["channel"] == "sms")
        recorded: Counter = Counter()
        for t in touches:
            if not any(h["status"] == "sent" for h in t.get("history") or []):
                continue
            if t.get("channel") in ("email", "partner_email") and t["touch_id"] not in mailed:
                found.append(f"{t['touch_id']} recorded sent, but no such e-mail left")
            if t.get("channel") == "sms":
                recorded[(leads.get(t["lead_id"]) or {}).get("phone")] += 1
        for phone, n in recorded.items():
            if texts[phone] < n:
                found.append(f"{n} sent text touches to {phone}, {texts[phone]} texts left")
    for body in (dead_letters or {}).get("touches", []):
        for tid in order_ids(body):
            t = by_id.get(tid) or {}  # another copy may have settled it: only an unsettled one is lost
            if t.get("status") not in FINAL or (t.get("status") == "failed" and not _reason(t)):
                found.append(f"{tid} on the dead-letter queue, recorded {t.get('status')!r} without its failure")
    for body in (dead_letters or {}).get("events", []):
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        found.append(f"event {event.get('event_id')} ({event.get('type')}) on the dead-letter queue: never applied")
    for d in dropped:
        if d["function"] not in CATCHES_UP:
            found.append(f"{d['function']} at {d['at']} dropped after {d['attempts']} attempts")
    return found


def audit(touches: list[dict], leads: dict[str, dict], sends_per_touch: Counter, cap_hours: int = 48, *,
          outbox: list[dict] | None = None, queued: set[str] | None = None, pending: set[str] = frozenset(),
          dead_letters: dict[str, list[str]] | None = None, dropped: list[dict] = (),
          planned: set[str] | None = None) -> dict:
    """The contact rules over every send, then ``sent_twice`` and ``lost`` (see above). Without
    ``outbox`` (what the provider took: ``{"channel": "email"|"sms", "touch_id", "to"}``),
    ``queued`` (every touch id put on the touches queue), ``pending`` (those still on it) and
    ``dead_letters`` (``{"touches": [...], "events": [...]}`` message bodies), only the records'
    own checks run."""
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
            if capped and i and at - borrower[i - 1][0] + _retry_delay(borrower[i - 1][1], borrower[i - 1][0]) \
                    < timedelta(hours=cap_hours) - DELIVERY_SLACK:
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
    twice = sent_twice(touches, leads, sends_per_touch, outbox)
    gone = lost(touches, leads, outbox=outbox, queued=queued, pending=pending, dead_letters=dead_letters,
                dropped=dropped, planned=planned)
    if twice:
        violations["sent_twice"] = twice
    if gone:
        violations["lost"] = gone
    return {"violations": {k: len(v) for k, v in violations.items()},
            "examples": {k: v[:3] for k, v in violations.items()},
            "total": sum(len(v) for v in violations.values()),
            "sent_twice": len(twice), "lost": len(gone), "pending": len(set(pending)),
            "queued": len(set(queued or ()))}
