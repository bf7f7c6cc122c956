"""Which words a touch goes out with: the team's live version of its template, or the built-in file.

Render asks :func:`resolve` once per touch. A team version (subject and body written in the
console, validated and approved: ``services/templates.py``) is data in the team stack; the
built-in file under ``templates/`` stays the fallback. The live versions are read through a
loader the composition root installs (``services/context.py``), at most once a minute per
container (:data:`TTL_SECONDS`): an approval takes effect everywhere within a minute, at once in
the process that approved it. Without a loader (the pure tests, a tool) every touch is built-in.

A preview pins the words it shows in the order (``order["pinned_text"]``): a version's text, or
``{"version": 0}`` for the built-in file whatever is live.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

TTL_SECONDS = 60.0
BUILT_IN = "built-in"
EDITABLE = ("email", "sms", "voice", "task")  # partner e-mail and the compliance partials are not the team's

_lock = threading.Lock()
_state: dict = {"loader": None, "until": 0.0, "live": {}}


@dataclass(frozen=True)
class TeamText:
    version: int
    body: str
    subject: str | None = None
    language: str = "en"

    @property
    def label(self) -> str:
        """What a sent touch records: ``v3`` (``es.v3`` in another language than English)."""
        return f"v{self.version}" if self.language == "en" else f"{self.language}.v{self.version}"


def template_id(channel: str, template: str) -> str:
    """URL-safe: the template's path with '/' as '.' (``email.lead_nurture.welcome``)."""
    return f"{channel}.{template.replace('/', '.')}"


def install(loader: Callable[[], dict] | None) -> None:
    """``loader()`` -> ``{(template_id, language): {"version", "subject", "body"}}``, the live
    team versions (version 0: the built-in restored). None: built-in only."""
    with _lock:
        _state.update(loader=loader, until=0.0, live={})


def forget() -> None:
    """Read the live versions again at the next touch (after an approval here; tests)."""
    with _lock:
        _state.update(until=0.0)


def live() -> dict:
    with _lock:
        loader, fresh = _state["loader"], time.monotonic() < _state["until"]
        if loader is None or fresh:
            return _state["live"] if loader else {}
    try:
        found = loader()
    except Exception:  # the store unreachable: keep the words we had, try again in a few seconds
        from ..observability import logger

        logger.exception("team template versions not read; using the last known")
        with _lock:
            _state["until"] = time.monotonic() + 5
            return _state["live"]
    with _lock:
        _state.update(live=found, until=time.monotonic() + TTL_SECONDS)
    return found


def resolve(order: dict, language: str = "en") -> TeamText | None:
    """The team's words for this touch, or None for the built-in file."""
    pinned = order.get("pinned_text")
    if pinned is not None:
        return _text(pinned, language)
    if order.get("channel") not in EDITABLE:
        return None
    key = template_id(order["channel"], order["template"])
    found = live()
    # Only the lead's language: a Spanish lead with no Spanish team version gets the built-in
    # Spanish file (content/language.py), never the team's English words.
    doc = found.get((key, language))
    return _text(doc, language) if doc else None


def _text(doc: dict, language: str) -> TeamText | None:
    if not doc.get("version") or not doc.get("body"):
        return None
    return TeamText(int(doc["version"]), doc["body"], doc.get("subject") or None, doc.get("language", language))
