"""A lead's timeline, assembled from what the stores hold: pure."""
from __future__ import annotations


def touch_items(touches: list[dict]) -> list[dict]:
    """Every recorded decision of a touch (deferred, suppressed, sent, failed...) is an item."""
    out = []
    for t in touches:
        for h in t.get("history") or [{"status": t["status"], "at": t["at"], "reason": t.get("reason", "")}]:
            item = {
                "at": h["at"], "kind": "touch", "touch_id": t["touch_id"], "sequence": t.get("sequence"),
                "step": t.get("step"), "channel": t.get("channel"), "status": h["status"],
                "reason": h.get("reason") or None, "to": t.get("to_role", "borrower"),
                # why a sent touch did not wait for the cap (domain/decision.py EXEMPTIONS)
                "exempt": t.get("exempt") if h["status"] == "sent" else None,
            }
            if h["status"] == "sent" and t.get("template_version"):  # the words it went with (issue 27)
                item["template_version"] = t["template_version"]
            for instead in ("instead_of_call", "instead_of_text"):  # a slot's swap: why this went in its place
                if t.get(instead):
                    item[instead] = t[instead]
            if h["status"] == "sent" and "personalised" in t:  # AI wording used, or why the template went
                item["personalised"] = t["personalised"]
                if t.get("personal_reason"):
                    item["personal_reason"] = t["personal_reason"]
            out.append(item)
    return out


def scheduled_items(enrollments: list[dict]) -> list[dict]:
    """The next touch each active enrollment will make, shown as scheduled."""
    out = []
    for e in enrollments:
        nxt = e.get("next_touch")
        if e.get("status") == "active" and e.get("due_at") and nxt:
            out.append({"at": e["due_at"], "kind": "touch", "touch_id": nxt["touch_id"],
                        "sequence": e["sequence"], "step": nxt["step"], "channel": nxt["channel"],
                        "status": "scheduled", "reason": None, "to": nxt.get("to_role", "borrower"),
                        "exempt": None})
    return out


def assemble(items: list[dict], touches: list[dict], enrollments: list[dict]) -> list[dict]:
    merged = list(items) + touch_items(touches) + scheduled_items(enrollments)
    return sorted(merged, key=lambda i: i["at"])
