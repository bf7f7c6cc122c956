"""The process environment a bench measurement runs in (set before chalicelib is imported)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASE = {
    "TOUCHENGINE_STAGE": "local",
    "TOUCHENGINE_API_TOKEN": "bench-token",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "TouchEngine", "POWERTOOLS_SERVICE_NAME": "touchengine",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
DROP = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "API_TOKEN_PARAM", "TRACKING_KEY_PARAM", "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE")


def environ(**overrides: str) -> dict:
    """A copy of os.environ for a child process: fake credentials, the local stage, no endpoint."""
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    env.update(BASE)
    env["PYTHONPATH"] = str(ROOT)
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def apply(**overrides: str) -> None:
    """Set this process up like tests/conftest.py does, before anything imports chalicelib."""
    if "chalicelib.config" in sys.modules:
        raise RuntimeError("bench.env.apply() must run before chalicelib is imported")
    for key in DROP:
        os.environ.pop(key, None)
    os.environ.update(BASE)
    os.environ.update({k: v for k, v in overrides.items() if v is not None})
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def team_file(**settings) -> str:
    """A copy of the local team settings with ``settings`` on top (``send_rates=...``), for
    ``TEAM_CONFIG_FILE``: the bench sets what it measures through the team's own settings."""
    import json
    import tempfile

    raw = json.loads((ROOT / "chalicelib" / "teams" / "local.json").read_text())
    raw.update(settings)
    fh = tempfile.NamedTemporaryFile("w", prefix="bench-team-", suffix=".json", delete=False)
    json.dump(raw, fh)
    fh.close()
    return fh.name
