"""Library e-mails are written once, as their text part; the HTML part is built from it.

A hundred articles written twice (HTML and text) would drift apart; the text form is what a
content editor reads and reviews. The layout rules, from the rendered text:

* blocks are separated by a blank line; a block is a paragraph, its lines kept with ``<br>``;
* a block whose every line starts with ``- `` is a bulleted list;
* a line in capitals (``WHAT TO CHECK``) alone or opening a block is a small heading;
* a one-line block ``Label: https://...`` is a button; ``Label: https://...`` ending a line
  inside a paragraph is a link on the label; any other address is a link on itself.

Everything is escaped first: merge values can never inject markup.
"""
from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s<>\"]+")
_TRAILING = re.compile(r":\s*(?P<url>https?://[^\s<>\"]+)\s*$")
_P = '<p style="margin:0 0 16px;">{}</p>'
_HEADING = '<p style="margin:0 0 8px;font-size:13px;letter-spacing:0.04em;color:#3e4c59;"><strong>{}</strong></p>'
_LIST = '<ul style="margin:0 0 16px;padding-left:20px;">{}</ul>'
_ITEM = '<li style="margin:0 0 6px;">{}</li>'
_LINK = '<a href="{url}" style="color:#1f5fa8;">{label}</a>'
_BUTTON = ('<p style="margin:0 0 24px;"><a href="{url}" style="display:inline-block;padding:12px 22px;'
           'background:#1f5fa8;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">{label}</a></p>')
BUTTON_MAX = 48


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and not any(c.islower() for c in letters) and len(line) <= 70


def _labelled(text: str) -> tuple[str, str, str] | None:
    """``(before, label, url)`` for a line ending "... Label: https://...", the label being the
    words after the last sentence break; None when there is no such ending."""
    m = _TRAILING.search(text)
    if not m or _URL.search(text[:m.start()]):
        return None
    head = text[:m.start()]
    cut = max(head.rfind(mark) for mark in (". ", "? ", "! ", ": ")) + 2 if any(
        mark in head for mark in (". ", "? ", "! ", ": ")) else 0
    label = head[cut:].strip()
    return (head[:cut], label, m["url"]) if 2 <= len(label) <= 80 else None


def _plain(text: str) -> str:
    from markupsafe import escape

    out, last = [], 0
    for u in _URL.finditer(text):
        out += [str(escape(text[last:u.start()])), _LINK.format(url=escape(u.group(0)), label=escape(u.group(0)))]
        last = u.end()
    return "".join(out) + str(escape(text[last:]))


def _line(text: str) -> str:
    """One escaped line, its addresses as links (a trailing "Label: url" links the label)."""
    from markupsafe import escape

    found = _labelled(text)
    if found is None:
        return _plain(text)
    before, label, url = found
    return _plain(before) + _LINK.format(url=escape(url), label=escape(label))


def to_html(text: str):
    from markupsafe import Markup, escape

    parts = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.rstrip() for ln in block.strip().split("\n")]
        if len(lines) > 1 and _is_heading(lines[0]):  # a heading right above its list or paragraph
            parts.append(_HEADING.format(escape(lines[0])))
            lines = lines[1:]
        if all(ln.startswith("- ") for ln in lines):
            parts.append(_LIST.format("".join(_ITEM.format(_line(ln[2:])) for ln in lines)))
        elif len(lines) == 1 and _is_heading(lines[0]):
            parts.append(_HEADING.format(escape(lines[0])))
        elif len(lines) == 1 and (found := _labelled(lines[0])) and not found[0] and len(found[1]) <= BUTTON_MAX:
            parts.append(_BUTTON.format(url=escape(found[2]), label=escape(found[1])))
        else:
            parts.append(_P.format("<br>".join(_line(ln) for ln in lines)))
    return Markup("\n".join(parts))
