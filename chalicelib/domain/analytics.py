"""Which sequences perform and where borrowers drop off: counters derived from what the
engine already decided, kept as things happen (no scans). Pure.

Each counter is (sequence, step, name); step "_sequence" holds the sequence-level totals.
"""
from __future__ import annotations

COUNTERS = ("enrolled", "sent", "delivered", "opened", "machine_opens", "clicked", "replied", "converted",
            "opted_out", "bounced", "deferred", "suppressed", "failed", "completed", "exited")
WHOLE = "_sequence"
# A message that went as an e-mail from a text or call slot (its ``swap``: a note for a reader who
# cannot get texts, a message when the LO's days are full): the e-mail shares read it. A reason-style
# counter, not a declared attribute (store/stats.py reads every number on an item).
SENT_AS_EMAIL = "sent_as_email"
OPT_OUTS = ("sms_opt_out", "email_unsubscribed")
# Leaving nurture or an application nudge for a later pipeline stage is the conversion they exist for.
CONVERTING_STAGES = ("application_started", "application_submitted", "conditional_approval", "appraisal_ordered",
                     "clear_to_close", "funded")

Counter = tuple[str, str, str]


def from_enrollment_items(items: list[dict], steps_at: dict[str, str | None]) -> list[Counter]:
    """Enrolled / completed / exited (and converted, opted out) from enrollment timeline items.
    ``steps_at`` maps enrollment id -> the step it was at, so exits show where people left."""
    out: list[Counter] = []
    for i in items:
        if i.get("kind") != "enrollment":
            continue
        seq, action, reason = i["sequence"], i["action"], i.get("reason") or ""
        if action in ("enrolled", "completed"):
            out.append((seq, WHOLE, action))
        elif action == "exited":
            step = steps_at.get(i["enrollment_id"]) or WHOLE
            out.append((seq, WHOLE, "exited"))
            if step != WHOLE:
                out.append((seq, step, "exited"))
            if reason == "converted" or (reason.startswith("stage:") and reason[6:] in CONVERTING_STAGES):
                out.append((seq, WHOLE, "converted"))
            elif reason == "opted_out":
                out.append((seq, WHOLE, "opted_out"))
    return out


def from_event(event_type: str, data: dict, live_sequences: list[str]) -> list[Counter]:
    """Opens, clicks, replies, opt-outs and bounces, credited to the touch's step when known,
    else to the sequences the lead was in."""
    seq, step = data.get("sequence"), data.get("step")
    machine = bool(data.get("machine"))
    targets = [(seq, step)] if seq and step else [(s, WHOLE) for s in live_sequences]
    name = None
    if event_type == "email_opened":
        name = "machine_opens" if machine else "opened"
    elif event_type == "link_clicked" and not machine:
        name = "clicked"
    elif event_type in ("email_replied", "sms_replied"):
        name = "replied"
    elif event_type in OPT_OUTS:
        name = "opted_out"
    elif event_type in ("email_bounced", "email_complained"):
        name = "bounced"
    return [(s, st, name) for s, st in targets if name]


def from_schedule(sends: list[dict], decisions: list[dict]) -> list[Counter]:
    out = [(t["sequence"], t["step"], "sent") for t in sends]
    out += [(t["sequence"], t["step"], SENT_AS_EMAIL) for t in sends
            if t.get("channel") == "email" and (t.get("instead_of_text") or t.get("instead_of_call"))]
    for d in decisions:
        if d["status"] in ("deferred", "suppressed"):
            # the decision, and the decision with its reason ("deferred_cap"): why touches wait
            out += [(d["sequence"], d["step"], d["status"]), (d["sequence"], d["step"], reason_counter(d))]
    return out


def reason_counter(decision: dict) -> str:
    reason = "".join(c for c in (decision.get("reason") or "other").split(":")[0] if c.isalnum() or c == "_")
    return f"{decision['status']}_{reason or 'other'}"


def aggregate(counters: list[Counter]) -> dict[tuple[str, str], dict[str, int]]:
    """Group counters per (sequence, step): one write per item."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for seq, step, name in counters:
        bucket = out.setdefault((seq, step), {})
        bucket[name] = bucket.get(name, 0) + 1
    return out


def report(rows: list[dict], names: dict[str, str], step_order: dict[str, list[str]]) -> list[dict]:
    """Per sequence: totals and the step funnel, with rates a marketer reads."""
    by_seq: dict[str, dict] = {}
    for row in rows:
        seq = by_seq.setdefault(row["sequence"], {"steps": {}, "totals": {}})
        target = seq["totals"] if row["step"] == WHOLE else seq["steps"].setdefault(row["step"], {})
        for name in COUNTERS + (SENT_AS_EMAIL,):
            if row.get(name):
                target[name] = target.get(name, 0) + row[name]
    out = []
    for seq_id, seq_name in names.items():
        data = by_seq.get(seq_id, {"steps": {}, "totals": {}})
        steps = []
        for step in step_order.get(seq_id, []):
            c = {n: data["steps"].get(step, {}).get(n, 0) for n in COUNTERS + (SENT_AS_EMAIL,)}
            sent = c["sent"]
            c["open_rate"] = round(c["opened"] / sent, 3) if sent else None
            c["click_rate"] = round(c["clicked"] / sent, 3) if sent else None
            steps.append({"step": step, **c})
        totals = {n: data["totals"].get(n, 0) for n in COUNTERS}
        for n in ("sent", "opened", "machine_opens", "clicked", "replied", "deferred", "suppressed", "failed"):
            totals[n] = sum(s[n] for s in steps) + data["totals"].get(n, 0)
        totals["conversion_rate"] = round(totals["converted"] / totals["enrolled"], 3) if totals["enrolled"] else None
        # where people leave: the step with the most exits
        drop = max(steps, key=lambda s: s["exited"], default=None)
        out.append({"sequence": seq_id, "name": seq_name, "totals": totals, "steps": steps,
                    "most_exits_at": drop["step"] if drop and drop["exited"] else None})
    return out
