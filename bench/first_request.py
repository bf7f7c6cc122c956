"""What the first borrower to load a pixel waits for: a fresh process that imports the app and
serves ONE open-pixel request, against ``import boto3`` + one client, CPU medians.

``import app`` alone (bench.coldstart) leaves out the clients: they are built on the first
request. So each sample here is a new interpreter that, inside its timer, imports the app and
hands Chalice's handler (``app.app(event, context)``, what Lambda calls) an API Gateway proxy
event for ``GET /t/o/{token}`` with a validly signed token. The request builds its SQS client
and makes its one ``SendMessage`` to the AWS stand-in: a moto server in another process
(``python -m bench.first_request serve``), reached through ``AWS_ENDPOINT_URL`` as in
bench.rss, so the stand-in's work is not counted as the app's.

The child checks, after its timer, that the answer was 200 ``image/gif`` and that exactly one
AWS call was made, ``sqs.SendMessage``. The counter wraps botocore's ``_make_api_call`` inside
the timer, right after importing ``botocore.client``, which the request imports anyway: the
timed work is the same as without it. The stand-in then confirms one message arrived per
request. The samples are interleaved with bench.coldstart's (same baseline, same rounds).

The stage is a deployed one (``TOUCHENGINE_STAGE=dev``) with its signing key in
``TRACKING_KEYS``. A stage that keeps the key in SSM (``TRACKING_KEY_PARAM``) pays one more
client and call on its first request; not measured here.
"""
from __future__ import annotations

import json
import os
import sys

from . import env, standin

KID, SECRET = "bench1", "bench-first-request-key-0123456789"
QUEUE = "touchengine-dev-events"

CHILD = """
import time; c = time.process_time(); t = time.perf_counter()
import botocore.client as _bc
calls = []
_make = _bc.BaseClient._make_api_call
def _counted(self, op, params, _make=_make):
    calls.append(self.meta.service_model.service_name + "." + op)
    return _make(self, op, params)
_bc.BaseClient._make_api_call = _counted
import json, os
import app
class Context:
    function_name = "open_pixel"; memory_limit_in_mb = 256; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:open_pixel"
    @staticmethod
    def get_remaining_time_in_millis(): return 29000
answer = app.app(json.loads(os.environ["BENCH_EVENT"]), Context())
cpu, wall = time.process_time() - c, time.perf_counter() - t
headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
assert answer["statusCode"] == 200, answer
assert headers.get("content-type") == "image/gif", headers
assert answer.get("isBase64Encoded") and answer["body"].startswith("R0lGOD"), answer
assert calls == ["sqs.SendMessage"], calls
print(cpu, wall)
"""


def _open_event() -> dict:
    from chalicelib.tracking.tokens import TokenPayload, sign

    from .lambda_events import api_gateway_get

    token = sign(TokenPayload("o", "b3c1d2e4f5a6b7c8d9e0f1a2b3c4d5e6", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"),
                 {KID: SECRET.encode()}, KID)
    headers = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8",
               "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                             "Chrome/131.0 Safari/537.36",
               "X-Forwarded-For": "198.51.100.7", "Host": "bench.execute-api.us-east-1.amazonaws.com"}
    return api_gateway_get(f"/t/o/{token}", "/t/o/{token}", {"token": token}, headers)


def serve() -> None:
    """The stand-in: a moto server with the events queue; prints where, then counts messages."""
    with standin.server():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        standin.say({"endpoint": os.environ["AWS_ENDPOINT_URL"], "queue_url": url, "event": _open_event()})
        sys.stdin.readline()
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        standin.say({"messages": int(attrs["Attributes"]["ApproximateNumberOfMessages"])})


def measure(runs: int) -> dict:
    """bench.coldstart's interleaved rounds plus the first-request kind, against one stand-in."""
    from . import coldstart

    with standin.Remote("bench.first_request") as remote:
        ready = remote.ready
        child_env = env.environ(TOUCHENGINE_STAGE="dev", AWS_ENDPOINT_URL=ready["endpoint"],
                                EVENTS_QUEUE_URL=ready["queue_url"], TRACKING_KEYS=f"{KID}:{SECRET}",
                                BENCH_EVENT=json.dumps(ready["event"]))
        result = coldstart.measure(runs, extra={"first_request": (CHILD, child_env)})
        checked = remote.check()
    requests = result["runs"] + coldstart.WARMUP
    if checked["messages"] != requests:
        raise RuntimeError(f"the stand-in got {checked['messages']} messages for {requests} pixel requests")
    result["first_request"] = {
        "ratio": result["ratios"]["first_request"], "ratio_wall": result["ratios_wall"]["first_request"],
        "median_cpu_s": result["median_import_cpu_s"]["first_request"],
        "baseline_median_cpu_s": result["median_import_cpu_s"]["baseline"],
        "requests": requests, "messages_received": checked["messages"],
        "what": "fresh process: import app + one GET /t/o/{token} through app.app(event, context), clients built, "
                "one SendMessage to a moto server; CPU time (time.process_time) inside the child, median",
    }
    return result


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        json.dump(measure(int(sys.argv[1]) if sys.argv[1:] else 15), sys.stdout, indent=1)
