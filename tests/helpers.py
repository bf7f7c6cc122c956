"""Small helpers shared by the test layers."""
import json
from datetime import datetime

# Every layer starts its virtual clock here, never at the machine's today: a Tuesday morning in
# Texas, clear of DST changes and holidays. Flows that depend on the weekday, a holiday or DST
# also run from other starts (the tests that need them say which).
CLOCK_START = datetime.fromisoformat("2027-04-13T15:00:00+00:00")   # Tue 10:00 CDT, 11:00 EDT


def body(resp):
    return json.loads(resp.body)


def drain_events():
    """Run the queues through their Lambda handlers until empty (what Lambda would do)."""
    from chalicelib.local import runtime

    return runtime.drain()


def readable(value):
    """Stored items with their binary attributes opened (a lead's plan and library histories are
    raw deflate after a format byte, import pieces zlib): a name in compressed bytes is still there."""
    import zlib

    if isinstance(value, dict):
        return {k: readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v) for v in value]
    if isinstance(value, bytes):
        for attempt in (lambda b: zlib.decompress(b[1:], -15), zlib.decompress):
            try:
                return attempt(value).decode("utf-8", "replace")
            except zlib.error:
                continue
        return value.decode("latin-1")
    return value
