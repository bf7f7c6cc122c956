"""Checks on a sequence. :func:`problems` is structural and pure (the catalog runs it at load);
:func:`validate_all` adds the content checks of every template a step names (``content.checks``:
merge fields, fallbacks, Reg Z), too slow for a cold start: the unit tests and the local stack run it.

Structural:

- every branch target and goto names a step of the sequence;
- from every step, an end is reachable (no dead loop), except in a yearly program (``paced``),
  which loops until a stage, an opt-out or the LO's handoff ends it;
- every cycle passes through a wait or a delayed touch (no loop that spins without waiting);
- step names are unique, and stage_steps point at real steps;
- a library slot names shelves the sequence's library has, and every item on them has a
  unique id and a channel the slot sends on;
- every e-mail that can go as a text (a step, or each e-mail item of a slot's shelves) names its
  own short text version, or says why it never goes as one (``never_text``); a text skipped
  ``unless_texted`` names an e-mail step of the sequence.

Content (:func:`template_problems`) adds every text's segment budget (content/sms.py): a
marketing text fits one segment with the signature and opt-out line, unless it declares why not.
"""
from __future__ import annotations

from ..content.checks import (language_file_problems, subject_problems, template_file_problems,
                              text_file_budget_problems)
from .dsl import End, Goto, Rest, Sequence, Touch, WaitFor


def successors(seq: Sequence, name: str) -> list[str]:
    step = seq.step(name)
    if isinstance(step, End):
        return []
    if isinstance(step, Goto):
        return [step.target]
    if isinstance(step, WaitFor):
        return [step.if_yes, step.if_no]
    nxt = seq.next_name(name)
    return [nxt] if nxt else []


def _waits(seq: Sequence, name: str) -> bool:
    step = seq.step(name)
    return isinstance(step, WaitFor) or (isinstance(step, Rest) and step.delay.seconds > 0) or \
        (isinstance(step, Touch) and (step.delay.seconds > 0 or step.delay.at))


def _library_problems(seq: Sequence) -> list[str]:
    out = []
    seen: dict[str, object] = {}
    for shelf, items in seq.library.items():
        for item in items:
            if seen.setdefault(item.id, item) is not item:
                out.append(f"{seq.id}: two library items are called {item.id!r}")
    for s in seq.steps:
        if not (isinstance(s, Touch) and s.shelves):
            continue
        for shelf in s.shelves:
            if shelf not in seq.library:
                out.append(f"{seq.id}.{s.name}: unknown shelf {shelf!r}")
            elif any(i.channel != s.channel for i in seq.library[shelf]):
                out.append(f"{seq.id}.{s.name}: shelf {shelf!r} holds items for another channel than {s.channel}")
        # what goes instead: a message for a call that finds no room, an e-mail for a text that cannot go
        instead = {"task": ("email", "sms"), "sms": ("email",)}.get(s.channel)
        for shelf in s.swap:
            if instead is None:
                out.append(f"{seq.id}.{s.name}: only a call or a text slot has a swap")
            elif shelf not in seq.library:
                out.append(f"{seq.id}.{s.name}: unknown swap shelf {shelf!r}")
            elif any(i.channel not in instead for i in seq.library[shelf]):
                out.append(f"{seq.id}.{s.name}: swap shelf {shelf!r} holds items other than {' or '.join(instead)}")
    return out


def _text_version_problems(seq: Sequence) -> list[str]:
    out = []
    for t in seq.touches():
        if t.unless_texted and not any(s.name == t.unless_texted and s.channel == "email" for s in seq.touches()):
            out.append(f"{seq.id}.{t.name}: unless_texted names no e-mail step {t.unless_texted!r}")
        if t.channel != "email":
            continue
        switchable = ([(f"{seq.id}.{t.name}[{i.id}]", i) for shelf in t.shelves for i in seq.library.get(shelf, ())
                       if i.channel == "email"] if t.shelves else [(f"{seq.id}.{t.name}", t)])
        for where, s in switchable:
            if bool(s.text) == bool(s.never_text):
                out.append(f"{where}: an e-mail that can go as a text needs its own text version (text=...) "
                           f"or never_text='why it never goes as one'" if not s.text else
                           f"{where}: both a text version and never_text")
    return out


def problems(seq: Sequence) -> list[str]:
    out: list[str] = []
    names = [s.name for s in seq.steps]
    if len(names) != len(set(names)):
        out.append(f"{seq.id}: duplicate step names")
    known = set(names)
    for s in seq.steps:
        targets = []
        if isinstance(s, Goto):
            targets = [s.target]
        elif isinstance(s, WaitFor):
            targets = [s.if_yes, s.if_no] + ([s.of] if s.of else [])
        elif isinstance(s, Touch) and s.next:
            targets = [s.next]
        for t in targets:
            if t not in known:
                out.append(f"{seq.id}.{s.name}: unknown step {t!r}")
        if isinstance(s, Touch) and s.delay.since and s.delay.since not in known:
            out.append(f"{seq.id}.{s.name}: delay since unknown step {s.delay.since!r}")
    for stage, step in seq.stage_steps.items():
        if step not in known:
            out.append(f"{seq.id}: stage {stage} starts at unknown step {step!r}")
    out += _library_problems(seq)
    if out:
        return out + _text_version_problems(seq)
    out += _text_version_problems(seq)
    # Reaching an end: the last step falls off the list, an End ends.
    ends = {n for n in names if not successors(seq, n)}
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for n in names:
            if n not in can_end and any(s in can_end for s in successors(seq, n)):
                can_end.add(n)
                changed = True
    for n in names:
        if n not in can_end and not seq.paced:  # a yearly program loops for good: exits end it
            out.append(f"{seq.id}.{n}: no path from this step reaches an end")
    # Cycles must wait: search for a cycle through steps that do not wait.
    fast = [n for n in names if not _waits(seq, n)]
    graph = {n: [s for s in successors(seq, n) if s in fast] for n in fast}
    state: dict[str, int] = {}

    def visit(n: str) -> bool:
        state[n] = 1
        for s in graph[n]:
            if state.get(s) == 1 or (state.get(s) is None and visit(s)):
                return True
        state[n] = 2
        return False

    for n in fast:
        if state.get(n) is None and visit(n):
            out.append(f"{seq.id}: a loop through {n!r} never waits")
            break
    return out


def template_problems(sequences) -> list[str]:
    out = []
    for seq in sequences:
        # refinance content runs only with the borrower's computed figures present
        strict = seq.id != "refinance_opportunity"
        for where, channel, template, subject in seq.templates():
            if subject is not None:
                out += subject_problems(subject, f"{where}.subject", strict)
            out += template_file_problems(channel, template, where, strict)
        for where, template, kind in texts(seq):
            out += text_file_budget_problems(template, where, kind)
        out += spanish_problems(seq)
    return out


def spanish_problems(seq: Sequence) -> list[str]:
    """Every Spanish version checked as the English one; a core sequence has one for every step
    a borrower reads or hears (its e-mails' text versions included). A library item or another
    sequence's step may lack one: a Spanish lead then does not get it (content/language.py)."""
    from .core import CORE

    kinds = {template: kind for _, template, kind in texts(seq)}
    strict = seq.id != "refinance_opportunity"
    out = []
    for where, channel, template, _ in seq.templates():
        out += language_file_problems(channel, template, where, "es", required=seq.id in CORE,
                                      strict_optional=strict, kind=kinds.get(template, "marketing"))
    return out


def texts(seq: Sequence) -> list[tuple[str, str, str]]:
    """``(where, sms template, kind)`` of every text the sequence may send: its text steps, the
    texts on its shelves, and the text versions of its e-mails (each template once)."""
    out: dict[str, tuple[str, str, str]] = {}
    for t in seq.touches():
        if t.channel == "sms":
            found = [(f"{seq.id}.{t.name}[{i.id}]", i.template, "marketing") for shelf in t.shelves
                     for i in seq.library.get(shelf, ())] if t.shelves else [(f"{seq.id}.{t.name}", t.template, t.kind)]
        else:
            found = [(f"{where}.text", text, t.kind) for where, text in seq.text_versions(t)]
        found += [(f"{seq.id}.{t.name}[{i.id}]", i.template, "marketing") for shelf in t.swap
                  for i in seq.library.get(shelf, ()) if i.channel == "sms"]
        for where, template, kind in found:
            out.setdefault(template, (where, template, kind))
    return list(out.values())


def validate_all(sequences) -> list[str]:
    """Every sequence's structure, then every template its steps name."""
    sequences = list(sequences)
    out = []
    for seq in sequences:
        out += problems(seq)
    return out + template_problems(sequences)
