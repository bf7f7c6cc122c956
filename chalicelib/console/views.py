"""What each console page shows, gathered from the repositories and put into words.

Reads stay O(page): tasks by LO through their index, leads by LO or stage a page at a time,
one lead's partitions, and the analytics counters (one Query per sequence). Nothing here scans
a table; nothing here decides anything the engine decides (the words come from ``words``).
"""
from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime, timedelta

from ..domain.consent import ledger
from ..api import json_body
from ..domain.lead import STAGES, name_fold, normalize_phone
from ..domain.timezones import derive_timezone, lead_zone
from ..services.context import Context
from . import words

PAGE = 25
_LEAD_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as services.leads makes them
HOT_SIGNAL_DAYS = 7
TASK_KINDS = {"call": "Hot signal", "reply": "They replied", "escalation": "No answer since the LO replied",
              "review": "Review", "check_in": "Check-in", "sequence": "Planned step"}


def team_zone(ctx: Context) -> str:
    """The zone the team works in (its first LO's phone), for times that are not a borrower's."""
    team = ctx.settings.team
    return derive_timezone(None, team.los[0].phone) or "America/Chicago"


def _name(lead: dict | None) -> str:
    if not lead:
        return "Unknown borrower"
    return " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p) or "Unnamed borrower"


def _sequence_name(sequence_id: str | None) -> str:
    from ..sequences.catalog import SEQUENCES

    seq = SEQUENCES.get(sequence_id or "")
    return seq.name if seq else (sequence_id or "").replace("_", " ")


# -- Today ------------------------------------------------------------------------------------

def today(ctx: Context, now: datetime, lo_id: str | None) -> dict:
    """Each LO's day ranked (services/lo_day.py): what cannot wait first, routine calls up to the
    LO's capacity, the capacity used, and what moved to another day and why."""
    from ..domain import lo_day as rules
    from ..services import lo_day as days

    team = ctx.settings.team
    los = [lo for lo in team.los if not lo_id or lo.id == lo_id]
    mine = [(lo, days.today(ctx, lo.id, now)) for lo in los]
    since = (now - timedelta(days=HOT_SIGNAL_DAYS)).isoformat()
    recent = [t for lo in los for t in ctx.tasks.recent(lo.id, since)]
    shown = [t for _, d in mine for t in d.items] + [m["task"] for _, d in mine for m in d.moved]
    leads = ctx.leads.get_many(list({t["lead_id"] for t in shown + recent})) if shown or recent else {}
    zone = team_zone(ctx)

    def card(t: dict) -> dict:
        due = t.get("due_at")
        lead = leads.get(t["lead_id"])
        why = TASK_KINDS.get(t.get("kind") or "", (t.get("kind") or "task").replace("_", " ").capitalize())
        if t.get("sequence"):
            why = f"{_sequence_name(t['sequence'])}: {t['step'].replace('_', ' ')}"
        cls = rules.priority_of(t)
        return {"task_id": t["task_id"], "title": t["title"], "hot": bool(t.get("hot")), "kind": t.get("kind"),
                "lead_id": t["lead_id"], "borrower": _name(lead), "lo": team.lo(t.get("lo_id")).name,
                "phone": (lead or {}).get("phone"), "phone_text": words.phone((lead or {}).get("phone")), "email": (lead or {}).get("email"),
                "points": [p for p in (t.get("body") or "").splitlines()], "why": why,
                "priority": cls, "priority_label": rules.LABELS[cls], "moved": t.get("moved"),
                "spanish": (lead or {}).get("language") == "es",  # the borrower prefers Spanish
                "due": words.when(due, zone, now), "due_in": words.relative(due, now),
                "overdue": bool(due and due < now.isoformat()), "status": t.get("status"),
                "created": words.when(t.get("created_at"), zone, now), "created_ago": words.relative(t.get("created_at"), now)}

    ranked = sorted((t for _, d in mine for t in d.items), key=rules.rank_key)
    hot = sorted((t for t in recent if t.get("hot") or t.get("kind") == "reply"),
                 key=lambda t: t["created_at"], reverse=True)[:10]
    return {"tasks": [card(t) for t in ranked], "signals": [card(t) for t in hot], "lo_id": lo_id or "",
            "days": [{"lo": lo.name, "used": d.used, "capacity": d.capacity, "upcoming": d.upcoming,
                      "urgent": sum(1 for t in d.items if rules.priority_of(t) != rules.ROUTINE)} for lo, d in mine],
            "moved": [{**card(m["task"]), "to": date.fromisoformat(m["to"]).strftime("%a %b %-d"), "reason": m["reason"]}
                      for _, d in mine for m in d.moved],
            "los": [{"id": lo.id, "name": lo.name} for lo in team.los], "zone": zone}


# -- Leads ------------------------------------------------------------------------------------

def _encode(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> dict:
    if not cursor:
        return {}
    try:  # the API's one parser: a forged cursor nested thousands deep is a first page, not a 500
        return json_body.parse(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), "cursor")
    except ValueError:  # a ValidationError too
        return {}


def _listing(ctx: Context, lo_id: str | None, stage: str | None, cursor: str | None) -> tuple[list[dict], str | None]:
    """One page of leads, newest first, from the LO or stage index; without either, one page
    from each LO's index (the roster is small), so no listing ever scans the table."""
    if lo_id or stage:
        try:
            return ctx.leads.list(lo_id, stage, PAGE, cursor)
        except ValueError:
            return ctx.leads.list(lo_id, stage, PAGE, None)
    state = _decode(cursor)
    items, nxt = [], {}
    for lo in ctx.settings.team.los:
        mine = state.get(lo.id, "") if cursor else ""
        if mine is None:
            continue  # this LO's leads are all shown
        try:
            got, more = ctx.leads.list(lo.id, None, PAGE, mine or None)
        except ValueError:
            got, more = [], None
        items += got
        nxt[lo.id] = more
    items.sort(key=lambda lead: lead.get("created_at") or "", reverse=True)
    return items, (_encode(nxt) if any(nxt.values()) else None)


def _contact(ctx: Context, ref: str) -> tuple[bool, str | None]:
    """Whether ``ref`` is an e-mail address or a phone number, and the lead it belongs to:
    one read of the identities the leads table keeps for duplicates, never a search."""
    if "@" in ref:
        return True, ctx.leads.find_duplicate(ref, None)
    phone = normalize_phone(ref) if sum(c.isdigit() for c in ref) >= 7 and not _LEAD_ID.fullmatch(ref) else None
    if phone:
        return True, ctx.leads.find_duplicate(None, phone)
    return False, None


def find_leads(ctx: Context, q: str, lo_id: str | None, stage: str | None, cursor: str | None,
               book: str | None = None) -> dict:
    """``book``: the one LO whose leads the viewer may see (an LO's own), whatever ``lo_id`` says."""
    q = (q or "").strip()
    stage = stage if stage in STAGES else None
    lo_id = book if book is not None else (lo_id if lo_id and ctx.settings.team.has_lo(lo_id) else None)
    is_contact, exact = _contact(ctx, q)
    if is_contact:
        found = [lead for lead in [ctx.leads.get(exact)] if lead and (not lo_id or lead.get("lo_id") == lo_id)] \
            if exact else []
        return _lead_rows(ctx, found, q, lo_id, stage, None, searched="exact")
    if q:
        ids = _by_name(ctx, q, lo_id, stage)
        found = ctx.leads.get_many(ids) if ids else {}
        leads = [found[i] for i in ids if i in found]
        one_word = len(name_fold(q).split()) == 1  # it may be a first name: the index sorts by last
        if one_word and len(leads) < NAME_HITS:
            leads += [lead for lead in _page_matches(ctx, q, lo_id, stage) if lead["lead_id"] not in found]
        return _lead_rows(ctx, leads[:NAME_HITS], q, lo_id, stage, None, searched="name",
                          more=len(leads) >= NAME_HITS, first_name=one_word)
    items, nxt = _listing(ctx, lo_id, stage, cursor)
    return _lead_rows(ctx, items, q, lo_id, stage, nxt, searched="")


NAME_HITS = 50


def _by_name(ctx: Context, q: str, lo_id: str | None, stage: str | None) -> list[str]:
    """The leads whose name matches ``q`` across the whole book, in name order, of the LO and
    stage when given: typed last name first ("garcia", "garcia ma"), or first name first
    ("maria garcia", "jose garcia nunez": each way of cutting the words into first and last
    name, read as "last first"); then, when that finds few, a last name typed in part ("jose
    garcia" for José García-Núñez: the last names starting "garcia", the first 500 of them,
    holding the first name). One Query per reading, at most four words."""
    words = name_fold(q).split()[:4]
    cuts = range(1, len(words))
    ids: list[str] = []
    for prefix in [" ".join(words)] + [" ".join(words[cut:] + words[:cut]) for cut in cuts]:
        ids += [lead_id for lead_id, _ in ctx.leads.names(prefix, NAME_HITS, lo_id, stage)]
    for cut in cuts:
        if len(set(ids)) >= NAME_HITS:
            break
        first = " " + " ".join(words[:cut])
        ids += [lead_id for lead_id, name in ctx.leads.names(" ".join(words[cut:]), 10 * NAME_HITS, lo_id, stage)
                if first in name]
    return list(dict.fromkeys(ids))[:NAME_HITS]


def _page_matches(ctx: Context, q: str, lo_id: str | None, stage: str | None) -> list[dict]:
    """Leads among the newest page whose first name starts with the word typed."""
    items, _ = _listing(ctx, lo_id, stage, None)
    word = name_fold(q)
    return [lead for lead in items if name_fold(lead.get("first_name")).startswith(word)]


def _lead_rows(ctx, leads, q, lo_id, stage, cursor, searched, more: bool = False, first_name: bool = False) -> dict:
    team = ctx.settings.team
    rows = [{"lead_id": lead["lead_id"], "name": _name(lead), "email": lead.get("email"),
             "phone": words.phone(lead.get("phone")),
             "stage": lead.get("stage"), "lo": team.lo(lead.get("lo_id")).name, "state": lead.get("state"),
             "created": (lead.get("created_at") or "")[:10]} for lead in leads]
    return {"rows": rows, "q": q, "lo_id": lo_id or "", "stage": stage or "", "cursor": cursor, "searched": searched,
            "more": more, "first_name": first_name,
            "los": [{"id": lo.id, "name": lo.name} for lo in team.los], "stages": list(STAGES)}


# -- One lead ---------------------------------------------------------------------------------

BADGES = {"deferred": "Waiting", "suppressed": "Not sent", "held": "Held", "failed": "Failed"}


def lead_page(ctx: Context, lead_id: str, now: datetime) -> dict | None:
    from ..domain import timeline as timeline_rules
    from ..sequences.catalog import SEQUENCES

    lead = ctx.leads.get(lead_id)
    if lead is None:
        return None
    team = ctx.settings.team
    zone = lead_zone(lead)
    enrollments = ctx.enrollments.for_lead(lead_id)
    touches = ctx.touches.for_lead(lead_id)
    by_touch = {t["touch_id"]: t for t in touches}
    items = timeline_rules.assemble(ctx.timeline.list(lead_id), touches, enrollments)
    sent_content = _sent_content(ctx, lead, touches)
    timeline = []
    for item in reversed(items):
        entry = {"at": words.when(item["at"], zone, now), "ago": words.relative(item["at"], now), "kind": item["kind"],
                 "status": item.get("status") or item.get("action") or item.get("type") or "",
                 "held": False, "badge": None, "machine": False, "where": None, "content": None}
        if item["kind"] == "touch":
            touch = by_touch.get(item.get("touch_id") or "", {})
            entry["text"] = words.decision_in_words(item, lead, touch, zone, team.cap_hours, now)
            entry["where"] = f"{_sequence_name(item.get('sequence'))}: {(item.get('step') or '').replace('_', ' ')}"
            if item.get("status") == "sent":
                entry["content"] = sent_content.get(item.get("touch_id"))
            entry["held"] = item.get("status") in BADGES
            entry["badge"] = BADGES.get(item.get("status") or "")
        elif item["kind"] == "event":
            about = by_touch.get((item.get("data") or {}).get("touch_id") or "", {})
            entry["text"] = words.event_in_words(item, about.get("subject"))
            entry["machine"] = bool(item.get("machine"))
        elif item["kind"] == "enrollment":
            entry["text"] = words.enrollment_in_words(item, _sequence_name(item.get("sequence")))
        else:
            entry["text"] = f"Task {'done' if item.get('status') == 'done' else 'created'}: {item.get('title')}"
        timeline.append(entry)

    live = []
    for e in sorted(enrollments, key=lambda x: x.get("entered_at") or "", reverse=True):
        nxt = e.get("next_touch") or {}
        wait = e.get("wait") or {}
        plan = None
        if e.get("status") == "active" and nxt and e.get("due_at"):
            noun = words.channel_noun(nxt.get("channel")) + (" or a note by e-mail" if nxt.get("or_email") else "")
            plan = f"Next: {noun} ({nxt['step'].replace('_', ' ')}), " \
                   f"{words.when(e['due_at'], zone, now)} ({words.relative(e['due_at'], now)})"
        elif e.get("status") == "active" and wait:
            plan = f"Waiting until {words.when(wait.get('until'), zone, now)} to see if they " \
                   f"{'open' if wait.get('event') == 'email_opened' else 'respond to'} " \
                   f"{(wait.get('of') or 'the last message').replace('_', ' ')}"
        elif e.get("status") == "paused":
            plan = "Paused: nothing goes until it is resumed."
        if e.get("held_off"):
            plan = "Held: this sequence is turned off. Nothing goes until it is turned back on."
        live.append({"enrollment_id": e["enrollment_id"], "sequence": e["sequence"],
                     "name": _sequence_name(e["sequence"]), "status": e.get("status"),
                     "started": words.when(e.get("entered_at"), zone, now), "plan": plan,
                     "exit_reason": e.get("exit_reason"), "live": e.get("status") in ("active", "paused"),
                     "known": e["sequence"] in SEQUENCES})
    tasks = sorted(ctx.tasks.list(None, None, lead_id), key=lambda t: t["created_at"], reverse=True)
    return {"lead": _profile(ctx, lead, zone), "consent": _consent(lead, zone, now), "enrollments": live,
            "timeline": timeline, "tasks": [{"task_id": t["task_id"], "title": t["title"], "status": t["status"],
                                              "hot": bool(t.get("hot")),
                                              "due": words.when(t.get("due_at"), zone, now)} for t in tasks],
            "stages": list(STAGES), "zone": zone}


def _profile(ctx: Context, lead: dict, zone: str) -> dict:
    loan = lead.get("loan") or {}
    realtor = lead.get("realtor") or {}
    loan_words = ", ".join(str(p) for p in (
        (loan.get("type") or "").upper() if loan.get("type") in ("fha", "va", "usda") else (loan.get("type") or ""),
        (loan.get("purpose") or "").replace("_", " "),
        f"${loan['amount']:,.0f}" if isinstance(loan.get("amount"), (int, float)) else "",
        f"note rate {loan['rate']}%" if loan.get("rate") else "",
        f"funded {loan['funded_on']}" if loan.get("funded_on") else "") if p)
    return {"lead_id": lead["lead_id"], "name": _name(lead), "first_name": lead.get("first_name"),
            "email": lead.get("email"), "phone": lead.get("phone"), "phone_text": words.phone(lead.get("phone")),
            "state": words.state_name(lead.get("state")),
            "zone": zone, "stage": lead.get("stage"), "lo": ctx.settings.team.lo(lead.get("lo_id")).name,
            "source": lead.get("source"), "birthday": lead.get("birthday"), "loan": loan_words,
            "language": lead.get("language") if lead.get("language") in ("en", "es") else "en",
            "realtor": " \u00b7 ".join(p for p in (realtor.get("name"), realtor.get("email"), realtor.get("phone")) if p),
            "created": (lead.get("created_at") or "")[:10]}


def _consent(lead: dict, zone: str, now: datetime) -> dict:
    latest = ledger(lead)  # the one reading of consent, older suppression-only opt-outs included
    channels = []
    for ch in ("email", "sms", "voice"):
        rec = latest.get(ch)
        channels.append({"channel": ch, "label": words.channel(ch), "granted": bool(rec and rec.get("granted")),
                         "recorded": bool(rec), "source": (rec or {}).get("source"),
                         "at": words.when((rec or {}).get("at"), zone, now)})
    history = [{"label": words.channel(r.get("channel")), "granted": bool(r.get("granted")), "source": r.get("source"),
                "text": r.get("text"), "at": words.when(r.get("at"), zone, now)}
               for r in reversed(lead.get("consent_records", []))]
    suppressed = [{"label": words.channel(ch), "reason": (rec or {}).get("reason", "").replace("_", " "),
                   "source": (rec or {}).get("source"), "at": words.when((rec or {}).get("at"), zone, now)}
                  for ch, rec in sorted((lead.get("suppressed") or {}).items())]
    return {"channels": channels, "history": history, "suppressed": suppressed}


SENT_CONTENT_LIMIT = 25


def _sent_content(ctx: Context, lead: dict, touches: list[dict]) -> dict[str, dict]:
    """What the newest sent messages said: the subject as sent, the words the model wrote when
    personalisation was used, and the template rendered again for this borrower (the engine
    keeps the subject and the personalised words, not every body it sent)."""
    from ..content.merge import build_context, lead_extras
    from ..content.render import Blocked, MergeError, render

    team = ctx.settings.team
    out = {}
    sent = sorted((t for t in touches if t.get("status") == "sent" and t.get("channel") in ("email", "sms",
                                                                                              "partner_email")),
                  key=lambda t: t.get("at") or "", reverse=True)[:SENT_CONTENT_LIMIT]
    for t in sent:
        try:
            at = datetime.fromisoformat(t["at"])
            r = render(t, build_context(lead, team, team.links, at, lead_extras(lead)))
            text = r.body or r.text
        except (MergeError, Blocked, KeyError, ValueError) as exc:
            text = f"(the template cannot be shown again: {exc})"
        out[t["touch_id"]] = {"subject": t.get("subject"), "text": text,
                              "personal": t.get("personal_text"), "personal_reason": t.get("personal_reason")}
    return out


# -- Sequences --------------------------------------------------------------------------------

def sequences(ctx: Context, now: datetime) -> list[dict]:
    from ..domain.analytics import WHOLE
    from ..sequences.catalog import CORE, SEQUENCES
    from ..services.switches import sequences_off, switches

    off, recorded = sequences_off(ctx), switches(ctx)
    totals = {r["sequence"]: r for r in ctx.stats.rows(list(SEQUENCES)) if r["step"] == WHOLE}
    zone = team_zone(ctx)
    out = []
    for seq in SEQUENCES.values():
        if seq.internal:
            continue
        switch = recorded.get(seq.id)
        out.append({"id": seq.id, "name": seq.name, "description": seq.description, "on": seq.id not in off,
                    "core": seq.id in CORE, "triggers": [words.trigger_in_words(t) for t in seq.triggers],
                    "touches": len(seq.touches()), "enrolled": totals.get(seq.id, {}).get("enrolled", 0),
                    "switched": words.when(switch["changed_at"], zone, now) if switch else None})
    return out


def sequence_page(ctx: Context, sequence_id: str, lead_ref: str | None, branch: str, now: datetime,
                  book: str | None = None) -> dict | None:
    from ..sequences.catalog import SEQUENCES
    from ..services.sequences import preview
    from ..services.switches import sequences_off, switches

    seq = SEQUENCES.get(sequence_id)
    if seq is None or seq.internal:
        return None
    off = sequences_off(ctx)
    switch = switches(ctx).get(seq.id)
    page = {"id": seq.id, "name": seq.name, "description": seq.description, "on": seq.id not in off,
            "triggers": [words.trigger_in_words(t) for t in seq.triggers], "plan": words.plan(seq),
            "exits": [words.stage(s) for s in seq.exit_on_stages], "reentry": seq.reentry.describe(),
            "switched": (f"Turned {'on' if switch['enabled'] else 'off'} {words.when(switch['changed_at'], team_zone(ctx), now)}"
                         if switch else None),
            "lead_ref": lead_ref or "", "branch": branch, "preview": None, "preview_error": None,
            "personalise": bool((ctx.settings.team.personalise or {}).get("enabled"))}
    if lead_ref:
        lead = _resolve_lead(ctx, lead_ref)
        if lead is not None and book is not None and lead.get("lo_id") != book:
            lead = None  # another LO's borrower: not found, as for anyone unknown
            page["preview_error"] = "No lead with that e-mail, phone or id."
            return page
        zone = lead_zone(lead)
        result = preview(ctx, seq.id, lead["lead_id"], now, branch)
        sent = {t["step"]: t for t in ctx.touches.for_lead(lead["lead_id"])
                if t.get("sequence") == seq.id and t.get("status") == "sent"}
        page["preview"] = {"lead": _name(lead), "lead_id": lead["lead_id"], "zone": zone, "touches": [
            {"step": p["step"], "channel": words.channel(p["channel"]), "when": words.when(p["planned_at"], zone, now),
             "status": p["status"], "subject": p.get("subject"), "title": p.get("title"),
             "text": p.get("body") or p.get("text") or "", "problem": p.get("problem"),
             "why": words.reason_in_words(p.get("reason"), lead, p, zone, ctx.settings.team.cap_hours, now)
             if p["status"] == "suppressed" else None,
             "sent": _sent_beside(sent.get(p["step"]), zone, now)}
            for p in result["touches"]]}
    return page


def _sent_beside(touch: dict | None, zone: str, now: datetime) -> dict | None:
    """What this lead already got at this step, with the personalised words when they were used."""
    if not touch:
        return None
    return {"when": words.when(touch.get("at"), zone, now), "subject": touch.get("subject"),
            "personal": touch.get("personal_text"), "personal_reason": touch.get("personal_reason")}


def _resolve_lead(ctx: Context, ref: str) -> dict | None:
    """A lead by its e-mail, phone or id."""
    ref = ref.strip()
    is_contact, found = _contact(ctx, ref)
    found = found if is_contact else ref
    return ctx.leads.get(found) if found else None


# -- Analytics --------------------------------------------------------------------------------

REASON_WORDS = {
    "deferred_cap": "cap: one marketing touch per 48 hours", "deferred_quiet_hours": "quiet hours (texts and calls)",
    "deferred_business_hours": "outside business hours (e-mail)", "deferred_call_limit": "state limit of 3 in 24 hours",
    "suppressed_no_consent": "no SMS or call consent", "suppressed_opted_out": "opted out",
    "suppressed_suppressed_address": "bounced or spam complaint", "suppressed_no_address": "no e-mail or phone on file",
    "suppressed_no_recipient": "no Realtor e-mail on file",
}


def analytics(ctx: Context, first: str | None, last: str | None) -> dict:
    from ..domain.analytics import SENT_AS_EMAIL, report
    from ..sequences.catalog import SEQUENCES
    from ..sequences.dsl import Touch
    from . import charts

    ids = [s.id for s in SEQUENCES.values() if not s.internal]
    rows = ctx.stats.rows_between(ids, first, last) if first and last else ctx.stats.rows(ids)
    names = {s.id: s.name for s in SEQUENCES.values() if not s.internal}
    order = {s.id: [st.name for st in s.steps if isinstance(st, Touch)] for s in SEQUENCES.values()}
    channels = {s.id: {st.name: st.channel for st in s.touches()} for s in SEQUENCES.values()}
    out = []
    all_reasons: dict[str, int] = {}
    for item in report(rows, names, order):
        reasons: dict[str, int] = {}
        for r in rows:
            if r["sequence"] == item["sequence"]:
                for k, v in r.items():
                    if k.startswith(("deferred_", "suppressed_")) and v:
                        reasons[k] = reasons.get(k, 0) + v
                        all_reasons[k] = all_reasons.get(k, 0) + v
        t = item["totals"]
        steps, previous = [], None
        emails = 0
        for s in item["steps"]:
            sent = s["sent"]
            # e-mails this step sent: all it sent, or for a text or call slot those its swap sent as e-mails
            mails = sent if channels[item["sequence"]].get(s["step"]) in ("email", "partner_email") \
                else s.get(SENT_AS_EMAIL, 0)
            emails += mails
            steps.append({**s, "label": s["step"].replace("_", " "), "channel": channels[item["sequence"]].get(s["step"]),
                          # opens and clicks are counted per event (no unique-open tracking): per e-mail sent
                          "opens_each": round(s["opened"] / mails, 3) if mails else None,
                          "clicks_each": round(s["clicked"] / mails, 3) if mails else None,
                          "kept": round(sent / previous, 3) if previous else None})
            if sent:
                previous = sent
        # (named "shares", not "rates": the Reg Z check reads every template for rates without an APR)
        shares = {"opens_each": t["opened"] / emails if emails else None,
                  "clicks_each": t["clicked"] / emails if emails else None,
                  "replies": t["replied"] / t["sent"] if t["sent"] else None,
                  "converted": t["conversion_rate"], "opted_out": t["opted_out"] / t["enrolled"] if t["enrolled"] else None}
        out.append({"id": item["sequence"], "name": item["name"], "totals": t, "shares": shares, "steps": steps,
                    "most_exits_at": (item["most_exits_at"] or "").replace("_", " ") or None,
                    "funnel": charts.funnel(f"{item['name']}: what happened at each step", steps) if t["sent"] else None,
                    "reasons": reasons})
    out.sort(key=lambda s: (-s["totals"]["sent"], s["name"]))
    reasons_chart = charts.reasons("Why touches waited or were not sent", all_reasons, REASON_WORDS) \
        if all_reasons else None
    return {"sequences": out, "sending": [s for s in out if s["totals"]["sent"]],
            "quiet": [s for s in out if not s["totals"]["sent"]], "first": first or "", "last": last or "",
            "reasons_chart": reasons_chart,
            "reason_words": REASON_WORDS, "all_reasons": all_reasons}


# -- Coverage ---------------------------------------------------------------------------------

SAMPLE = 50  # newest leads per LO read to estimate shares (one page each, never a scan)


def coverage(ctx: Context, now: datetime) -> dict:
    from ..sequences.catalog import SEQUENCES
    from ..services.coverage import coverage as audit
    from ..services.switches import switches

    result = audit(ctx)
    sample = [lead for lo in ctx.settings.team.los for lead in ctx.leads.list(lo.id, None, SAMPLE, None)[0]]
    n = len(sample)

    def missing(what: str, pred) -> str:
        """How many of the sampled leads lack ``what`` (pred is true when it is missing)."""
        if not n:
            return f"Needs {what}: no leads yet."
        k = sum(1 for lead in sample if pred(lead))
        if not k:
            return f"Has {what} for all of the {n} newest leads."
        return f"Needs {what}: {k} of the {n} newest leads ({k * 100 // n}%) have none."

    def no_sms(lead):
        rec = ledger(lead).get("sms")
        return not (rec and rec.get("granted"))

    rates = ctx.rates.latest_all()
    week_ago = (now.date() - timedelta(days=7)).isoformat()
    fresh = [r for r in rates if (r.get("as_of") or "") >= week_ago]
    personalise = bool((ctx.settings.team.personalise or {}).get("enabled"))
    recorded = switches(ctx)
    loan = lambda lead: lead.get("loan") or {}  # noqa: E731
    holds = {
        "lead_nurture": [missing("an e-mail address", lambda lead: not lead.get("email"))],
        "application_incomplete": ["Starts when a lead reaches \u201capplication started\u201d (from the LOS or the API)."],
        "pipeline_progression": ["Starts when an application is submitted.",
                                 missing("a Realtor e-mail for the Realtor updates",
                                         lambda lead: not (lead.get("realtor") or {}).get("email"))],
        "post_funded_welcome": ["Starts when a loan funds."],
        "annual_review": [missing("a funding date", lambda lead: not loan(lead).get("funded_on"))],
        "refinance_opportunity": [("No market rate this week: enter one (PUT /rates) or connect the rate feed."
                                   if not fresh else f"This week's rate is on file ({', '.join(r['product'] for r in fresh)})."),
                                  missing("the note rate", lambda lead: not loan(lead).get("rate"))],
        "birthday": [missing("a birthday", lambda lead: not lead.get("birthday"))],
    }
    items = []
    for i in result["items"]:
        seq = SEQUENCES[i["id"]]
        why = []
        if not i["enabled"]:
            sw = recorded.get(i["id"])
            why.append("Turned off" + (f" {words.when(sw['changed_at'], team_zone(ctx), now)}" if sw else " in its module") + ".")
        if not i["enrolled"]:
            why.append("No one enrolled yet.")
        items.append({"id": i["id"], "name": seq.name, "on": i["enabled"], "enrolled": i["enrolled"],
                      "live": i["enabled"] and bool(i["steps"]), "in_use": i["enabled"] and bool(i["enrolled"]),
                      "why": why, "needs": holds.get(i["id"], [])})
    without = sum(1 for lead in sample if no_sms(lead))
    team_wide = [(f"Texts: {without} of the {n} newest leads ({without * 100 // n}%) have no SMS consent, so they get "
                  "e-mail and call tasks only." if n else "Texts: no leads yet."),
                 "AI personalisation is " + ("on." if personalise else "off: every message goes as its template."),
                 ("Market rate: " + (f"this week's rate is on file ({', '.join(r['product'] + ' ' + str(r['rate']) + '%' for r in fresh)})."
                                     if fresh else "no rate this week."))]
    return {"summary": result, "items": items, "team_wide": team_wide, "sampled": n}
