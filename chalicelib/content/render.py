"""Rendering a touch: sandboxed Jinja2 with StrictUndefined, then what the law requires.

The engine, not each template, adds the compliance parts: the footer (LO name and NMLS ID,
company NMLS ID and postal address, Equal Housing Opportunity, unsubscribe link) on email,
the sender identification (and, when due, the opt-out line) on SMS, in GSM-7 characters
(content/sms.py); and it blocks any text that states a
rate without its APR (Reg Z 1026.24).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
_HREF = re.compile(r'href="(https?://[^"]+)"')


class MergeError(Exception):
    """The touch cannot be rendered for this lead (missing field, broken template). A retry
    renders the same way: delivery fails the touch at once (channels/errors.py classify)."""


class Blocked(Exception):
    """The rendered text breaks a content rule (Reg Z): it must not be sent."""


class NotInLanguage(Blocked):
    """The lead's language has no version of this template: not sent (never in another language)."""


class Tracker(Protocol):
    def click_url(self, url: str) -> str: ...
    def open_url(self) -> str: ...
    def unsubscribe_url(self) -> str: ...


@dataclass(frozen=True)
class Rendered:
    channel: str
    text: str
    subject: str | None = None
    html: str | None = None
    title: str | None = None
    body: str = ""  # the template's own text (e-mail text part, SMS) before the engine's additions
    version: str = "built-in"  # the words used: the built-in file, or a team version ("v3": content/versions.py)


@lru_cache(maxsize=1)
def environment():
    from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)), undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True, lstrip_blocks=True,
        auto_reload=False,  # templates ship in the package: no stat() of the file on every render
    )


@lru_cache(maxsize=1024)
def _string_template(source: str):
    """A subject line compiled once: Jinja2 compiles a string template on every from_string."""
    return environment().from_string(source)


LIBRARY = "library/"  # library e-mails are written once, as text (content/article.py builds the HTML)


def template_paths(channel: str, template: str) -> list[str]:
    if channel in ("email", "partner_email"):
        if template.startswith(LIBRARY):
            return [f"email/{template}.txt.j2"]
        return [f"email/{template}.html.j2", f"email/{template}.txt.j2"]
    return [f"{channel}/{template}.j2"]


def with_data(ctx: dict, order: dict) -> dict:
    """The context with the figures the touch carries (a market or equity update's data, an LO
    task's talking points, computed when it was scheduled): only into their own merge groups."""
    from .fields import DATA_GROUPS

    data = order.get("data") or {}
    if not data:
        return ctx
    out = dict(ctx)
    for group, values in data.items():
        if group in DATA_GROUPS and isinstance(values, dict):
            out[group] = {**ctx.get(group, {}), **{k: v for k, v in values.items() if v is not None and v != ""}}
    return out


def _faults() -> tuple[type, ...]:
    """What a template can raise on this lead's data: Jinja2's own errors (undefined field,
    syntax, sandbox) and what a filter or expression raises on a value (a TypeError on None, a
    ZeroDivisionError). Not OSError: a template file that cannot be read is the package's fault."""
    from jinja2 import TemplateError

    return TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError


def _render(name: str, ctx: dict) -> str:
    try:
        return environment().get_template(name).render(ctx).strip()
    except _faults() as exc:
        raise MergeError(f"{name}: {_say(exc)}") from None


def _render_string(source: str, ctx: dict, what: str = "subject") -> str:
    try:
        return _string_template(source).render(ctx).strip()
    except _faults() as exc:
        raise MergeError(f"{what}: {_say(exc)}") from None


def _say(exc: Exception) -> str:
    from jinja2 import TemplateError

    return str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"


def sms_signature(ctx: dict, opt_out: bool = True) -> str:
    # Sender identification (TCPA, CTIA) and the SAFE Act's LO name and NMLS ID, on every text;
    # the opt-out instruction where domain/sms_notice.py says it is due (first text, monthly).
    # In the lead's language (content/language.py).
    from .language import of, sms_signature as signature

    return signature(ctx, opt_out, of(ctx))


def voice_closing(ctx: dict) -> str:
    # SAFE Act on the phone too: the LO's name and NMLS ID, and how to stop the calls.
    from .language import of, voice_closing as closing

    return closing(ctx, of(ctx))


def _guard(*texts: str) -> None:
    from ..domain.regz import rate_statements_without_apr

    for text in texts:
        bad = rate_statements_without_apr(text or "")
        if bad:
            raise Blocked(f"regz: rate stated without APR: {bad[0]!r}")


def render(order: dict, ctx: dict, tracker: Tracker | None = None) -> Rendered:
    from dataclasses import replace

    from .versions import resolve

    language = ctx.get("language") or "en"
    team = resolve(order, language)
    rendered = _render_order(order, _in_language(with_data(ctx, order), order, language, team), tracker, team)
    return replace(rendered, version=team.label) if team else rendered


def _in_language(ctx: dict, order: dict, language: str, team) -> dict:
    """The context in the lead's language (content/language.py); it names the files to read."""
    from .language import NAMES, has_version, localise, localised

    if not localised(order["channel"], language):
        return ctx  # an LO's task, a Realtor's update: English
    if team is None and not has_version(order["channel"], order["template"], language):
        raise NotInLanguage(f"no {NAMES[language]} version of {order['channel']}/{order['template']}: "
                            f"not sent in another language")
    return {**localise(ctx, language), "_files": language}


def _render_order(order: dict, ctx: dict, tracker: Tracker | None, team) -> Rendered:
    """``team``: the team's words (content/versions.py) in place of the template file, or None."""
    channel, template = order["channel"], order["template"]
    files = ctx.pop("_files", None)  # "es": the lead's language's own files (templates/es/...)
    prefix = f"{files}/" if files else ""

    def own(name: str) -> str:
        return _render_string(team.body, ctx, "body") if team else _render(prefix + name, ctx)

    if channel in ("email", "partner_email"):
        from markupsafe import Markup

        from .language import subject_for

        own_subject = subject_for(template, files) if files else None
        subject = _render_string((team and team.subject) or own_subject or order.get("subject") or "", ctx)
        body_text = own(f"email/{template}.txt.j2")
        if team or files or template.startswith(LIBRARY):
            from .article import to_html

            body_html = str(to_html(body_text))
        else:
            body_html = _render(f"email/{template}.html.j2", ctx)
        unsubscribe = tracker.unsubscribe_url() if tracker and channel == "email" else None
        if unsubscribe and files:  # the unsubscribe page in the e-mail's language (api/tracking.py)
            unsubscribe += ("&" if "?" in unsubscribe else "?") + f"lang={files}"
        if tracker:
            body_html = _HREF.sub(lambda m: f'href="{tracker.click_url(m.group(1))}"', body_html)
        footer_ctx = {**ctx, "unsubscribe_url": unsubscribe}
        if channel == "partner_email":  # to the Realtor: the footer says why *they* get it
            footer_ctx["relationship"] = "partner"
        footer_html = _render(prefix + "partials/footer.html.j2", footer_ctx)
        footer_text = _render(prefix + "partials/footer.txt.j2", footer_ctx)
        html = _render("partials/layout.html.j2", {
            "subject": subject, "body": Markup(body_html), "footer": Markup(footer_html),
            "pixel_url": tracker.open_url() if tracker else None, "lang": files or "en"})
        text = f"{body_text}\n\n{footer_text}"
        _guard(subject, body_text, re.sub(r"<[^>]+>", " ", body_html))
        return Rendered(channel, text=text, subject=subject, html=html, body=body_text)
    body = own(f"{channel}/{template}.j2")
    _guard(body)
    if channel == "sms":  # GSM-7 forms: one curly quote would bill the whole text as UCS-2
        from .sms import normalise

        body = normalise(body)
        # an order planned before the notice rule carries no flag: it says it, to be safe
        return Rendered(channel, text=body + normalise(sms_signature(ctx, order.get("opt_out_notice", True))),
                        body=body)
    if channel == "task":
        title, _, rest = body.partition("\n")
        if ctx.get("language") == "es":  # the LO's words stay English; the call is in Spanish
            from .language import LO_NOTE, LO_TITLE

            title, rest = f"{title.strip()} {LO_TITLE}", f"{LO_NOTE}\n{rest.strip()}"
        return Rendered(channel, text=rest.strip(), title=title.strip())
    if channel == "voice":
        return Rendered(channel, text=f"{body} {voice_closing(ctx)}")
    return Rendered(channel, text=body)


PS_MARK = "<!--ps-->"  # in partials/layout.html.j2, right after the body


def personalised(rendered: Rendered, kind: str, text: str) -> Rendered:
    """The rendered touch with a checked model answer (``content.personalise.check``) put in:
    an SMS body replaced (the signature stays), or a P.S. after an e-mail's body and before
    the engine's footer, in both parts."""
    from dataclasses import replace

    from markupsafe import escape

    tail = rendered.text[len(rendered.body):]
    if kind == "sms":
        from .sms import normalise

        text = normalise(text)
        return replace(rendered, text=text + tail, body=text)
    html = rendered.html.replace(PS_MARK, f'<p style="margin:16px 0 0;">P.S. {escape(text)}</p>', 1)
    return replace(rendered, text=f"{rendered.body}\n\nP.S. {text}{tail}", html=html)
