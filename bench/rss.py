"""Peak RSS of one fresh process that imports the app and delivers a batch of 10 touches.

moto in the same process would count the stand-in's memory as the app's, so the stand-in runs
in another process: ``python -m bench.rss serve`` starts ``ThreadedMotoServer`` on a free port,
creates ``infra/template.json`` in it, creates 10 leads, runs the events consumer and the
scheduler once (10 "thanks" emails wait on the touches queue) and says so on stdout.

The measured child is then started by the *caller* (``measure()``, from the lean ``bench.run``
process), not by the server: Linux carries ``ru_maxrss`` across fork and exec, so a child of the
300 MB server process would report the server's peak as its own. The child, with
``AWS_ENDPOINT_URL`` pointing at the stand-in, imports ``app`` and drains the touches queue
through ``deliver_touch`` exactly as the local runtime does (one Lambda-shaped SQS batch of 10),
and reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux) at start, after the
import and after the batch, with ``VmHWM`` from ``/proc/self/status`` as a cross-check. The
server then checks that the 10 touches were sent.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys

from . import env, lambda_events, standin

TOUCHES = 10
VIRTUAL_NOW = "2026-03-10T15:00:00+00:00"   # a Tuesday, 10:00 in Austin: no quiet hours in the way


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hwm_mb() -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _set_virtual_clock() -> None:
    from datetime import datetime, timezone

    from chalicelib.clock import clock

    clock.start_at(datetime.fromisoformat(VIRTUAL_NOW))


def child() -> None:
    """The measured process: nothing but the app, its clients and one batch."""
    start = _maxrss_mb()
    sys.path.insert(0, str(env.ROOT))
    import app  # noqa: F401  (what every Lambda of the app imports)

    after_import = _maxrss_mb()
    from chalicelib.local import runtime

    _set_virtual_clock()

    handled = runtime.drain()
    after_batch = _maxrss_mb()
    sys.stdout.flush()
    print(json.dumps({"start_mb": start, "after_import_mb": after_import, "peak_mb": after_batch,
                      "vmhwm_mb": _hwm_mb(), "messages_handled": handled, "moto_loaded": "moto" in sys.modules}))


def serve() -> None:
    """The stand-in and the queued batch; answers "check" on stdin with what was sent."""
    with standin.server() as endpoint:
        with _quiet_stdout():
            ctx, ids, scheduled = _prepare()
        standin.say({"endpoint": endpoint, "scheduled": scheduled})
        sys.stdin.readline()
        statuses = [t["status"] for lead_id in ids for t in ctx.touches.for_lead(lead_id)]
        standin.say({"sent": statuses.count("sent"), "statuses": sorted(set(statuses))})


class _quiet_stdout:
    """The handlers print EMF metrics on stdout; this process's stdout is its answer channel."""

    def __enter__(self):
        import os

        sys.stdout.flush()
        self.saved = os.dup(1)
        self.devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self.devnull, 1)
        sys.__stdout__ = os.fdopen(os.dup(self.saved), "w")

    def __exit__(self, *exc):
        import os

        sys.stdout.flush()
        os.dup2(self.saved, 1)
        os.close(self.devnull)
        return False


def _prepare():
    from chalicelib.api import workers
    from chalicelib.clock import now
    from chalicelib.local import runtime
    from chalicelib.local.stack import create_resources
    from chalicelib.services import leads as lead_service
    from chalicelib.services.context import context

    create_resources()
    _set_virtual_clock()
    ctx = context()
    ids = []
    for i in range(TOUCHES):
        lead = lead_service.create_lead(ctx, {
            "first_name": f"Rss{i}", "last_name": "Borrower", "email": f"rss{i}@example.com", "state": "TX",
            "loan": {"purpose": "purchase"}, "consent": {"email": True}}, now(), f"rss-{i}")
        ids.append(lead["lead_id"])
    runtime.drain()                                   # events -> enrollments
    scheduled = workers.schedule_due_touches(lambda_events.scheduled(now()), runtime._Context())
    return ctx, ids, scheduled


def measure() -> dict:
    """Run from a small process (bench.run): start the stand-in, then the measured child."""
    with standin.Remote("bench.rss") as remote:
        ready = remote.ready
        proc = subprocess.run([sys.executable, "-c", "from bench.rss import child; child()"], check=False, cwd=env.ROOT,
                              env=env.environ(AWS_ENDPOINT_URL=ready["endpoint"]),
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"dispatch child failed: {proc.stderr[-2000:]}")
        measured = json.loads(proc.stdout.strip().splitlines()[-1])
        checked = remote.check()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    measured.update(scheduled=ready["scheduled"], touches=TOUCHES, caller_maxrss_mb=own, **checked)
    return measured


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        json.dump(measure(), sys.stdout, indent=1)
