"""The AWS stand-in in its own process, for measurements of a fresh process (bench.rss,
bench.first_request): moto in the measured process would count the stand-in as the app.

Server side (``python -m bench.<module> serve``): ``with server() as endpoint:`` starts
``ThreadedMotoServer`` on a free port with ``AWS_ENDPOINT_URL`` set; ``say`` answers the caller
on stdout (one JSON line). Caller side: ``Remote("bench.<module>")`` starts it and reads its
"ready" line; ``check()`` asks for its closing answer.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from contextlib import contextmanager

from . import env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(obj: dict) -> None:
    sys.__stdout__.write(json.dumps(obj) + "\n")
    sys.__stdout__.flush()


@contextmanager
def server():
    """A moto server on a free port of this machine; yields its endpoint URL."""
    import logging

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env.apply(AWS_ENDPOINT_URL=endpoint)
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        yield endpoint
    finally:
        moto.stop()


class Remote:
    """The caller's handle on a ``serve`` process: ``ready`` is its first answer."""

    def __init__(self, module: str):
        self.proc = subprocess.Popen([sys.executable, "-m", module, "serve"], cwd=env.ROOT, env=env.environ(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read()[-2000:]
            self.close()
            raise RuntimeError(f"stand-in did not start: {err}")
        self.ready = json.loads(line)

    def check(self) -> dict:
        self.proc.stdin.write("check\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)

    def __enter__(self) -> "Remote":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False
