"""End-to-end layer: the local stack in its own process, driven over HTTP like an LOS would."""
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import CLOCK_START

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, api: str, aws: str, token: str, people: list | None = None, password: str = ""):
        self.api, self.aws, self.token = api, aws, token
        self.people, self.password = people or [], password  # the demo people make run seeds
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return self.api + path

    def get(self, path, **kw):
        return self.session.get(self.url(path), timeout=60, **kw)

    def post(self, path, payload=None, **kw):
        return self.session.post(self.url(path), data=json.dumps(payload or {}), timeout=300,
                                 headers={"Content-Type": "application/json"}, **kw)

    def patch(self, path, payload):
        return self.session.patch(self.url(path), data=json.dumps(payload), timeout=60,
                                  headers={"Content-Type": "application/json"})

    def advance(self, seconds: float) -> str:
        resp = self.post("/_local/clock", {"advance_seconds": seconds})
        assert resp.status_code == 200, resp.text
        return resp.json()["now"]

    def settle(self) -> None:
        """One worker cycle at the current virtual time (queues drained, schedules run)."""
        self.advance(0)

    def timeline(self, lead_id: str) -> list[dict]:
        resp = self.get(f"/leads/{lead_id}/timeline")
        assert resp.status_code == 200, resp.text
        return resp.json()["items"]

    def aws_data(self) -> dict:
        return requests.get(self.aws + "/moto-api/data.json", timeout=30).json()

    def sent_mail(self) -> list[dict]:
        return self.aws_data()["ses"]["RawMessage"]

    def mail_to(self, address: str) -> list[str]:
        return [m["raw_data"] for m in self.sent_mail() if address in m["destinations"]]


@contextlib.contextmanager
def launch_stack(log_name: str = ".e2e-stack.log", **extra_env):
    """A local stack in its own process (``extra_env``: e.g. ``TEAM_CONFIG_FILE`` for a team of its own)."""
    api_port, aws_port = _free_port(), _free_port()
    env = {**os.environ, "API_PORT": str(api_port), "AWS_PORT": str(aws_port), "SEED": "0",
           "TOUCHENGINE_API_TOKEN": "e2e-token", "WORKER_INTERVAL": "0.3", "POWERTOOLS_LOG_LEVEL": "ERROR",
           "TOUCHENGINE_CLOCK_START": CLOCK_START.isoformat(), **extra_env}
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("COGNITO_JWKS_URL", None)  # the stack's verifier fetches the pool's keys over HTTP, as deployed
    log = open(ROOT / log_name, "w")
    proc = subprocess.Popen([sys.executable, "-m", "chalicelib.local.stack"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    ready = None
    deadline = time.time() + 90
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        if line.startswith("{") and '"ready"' in line:
            ready = json.loads(line)
            break
    if ready is None:
        proc.kill()
        log.close()
        pytest.fail("local stack did not start:\n" + (ROOT / log_name).read_text()[-3000:])
    try:
        yield Stack(ready["api"], ready["aws_endpoint"], ready["token"], ready.get("people"), ready.get("password", ""))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def stack():
    with launch_stack() as running:
        yield running


_counter = iter(range(10_000))


def fresh() -> dict:
    """An e-mail and phone no other test uses (the stack is shared by the session)."""
    n = next(_counter)
    return {"email": f"borrower{n}.{os.getpid()}@example.com", "phone": f"+1512555{1000 + n:04d}"}


@pytest.fixture
def unique():
    return fresh()


@pytest.fixture
def contacts():
    """``fresh`` for a test that needs several (import it not: pytest loads this file under its
    own name, and a second copy would count from zero again)."""
    return fresh
