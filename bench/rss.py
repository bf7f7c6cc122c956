"""Peak RSS of one fresh process that imports the app and delivers a batch of 10 touches.

moto in the same process would count the stand-in's memory as the app's, so the stand-in runs
elsewhere: this orchestrator (``python -m bench.rss OUT.json``) starts ``ThreadedMotoServer`` on a
free port, creates ``infra/template.json`` in it, creates 10 leads, runs the events consumer and
the scheduler once (10 "thanks" emails wait on the touches queue), then starts the measured
child with ``AWS_ENDPOINT_URL`` pointing at the stand-in. The child imports ``app`` and drains
the touches queue through ``deliver_touch`` exactly as the local runtime does (one SQS batch of
10, Lambda-shaped), then reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux)
at start, after the import and after the batch. The orchestrator checks that 10 were sent.
"""
from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys

from . import env, lambda_events

TOUCHES = 10


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child() -> None:
    """The measured process: nothing but the app, its clients and one batch."""
    start = _maxrss_mb()
    sys.path.insert(0, str(env.ROOT))
    import app  # noqa: F401  (what every Lambda of the app imports)

    after_import = _maxrss_mb()
    from chalicelib.local import runtime

    handled = runtime.drain()
    after_batch = _maxrss_mb()
    print(json.dumps({"start_mb": start, "after_import_mb": after_import, "peak_mb": after_batch,
                      "messages_handled": handled, "moto_loaded": "moto" in sys.modules}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(out_path: str) -> None:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env.apply(AWS_ENDPOINT_URL=endpoint)
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        result = _prepare_and_measure(endpoint)
    finally:
        server.stop()
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=1)


def _prepare_and_measure(endpoint: str) -> dict:
    from chalicelib.api import workers
    from chalicelib.clock import now
    from chalicelib.local import runtime
    from chalicelib.local.stack import create_resources
    from chalicelib.services import leads as lead_service
    from chalicelib.services.context import context

    create_resources()
    ctx = context()
    ids = []
    for i in range(TOUCHES):
        lead = lead_service.create_lead(ctx, {
            "first_name": f"Rss{i}", "last_name": "Borrower", "email": f"rss{i}@example.com", "state": "TX",
            "loan": {"purpose": "purchase"}, "consent": {"email": True}}, now(), f"rss-{i}")
        ids.append(lead["lead_id"])
    runtime.drain()                                   # events -> enrollments
    scheduled = workers.schedule_due_touches(lambda_events.scheduled(now()), runtime._Context())
    proc = subprocess.run([sys.executable, "-c", "from bench.rss import child; child()"], cwd=env.ROOT,
                          env=env.environ(AWS_ENDPOINT_URL=endpoint, POWERTOOLS_LOG_LEVEL="WARNING"),
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"dispatch child failed: {proc.stderr[-2000:]}")
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    statuses = [t["status"] for lead_id in ids for t in ctx.touches.for_lead(lead_id)]
    measured.update(scheduled=scheduled, sent=statuses.count("sent"), touches=TOUCHES)
    return measured


if __name__ == "__main__":
    main(sys.argv[1])
