"""Small helpers shared by the test layers."""
import json


def body(resp):
    return json.loads(resp.body)


def drain_events():
    """Run the queues through their Lambda handlers until empty (what Lambda would do)."""
    from chalicelib.local import runtime

    return runtime.drain()
