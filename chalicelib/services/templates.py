"""The words the team owns: team versions of any template, validated on save, live once a
compliance person other than the author approves them, rolled back or restored to the built-in
file at will (issue 27). Render picks the live words up through content/versions.py.

Version numbers count per template and language from 1; version 0 is the built-in file. A
version is written once and never changed, except that its approval (who, when) is added to it.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from ..content.render import TEMPLATES_DIR
from ..content.versions import BUILT_IN, EDITABLE, template_id as id_of
from ..domain.lead import ValidationError
from .context import Context

LANGUAGES = ("en", "es")


class NotYours(Exception):
    """Approval refused: the approver wrote the version, or is not a person with the compliance role."""


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict]:
    """Every built-in template: id -> channel, template, sequence, step, subject, kind (of a text)."""
    from ..sequences.catalog import SEQUENCES
    from ..sequences.validate import texts

    used: dict[tuple[str, str], dict] = {}
    for seq in SEQUENCES.values():
        kinds = {template: kind for _, template, kind in texts(seq)}
        for where, channel, template, subject in seq.templates():
            step = where.split(".", 1)[1] if "[" not in where else None
            used.setdefault((channel, template), {"sequence": seq.id, "step": step.removesuffix(".text") if step else None,
                                                  "subject": subject, "kind": kinds.get(template, "marketing")})
    out = {}
    for channel in EDITABLE:
        for path in sorted((TEMPLATES_DIR / channel).rglob("*.j2")):
            rel = path.relative_to(TEMPLATES_DIR / channel).as_posix()
            if channel == "email":
                if not rel.endswith(".txt.j2"):
                    continue
                template = rel.removesuffix(".txt.j2")
            else:
                template = rel.removesuffix(".j2")
            seen = used.get((channel, template), {})
            out[id_of(channel, template)] = {
                "template_id": id_of(channel, template), "channel": channel, "template": template,
                "sequence": seen.get("sequence"), "step": seen.get("step"), "subject": seen.get("subject"),
                "kind": seen.get("kind", "marketing"), "path": f"{channel}/{rel}"}
    return out


def _entry(template_id: str) -> dict | None:
    return catalog().get(template_id)


def _language(language: str | None) -> str:
    language = language or "en"
    if language not in LANGUAGES:
        raise ValidationError({"language": f"must be one of {', '.join(LANGUAGES)}"})
    return language


def built_in_text(entry: dict) -> str:
    return (TEMPLATES_DIR / entry["path"]).read_text()


def _status(v: dict, live_version: int) -> str:
    if v["version"] == live_version:
        return "live"
    return "draft" if not v.get("approved_at") else "retired"


def list_templates(ctx: Context) -> list[dict]:
    live = ctx.templates.live_all()
    out = []
    for tid, e in catalog().items():
        doc = live.get((tid, "en")) or {}
        version = int(doc.get("version") or 0)
        out.append({"template_id": tid, "channel": e["channel"], "language": "en", "sequence": e["sequence"],
                    "step": e["step"], "live_version": version, "source": "team" if version else "built-in"})
    return out


def describe(ctx: Context, template_id: str, language: str | None = None) -> dict | None:
    entry = _entry(template_id)
    if entry is None:
        return None
    language = _language(language)
    pointer = ctx.templates.live(template_id, language) or {}
    live_version = int(pointer.get("version") or 0)
    versions = [{**v, "status": _status(v, live_version)} for v in ctx.templates.versions(template_id, language)]
    return {"template_id": template_id, "channel": entry["channel"], "language": language,
            "sequence": entry["sequence"], "step": entry["step"], "kind": entry["kind"],
            "live_version": live_version, "source": "team" if live_version else "built-in",
            "live_since": pointer.get("since"), "live_by": pointer.get("by"),
            "previous": list(pointer.get("previous") or []),
            "built_in": {"subject": entry["subject"], "body": built_in_text(entry)},
            "versions": versions}


def save_draft(ctx: Context, template_id: str, body: dict, by: str, now: datetime) -> dict | None:
    """A new version, validated exactly as built-in templates are at load; 400 naming the field."""
    from ..content.drafts import domains_of, problems

    entry = _entry(template_id)
    if entry is None:
        return None
    language = _language(body.get("language"))
    subject, text = body.get("subject"), body.get("body")
    if subject is not None and not isinstance(subject, str):
        raise ValidationError({"subject": "must be text"})
    if subject is not None and not subject.strip():
        subject = None  # an empty subject keeps the step's own
    team = ctx.settings.team
    found = problems(entry["channel"], entry["template"], subject, text if isinstance(text, str) else "",
                     kind=entry["kind"], domains=domains_of(team.links, team.sender_email), language=language)
    if found:
        raise ValidationError(found)
    for _ in range(5):  # two saves at once: the second takes the next number
        existing = ctx.templates.versions(template_id, language)
        version = (existing[-1]["version"] if existing else 0) + 1
        doc = {"version": version, "template_id": template_id, "language": language, "subject": subject,
               "body": text.replace("\r\n", "\n"), "author": by, "created_at": now.isoformat()}
        if ctx.templates.add_version(template_id, language, doc):
            return {"template_id": template_id, "language": language, "version": version, "status": "draft"}
    from ..store.errors import Conflict

    raise Conflict(template_id)


def _version(ctx: Context, template_id: str, language: str, version: int) -> dict | None:
    return next((v for v in ctx.templates.versions(template_id, language) if v["version"] == version), None)


def _go_live(ctx: Context, template_id: str, language: str, version: dict | None, previous: list[int],
             pointer: dict | None, by: str, now: datetime) -> None:
    from ..content import versions

    doc = {"version": version["version"] if version else 0, "language": language,
           "subject": version.get("subject") if version else None, "body": version["body"] if version else None,
           "previous": previous[-20:], "since": now.isoformat(), "by": by}
    ctx.templates.set_live(template_id, language, doc, pointer["rev"] if pointer else None)
    versions.forget()  # this container's next touch reads the new words at once


def approve(ctx: Context, template_id: str, version: int, language: str | None, principal, now: datetime) -> dict | None:
    """Live once a compliance person other than its author approves it; NotYours otherwise."""
    language = _language(language)
    found = _version(ctx, template_id, language, version) if _entry(template_id) else None
    if found is None:
        return None
    if principal.is_key or "compliance" not in principal.roles or principal.by == found["author"]:
        raise NotYours(template_id)
    if found.get("approved_at"):
        raise ValidationError({"version": f"v{version} was approved already (rollback returns to an earlier one)"})
    pointer = ctx.templates.live(template_id, language)
    if not ctx.templates.approve(template_id, language, version, principal.by, now.isoformat()):
        raise ValidationError({"version": f"v{version} was approved already"})
    current = int((pointer or {}).get("version") or 0)
    _go_live(ctx, template_id, language, found, [*((pointer or {}).get("previous") or []), current], pointer,
             principal.by, now)
    return {"template_id": template_id, "language": language, "version": version, "status": "live",
            "approved_by": principal.by, "approved_at": now.isoformat()}


def rollback(ctx: Context, template_id: str, language: str | None, by: str, now: datetime) -> dict | None:
    """Back to the version live before this one (the built-in file when that was it)."""
    language = _language(language)
    if _entry(template_id) is None:
        return None
    pointer = ctx.templates.live(template_id, language)
    previous = list((pointer or {}).get("previous") or [])
    if not previous:
        raise ValidationError({"template_id": "no earlier live version to return to"})
    back = previous.pop()
    version = _version(ctx, template_id, language, back) if back else None
    _go_live(ctx, template_id, language, version, previous, pointer, by, now)
    return {"template_id": template_id, "language": language, "live_version": back,
            "source": "team" if back else "built-in"}


def restore_built_in(ctx: Context, template_id: str, language: str | None, by: str, now: datetime) -> dict | None:
    language = _language(language)
    if _entry(template_id) is None:
        return None
    pointer = ctx.templates.live(template_id, language)
    current = int((pointer or {}).get("version") or 0)
    if current == 0:
        return {"template_id": template_id, "language": language, "live_version": 0, "source": "built-in"}
    _go_live(ctx, template_id, language, None, [*((pointer or {}).get("previous") or []), current], pointer, by, now)
    return {"template_id": template_id, "language": language, "live_version": 0, "source": "built-in"}


def words_sent(ctx: Context, touch: dict) -> dict | None:
    """The words a sent touch went with, to render it again as it was (a borrower's export):
    ``{"version": 0}`` for the built-in file, the team version's text, or None when the record
    names no version (sent before versions were recorded: rendered with today's live words)."""
    label = touch.get("template_version")
    if not label or touch.get("channel") not in EDITABLE:
        return None
    if label == BUILT_IN:
        return {"version": 0}
    language, _, number = label.rpartition(".v") if ".v" in label else ("en", "", label[1:])
    if not number.isdigit():
        return None
    found = _version(ctx, id_of(touch["channel"], touch["template"]), language, int(number))
    return {**found, "language": language} if found else None


def preview(ctx: Context, template_id: str, language: str | None, lead_id: str, version: int | None,
            now: datetime, draft: dict | None = None) -> dict | None:
    """The live words and a candidate (a version, or unsaved ``draft`` words) for one borrower,
    side by side: e-mail as it will be sent, a text with its segment count."""
    language = _language(language)
    entry = _entry(template_id)
    lead = ctx.leads.get(lead_id) if lead_id else None
    if entry is None or lead is None:
        return None
    pointer = ctx.templates.live(template_id, language) or {}
    live = {"version": int(pointer.get("version") or 0), "subject": pointer.get("subject"), "body": pointer.get("body")}
    if draft is not None:
        candidate = {"version": -1, **draft}
    elif version is not None:
        found = _version(ctx, template_id, language, version)
        if found is None:
            return None
        candidate = found
    else:
        candidate = {"version": 0}
    return {"template_id": template_id, "lead_id": lead_id, "channel": entry["channel"],
            "live": _pane(ctx, entry, lead, live, language, now),
            "candidate": _pane(ctx, entry, lead, candidate, language, now)}


def _pane(ctx: Context, entry: dict, lead: dict, text: dict, language: str, now: datetime) -> dict:
    from ..content.merge import build_context, lead_extras
    from ..content.render import Blocked, MergeError, render
    from ..content.sms import segments

    team = ctx.settings.team
    number = int(text.get("version") or 0)
    pinned = {"version": max(number, 1) if text.get("body") else 0, "subject": text.get("subject"),
              "body": text.get("body"), "language": language}
    order = {"channel": entry["channel"], "template": entry["template"], "subject": entry["subject"] or "",
             "touch_id": "preview", "lead_id": lead["lead_id"], "opt_out_notice": True, "pinned_text": pinned}
    label = "draft" if number < 0 else (f"v{number}" if number else BUILT_IN)
    try:
        r = render(order, {**build_context(lead, team, team.links, now, lead_extras(lead)), "language": language})
    except (MergeError, Blocked) as exc:
        return {"version": label, "error": str(exc)}
    pane = {"version": label, "subject": r.subject, "text": r.text, "html": r.html, "title": r.title}
    if entry["channel"] == "sms":
        pane.update(segments=segments(r.text), characters=len(r.text))
    return pane
