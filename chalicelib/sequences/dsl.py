"""The vocabulary sequences are written in: steps a mortgage marketer can read.

A sequence is a list of named steps. Each step runs after the previous one, or jumps where a
branch says. Delays are measured from the previous step by default, or from a named earlier
step with ``since=`` (so "email 2 at day 3 after email 1" reads as it is said).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Who outranks whom when a lead is due two touches at once (and for the frequency cap).
PIPELINE, REFINANCE, NURTURE, MARKETING = 40, 30, 20, 10

# Events a wait can listen for. "replied" anywhere also pauses the enrollment.
OPENED, CLICKED, REPLIED = "email_opened", "link_clicked", "replied"


def STAGE_REACHED(stage: str) -> str:  # noqa: N802 (reads as a constant in sequence modules)
    return f"stage:{stage}"


@dataclass(frozen=True)
class Delay:
    days: int = 0
    hours: int = 0
    minutes: int = 0
    since: str | None = None          # a step name; None = the previous step
    at: str | None = None             # "10:00" lead-local
    business_day: bool = False        # ...on the next business day

    @property
    def seconds(self) -> int:
        return self.days * 86400 + self.hours * 3600 + self.minutes * 60

    def describe(self) -> str:
        parts = [f"{n} {u}{'s' if n != 1 else ''}" for n, u in
                 ((self.days, "day"), (self.hours, "hour"), (self.minutes, "minute")) if n]
        text = " ".join(parts) or "immediately"
        if parts:
            text += f" after {self.since or 'the previous step'}"
        if self.at:
            text += f", at {self.at} lead-local" + (" on a business day" if self.business_day else "")
        return text


NOW = Delay()


def after(days: int = 0, hours: int = 0, minutes: int = 0, *, since: str | None = None,
          at: str | None = None, business_day: bool = False) -> Delay:
    return Delay(days, hours, minutes, since, at, business_day)


def days(n: int, **kw) -> Delay:
    return after(days=n, **kw)


def hours(n: int, **kw) -> Delay:
    return after(hours=n, **kw)


@dataclass(frozen=True)
class Touch:
    name: str
    channel: str                      # email | sms | voice | task | partner_email
    template: str                     # path under templates/<channel dir>/ without suffix
    delay: Delay = NOW
    subject: str | None = None        # email: a Jinja2 line
    kind: str = "marketing"           # marketing | transactional (a pipeline update the borrower waits for)
    immediate: bool = False           # answers the lead's own action: no business-hours hold, no cap
    next: str | None = None           # jump after this step instead of the following one
    task_due_minutes: int = 24 * 60   # task: due this long after it is created
    assignee: str = "lo"              # task: lo | manager
    shelves: tuple[str, ...] = ()     # a library slot: the item is chosen from these shelves when it runs
    # An e-mail may go as a text (no e-mail address, a bounce, 14 days unopened: triggers.behavioral):
    # then it sends its own short version, ``text`` (templates/sms/<text>.j2), or, with
    # ``never_text`` (why), it is never switched. The validation refuses an e-mail with neither.
    text: str | None = None
    never_text: str = ""
    unless_texted: str | None = None  # sms: not sent when this e-mail step already went as a text
    # What goes instead, from these shelves: a call slot's message when the LO's days are full;
    # a text slot's e-mail when no text fits (no consent; the items say whom they suit)
    swap: tuple[str, ...] = ()

    @property
    def to_role(self) -> str:
        return "realtor" if self.channel == "partner_email" else ("lo" if self.channel == "task" else "borrower")


@dataclass(frozen=True)
class WaitFor:
    name: str
    event: str                        # OPENED | CLICKED | REPLIED | STAGE_REACHED(...)
    within: Delay
    if_yes: str
    if_no: str
    of: str | None = None             # the touch step the open/click must belong to


@dataclass(frozen=True)
class Rest:
    """Wait a fixed time, listening for nothing (a program waits out the series before it)."""
    name: str
    delay: Delay


@dataclass(frozen=True)
class Goto:
    name: str
    target: str


@dataclass(frozen=True)
class End:
    name: str = "end"


Step = Touch | WaitFor | Rest | Goto | End


@dataclass(frozen=True)
class Reentry:
    once: bool = True
    after_days: int | None = None

    def describe(self) -> str:
        return "once per lead" if self.once else f"again after {self.after_days} days"


ONCE = Reentry()


def again_after(days_: int) -> Reentry:
    return Reentry(once=False, after_days=days_)


@dataclass(frozen=True)
class Sequence:
    id: str
    name: str
    version: int
    description: str
    triggers: tuple[str, ...]                 # event keys that enroll: "stage:new_lead", "time:anniversary"...
    priority: int
    steps: tuple[Step, ...]
    requires: tuple[str, ...] = ()            # lead fields that must be present: "email", "phone", "realtor.email"
    stages: tuple[str, ...] = ()              # enroll only while the lead is in one of these stages
    exit_on_stages: tuple[str, ...] = ()      # leaving for any of these ends the enrollment
    exit_on: tuple[str, ...] = ("opted_out", "handoff", "converted")
    reentry: Reentry = ONCE
    enabled: bool = True
    hot: bool = False                         # every touch is a hot signal (bypasses the cap)
    stage_steps: dict = field(default_factory=dict)  # stage -> first step (pipeline updates)
    pause_on_reply: bool = True               # a watcher that listens for replies must not pause itself
    internal: bool = False                    # engine plumbing (escalation watch), not a marketing plan
    library: dict = field(default_factory=dict)  # shelf -> items, for the library slots (yearly programs)
    paced: bool = False                       # delays follow the borrower's engagement (domain.cadence)

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def index(self, name: str) -> int:
        for i, s in enumerate(self.steps):
            if s.name == name:
                return i
        raise KeyError(name)

    def next_name(self, name: str) -> str | None:
        step = self.step(name)
        if isinstance(step, Touch) and step.next:
            return step.next
        i = self.index(name) + 1
        return self.steps[i].name if i < len(self.steps) else None

    def touches(self) -> list[Touch]:
        return [s for s in self.steps if isinstance(s, Touch)]

    def text_versions(self, t: Touch) -> list[tuple[str, str]]:
        """``(where, sms template)`` of the short versions an e-mail step may go out as."""
        if t.channel != "email":
            return []
        if t.shelves:
            return [(f"{self.id}.{t.name}[{i.id}]", i.text) for shelf in t.shelves
                    for i in self.library.get(shelf, ()) if i.channel == "email" and i.text]
        return [(f"{self.id}.{t.name}", t.text)] if t.text else []

    def anchors(self) -> set[str]:
        """Steps some delay counts from (``since=``): the only step times an enrollment keeps."""
        return {s.delay.since for s in self.steps if isinstance(s, Touch) and s.delay.since}

    def templates(self) -> list[tuple[str, str, str, str | None]]:
        """``(where, channel, template, subject)`` of everything the sequence may send: its
        touches, and for a library slot every item on its shelves (each template once)."""
        out: dict[tuple[str, str], tuple[str, str, str, str | None]] = {}
        for t in self.touches():
            found = [(f"{self.id}.{t.name}[{i.id}]", i.channel, i.template, i.subject)
                     for shelf in t.shelves + t.swap for i in self.library.get(shelf, ())] if t.shelves else \
                [(f"{self.id}.{t.name}", t.channel, t.template, t.subject)]
            found += [(f"{where}.text", "sms", text, None) for where, text in self.text_versions(t)]
            for where, channel, template, subject in found:
                out.setdefault((channel, template), (where, channel, template, subject))
        return list(out.values())


# Writing helpers: what sequence modules call.

# The generic text for an e-mail whose purpose is to ask for a conversation (a call invite): it
# says so in the borrower's stage's words. Any other e-mail has a text of its own.
NUDGE = "fallback/email_nudge"


def email(name: str, template: str, subject: str, delay: Delay = NOW, **kw) -> Touch:
    return Touch(name, "email", template, delay, subject=subject, **kw)


def sms(name: str, template: str, delay: Delay = NOW, **kw) -> Touch:
    return Touch(name, "sms", template, delay, **kw)


def voice(name: str, template: str, delay: Delay = NOW, **kw) -> Touch:
    return Touch(name, "voice", template, delay, **kw)


def task(name: str, template: str, delay: Delay = NOW, due_minutes: int = 24 * 60, **kw) -> Touch:
    return Touch(name, "task", template, delay, task_due_minutes=due_minutes, **kw)


def partner_email(name: str, template: str, subject: str, delay: Delay = NOW, **kw) -> Touch:
    return Touch(name, "partner_email", template, delay, subject=subject, **kw)


def wait_for(name: str, event: str, *, within: Delay, if_yes: str, if_no: str, of: str | None = None) -> WaitFor:
    return WaitFor(name, event, within, if_yes, if_no, of)


def rest(name: str, delay: Delay) -> Rest:
    return Rest(name, delay)


def from_shelves(name: str, channel: str, shelves: tuple[str, ...], delay: Delay = NOW, **kw) -> Touch:
    """A library slot: when it runs, the rotation picks the item (its template and subject) from
    the shelves, in order; with nothing fit to send, the slot passes without a touch."""
    return Touch(name, channel, f"library:{'+'.join(shelves)}", delay, shelves=tuple(shelves), **kw)


def goto(name: str, target: str) -> Goto:
    return Goto(name, target)


def end(name: str = "end") -> End:
    return End(name)


def hold(name: str = "await_next_stage", within_days: int = 180) -> WaitFor:
    """Pipeline sequences: rest here until the next stage jumps the enrollment forward."""
    return WaitFor(name, "stage:*", Delay(days=within_days), if_yes="end", if_no="end")
