"""What the engine did, in the words a loan officer uses. Pure: plain values in, strings out.

Every decision on a lead's timeline reads as a sentence ("Text deferred: quiet hours in Florida
until 8:00 AM", "Held: 48-hour cap", "Not sent: no SMS consent"); every sequence reads day by
day, with its branches ("If they open it ... otherwise ...").
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHANNELS = {"email": "E-mail", "sms": "Text", "voice": "Call", "task": "Task for the LO",
            "partner_email": "Realtor e-mail"}
STAGES = {"new_lead": "New lead", "application_started": "Application started",
          "application_submitted": "Application submitted", "conditional_approval": "Conditional approval",
          "appraisal_ordered": "Appraisal ordered", "clear_to_close": "Clear to close", "funded": "Funded",
          "lost": "Lost"}
STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "the District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
}
EVENTS = {"email_opened": "Opened an e-mail", "link_clicked": "Clicked a link", "email_replied": "Replied by e-mail",
          "sms_replied": "Replied by text", "document_downloaded": "Downloaded a document",
          "credit_pull": "Credit pulled", "home_value_updated": "Home value updated", "call_completed": "Call completed",
          "lo_replied": "The LO answered", "lead_created": "Lead created", "email_unsubscribed": "Unsubscribed from e-mail",
          "sms_opt_out": "Texted STOP: texts and calls stopped", "sms_opt_in": "Texted START: texts allowed again",
          "sms_help": "Texted HELP", "email_bounced": "E-mail bounced", "email_complained": "Marked an e-mail as spam",
          "handoff": "The LO took the conversation over", "resume": "Automation resumed", "converted": "Converted",
          "note": "Note", "rate_moved": "Market rate moved"}
ACTIONS = {"enrolled": "Started", "exited": "Left", "paused": "Paused", "resumed": "Resumed",
           "completed": "Finished", "slowed": "Slowed down", "held": "Held"}


def channel(name: str | None) -> str:
    return CHANNELS.get(name or "", (name or "touch").replace("_", " ").capitalize())


def channel_noun(name: str | None) -> str:
    """The channel inside a sentence: "e-mail", "text", "task for the LO", "Realtor e-mail"."""
    word = channel(name)
    return word if word.startswith("Realtor") else word[0].lower() + word[1:]


def stage(name: str | None) -> str:
    return STAGES.get(name or "", (name or "unknown").replace("_", " ").capitalize())


def state_name(code: str | None) -> str | None:
    return STATE_NAMES.get((code or "").upper())


def when(iso: str | None, zone: str, now: datetime | None = None) -> str:
    """A moment as the reader reads it: "Thu Apr 15, 10:00 AM CDT" (the year only when not this one)."""
    if not iso:
        return ""
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    year = "" if now is not None and now.astimezone(ZoneInfo(zone)).year == at.year else f" {at.year}"
    return f"{at:%a %b} {at.day}{year}, {clock_time(at)} {at.tzname()}"


def clock_time(at: datetime) -> str:
    hour = at.hour % 12 or 12
    return f"{hour}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"


def relative(iso: str | None, now: datetime) -> str:
    """"in 3 hours", "20 minutes ago", "2 days ago"."""
    if not iso:
        return ""
    delta = datetime.fromisoformat(iso) - now
    future = delta.total_seconds() >= 0
    span = abs(delta)
    if span < timedelta(minutes=1):
        return "just now"
    if span < timedelta(hours=1):
        text = _plural(int(span.total_seconds() // 60), "minute")
    elif span < timedelta(days=2):
        text = _plural(int(span.total_seconds() // 3600), "hour")
    else:
        text = _plural(span.days, "day")
    return f"in {text}" if future else f"{text} ago"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def phone(e164: str | None) -> str:
    """+15125550123 -> (512) 555-0123; other numbers in their international form."""
    if not e164:
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 1 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def duration(seconds: int) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [_plural(n, u) for n, u in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts) or "no time"


# -- touch decisions --------------------------------------------------------------------------

def _until(touch: dict, zone: str, now: datetime | None) -> str:
    until = touch.get("deferred_until")
    return f" until {when(until, zone, now)}" if until else ""


def reason_in_words(reason: str | None, lead: dict, touch: dict, zone: str, cap_hours: int,
                    now: datetime | None = None) -> str:
    """Why a touch waited or was not sent, as the LO would say it."""
    code, _, detail = (reason or "").partition(":")
    what = channel_noun(touch.get("channel"))
    state = state_name(lead.get("state"))
    if code == "quiet_hours":
        where = f" in {state}" if state else " in the borrower's time zone"
        return f"quiet hours{where}{_until(touch, zone, now)}"
    if code == "business_hours":
        return f"outside business hours (marketing e-mail goes 9:00 AM-5:00 PM on weekdays){_until(touch, zone, now)}"
    if code == "cap":
        return f"{cap_hours}-hour cap: one marketing touch per {cap_hours} hours{_until(touch, zone, now)}"
    if code == "call_limit":
        where = f"{state}'s" if state else "the state's"
        return f"{where} limit of 3 texts or calls in 24 hours{_until(touch, zone, now)}"
    if code == "no_consent":
        return f"no {'SMS' if touch.get('channel') == 'sms' else 'call'} consent on file"
    if code == "opted_out":
        return "the borrower opted out of " + ("e-mail" if touch.get("channel") == "email" else f"{what}s")
    if code == "erased":
        return "this person's data was erased on their request: no marketing"
    if code == "suppressed_address":
        return "the address bounced or was reported as spam"
    if code == "no_address":
        return "no " + ("e-mail address" if touch.get("channel") == "email" else "phone number") + " on file"
    if code == "no_recipient":
        return "no Realtor e-mail on file"
    if code == "merge_error":
        return f"the template could not be filled in for this borrower ({detail.strip() or 'missing field'})"
    if code == "regz":
        return "it stated a rate without its APR (Reg Z), so it was stopped"
    if code in ("", "None"):
        return ""
    return (reason or "").replace("_", " ")


def decision_in_words(item: dict, lead: dict, touch: dict, zone: str, cap_hours: int,
                      now: datetime | None = None) -> str:
    """One timeline touch decision as a sentence."""
    what = channel(item.get("channel"))
    status = item.get("status")
    why = reason_in_words(item.get("reason"), lead, {**touch, **item}, zone, cap_hours, now)
    if status == "sent":
        to = " to the Realtor" if item.get("to") == "realtor" else ""
        return f"{what} sent{to}" if item.get("channel") != "task" else "Task created for the LO"
    if status == "scheduled":
        return f"{what} planned for {when(item['at'], zone, now)}"
    if status == "deferred":
        return f"{what} {'held' if (item.get('reason') or '').startswith('cap') else 'deferred'}: {why}"
    if status == "suppressed":
        return f"{what} not sent: {why}"
    if status == "held":
        return f"{what} held: {why}"
    if status == "failed":
        return f"{what} failed: {item.get('reason') or 'the provider refused it'}"
    if status in ("sending", "retrying"):
        return f"{what} {status}" + (f": {item['reason']}" if item.get("reason") else "")
    return f"{what} {status}"


def event_in_words(item: dict, subject: str | None = None) -> str:
    """An event as a sentence; ``subject`` names the e-mail an open or click was about."""
    data = item.get("data") or {}
    kind = item.get("type")
    if subject and kind in ("email_opened", "link_clicked"):
        about = f"{'Opened' if kind == 'email_opened' else 'Clicked a link in'} \u201c{subject}\u201d"
        if item.get("machine"):
            return f"{about}, by a machine (mail privacy proxy or link scanner): not counted as the borrower"
        return about
    if kind == "stage_changed":
        return f"Stage: {stage(data.get('from'))} \u2192 {stage(data.get('to'))}" if data.get("from") else \
            f"Stage: {stage(data.get('to'))}"
    if kind == "consent_changed":
        verb = "given" if data.get("granted") else "withdrawn"
        return f"{channel(data.get('channel'))} consent {verb}" + (f" ({data['source']})" if data.get("source") else "")
    text = EVENTS.get(kind or "", (kind or "event").replace("_", " ").capitalize())
    if item.get("machine") and kind in ("email_opened", "link_clicked"):
        return f"{text}, by a machine (mail privacy proxy or link scanner): not counted as the borrower"
    return text


def enrollment_in_words(item: dict, sequence_name: str) -> str:
    verb = ACTIONS.get(item.get("action") or "", (item.get("action") or "").capitalize())
    reason = item.get("reason") or ""
    if reason.startswith("stage:"):
        reason = f"stage became {stage(reason[6:]).lower()}"
    return f"{verb} {sequence_name}" + (f": {reason}" if reason else "")


# -- sequences, day by day --------------------------------------------------------------------

def _at_words(delay) -> str:
    if not delay.at:
        return ""
    hour, minute = (int(x) for x in delay.at.split(":"))
    return f" at {clock_time(datetime(2000, 1, 1, hour, minute))} their time" + (
        ", on a business day" if delay.business_day else "")


def _day(seconds: int, at_hour: bool = False) -> str:
    days = seconds // 86400
    rest = 0 if at_hour else seconds % 86400  # "at 10:00 their time" says the hour itself
    if rest and days == 0:
        return f"Day 0, after {duration(rest)}"
    return f"Day {days}" + (f", +{duration(rest)}" if rest else "")


def plan(seq, subjects: dict[str, str] | None = None) -> list[dict]:
    """The sequence as a reader walks it: one line per step with the day it goes (counted from
    the start of the sequence or of the stage that starts its part), what goes, and where its
    branches lead. ``subjects`` overrides the subject shown (a rendered one, for a lead)."""
    from ..sequences.dsl import End, Goto, Touch, WaitFor

    subjects = subjects or {}
    starts = {step: st for st, step in seq.stage_steps.items()}
    offsets: dict[str, int] = {}
    names = {s.name: s for s in seq.steps}
    lines = []
    previous = 0
    for step in seq.steps:
        if step.name in starts:
            previous = 0
            lines.append({"kind": "stage", "text": f"When the stage becomes {stage(starts[step.name]).lower()}"})
        if isinstance(step, Touch):
            anchor = offsets.get(step.delay.since, previous) if step.delay.since else previous
            at = anchor + step.delay.seconds
            offsets[step.name] = at
            previous = at
            subject = subjects.get(step.name) or readable_subject(step.subject)
            lines.append({
                "kind": "touch", "step": step.name, "day": _day(at, bool(step.delay.at)) + _at_words(step.delay),
                "channel": channel(step.channel), "channel_code": step.channel,
                "subject": subject, "template": step.template,
                "notes": _touch_notes(step),
            })
        elif isinstance(step, WaitFor):
            offsets[step.name] = previous
            lines.append({"kind": "branch", "step": step.name, "text": _wait_words(step, names)})
            # the "yes" branch can come at once; the timeout goes after the whole wait
            offsets[step.if_no] = previous + step.within.seconds
        elif isinstance(step, Goto):
            target = names.get(step.target)
            if isinstance(target, End) or step.target == "end":
                lines.append({"kind": "flow", "step": step.name, "text": "Then the sequence ends."})
            elif isinstance(target, WaitFor) and target.event.startswith("stage:"):
                lines.append({"kind": "flow", "step": step.name, "text": "Then it waits for the next stage."})
            else:
                lines.append({"kind": "flow", "step": step.name, "text": f"Then it goes on with {_step_title(target)}."})
        elif isinstance(step, End):
            lines.append({"kind": "flow", "step": step.name, "text": "End of the sequence."})
    return [line for line in lines if not (line["kind"] == "branch" and not line["text"])]


def _touch_notes(step) -> list[str]:
    notes = []
    if step.kind == "transactional":
        notes.append("a status update: never held by the cap or business hours")
    if step.immediate:
        notes.append("answers the borrower at once, any hour (texts still respect quiet hours)")
    if step.channel in ("sms", "voice") and step.kind != "transactional":
        notes.append("only with consent, inside calling hours")
    if step.swap and step.channel == "sms":
        notes.append("to a client without text consent who reads e-mail, a short note by e-mail instead")
    elif step.swap:
        notes.append("when the LO's days are full, a message to the borrower instead")
    if step.channel == "task":
        notes.append(f"due {duration(step.task_due_minutes * 60)} after it is created"
                     + (", for the manager" if step.assignee == "manager" else ""))
    if step.channel == "partner_email":
        notes.append("only when a Realtor e-mail is on file")
    return notes


_FIELD = re.compile(r"\{\{\s*([A-Za-z_.]+)[^}]*\}\}")
_FIELD_WORDS = {"first_name": "first name", "full_name": "borrower's name", "purpose_label": "loan purpose"}


def readable_subject(subject: str | None) -> str | None:
    """A subject line as a marketer reads it: merge fields shown as [first name]."""
    if not subject:
        return subject
    return _FIELD.sub(lambda m: "[" + _FIELD_WORDS.get(m.group(1).rsplit(".", 1)[-1],
                                                       m.group(1).rsplit(".", 1)[-1].replace("_", " ")) + "]", subject)


def _step_title(step) -> str:
    from ..sequences.dsl import End, Touch

    if step is None:
        return "the next step"
    if isinstance(step, End):
        return "the sequence ends"
    name = step.name.replace("_", " ")
    if isinstance(step, Touch):
        if step.subject:
            return f"the {channel_noun(step.channel)} \u201c{readable_subject(step.subject)}\u201d"
        if step.channel == "task":
            return f"a task for the LO ({name})"
        return f"the {channel_noun(step.channel)} ({name})"
    return name


def _wait_words(step, names: dict) -> str:
    from ..sequences.dsl import CLICKED, OPENED, REPLIED

    if step.event.startswith("stage:"):
        return ""  # the pipeline's rest between stages: said by the stage headings instead
    of = names.get(step.of)
    thing = f"\u201c{readable_subject(of.subject)}\u201d" if of is not None and getattr(of, "subject", None) else "it"
    verb = {OPENED: f"they open {thing}", CLICKED: f"they click a link in {thing}",
            REPLIED: "they reply"}.get(step.event, step.event.replace("_", " "))
    return (f"Waits up to {duration(step.within.seconds)}. If {verb}: {_step_title(names.get(step.if_yes))}. "
            f"Otherwise: {_step_title(names.get(step.if_no))}.")


TRIGGERS = {
    "time:funding_anniversary": "the loan's funding anniversary comes round",
    "time:birthday": "it is the borrower's birthday",
    "time:application_stalled": "a submitted application has had no follow-up for 5 days",
    "external:rate_drop": "market rates drop enough to save the borrower money",
    "external:ltv_crossed": "the home's value crosses the cash-out line",
    "external:credit_pull": "a credit pull shows the borrower shopping for a loan",
    "behavior:refi_calculator_click": "the borrower clicks the refinance calculator",
    "lo_replied": "the LO answers a borrower's reply",
}


def trigger_in_words(trigger: str) -> str:
    if trigger in TRIGGERS:
        return TRIGGERS[trigger]
    kind, _, rest = trigger.partition(":")
    if kind == "stage":
        return f"the lead reaches {stage(rest).lower()}"
    if kind == "time":
        return {"anniversary": "the funding anniversary", "birthday": "the borrower's birthday"}.get(
            rest, rest.replace("_", " "))
    return trigger.replace("_", " ").replace(":", ": ")
