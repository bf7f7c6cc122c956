"""The console's HTTP plumbing: sandboxed Jinja2 pages with the security headers, redirects,
form bodies, and the static files (CSS and the small live-refresh script) it serves itself."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from chalice import Response

from ..content.render import TEMPLATES_DIR

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml"}
# Everything the console loads is its own: no inline script or style, no other origin, no framing.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # pages carry borrowers' names and numbers: never kept in a shared cache or the back button's store
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=1)
def environment():
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from . import words

    env = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES_DIR / "console")), undefined=StrictUndefined,
                               autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(channel=words.channel, stage=words.stage, pct=percent, per=per_send)
    env.globals.update(static=static_url)
    return env


def percent(value: float | None) -> str:
    return "\u2013" if value is None else f"{value * 100:.0f}%"


def per_send(value: float | None) -> str:
    """Opens or clicks per message sent (counted per event: one borrower may open twice)."""
    return "\u2013" if value is None else f"{value:.2f}"


def html(template: str, status: int = 200, headers: dict | None = None, **context) -> Response:
    body = environment().get_template(template).render(**context)
    return Response(body=body, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", **SECURITY_HEADERS, **(headers or {})})


def redirect(location: str, status: int = 303, headers: dict | None = None) -> Response:
    return Response(body="", status_code=status, headers={"Location": location, **SECURITY_HEADERS, **(headers or {})})


def base_path(request) -> str:
    """What comes before /console in the browser's URL: API Gateway's stage ("/api") when the
    app is reached on its execute-api address, nothing on a custom domain or locally."""
    event = request.to_original_event()
    full = (event.get("requestContext") or {}).get("path") or ""
    plain = event.get("path") or full
    return full[: len(full) - len(plain)] if plain and full.endswith(plain) else ""


def current_path(request) -> str:
    event = request.to_original_event()
    return event.get("path") or (event.get("requestContext") or {}).get("path") or "/console"


def form(request) -> dict[str, str]:
    """An url-encoded form body, one value per field (the first); a multipart one's text fields
    (its files: :func:`files`)."""
    if (request.headers.get("content-type") or "").lower().startswith("multipart/form-data"):
        return {name: value.decode("utf-8", "replace") for name, (filename, value) in multipart(request).items()
                if filename is None}
    raw = request.raw_body or b""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return {}
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def multipart(request) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body: field -> (file name or None for a text field, bytes), the first
    of each name. Read with the standard library's MIME parser (no cgi module since Python 3.13)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    raw = request.raw_body or b""
    raw = raw.encode("utf-8") if isinstance(raw, str) else raw
    head = f"Content-Type: {request.headers.get('content-type')}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    out: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return out
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name and name not in out:
            out[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return out


def query(request) -> dict[str, str]:
    return dict(request.query_params or {})


def url(path: str, **params) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


def local_path(target: str | None, default: str = "/console") -> str:
    """Where to go back to after a form: a path on the console, never another site."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def is_https(request) -> bool:
    return (request.headers.get("x-forwarded-proto") or "").lower() == "https"


@lru_cache(maxsize=None)
def _static_version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/console/static/{name}?v={_static_version(name)}"


def static(name: str) -> Response:
    path = STATIC_DIR / name
    kind = STATIC_TYPES.get(path.suffix)
    if kind is None or "/" in name or name.startswith(".") or not path.is_file():
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain", **SECURITY_HEADERS})
    return Response(body=path.read_text(), status_code=200,
                    headers={**SECURITY_HEADERS, "Content-Type": kind, "Cache-Control": "public, max-age=86400"})
