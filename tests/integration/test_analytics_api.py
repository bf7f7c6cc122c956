"""Analytics counters kept as things happen: funnel per step, people vs machines, coverage."""
import json

from chalicelib.local import runtime
from chalicelib.tracking.links import TouchTracker
from tests.helpers import body

PHONE_UA = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Accept": "*/*"}


def test_sequence_report_counts_the_funnel_and_coverage(api, auth, ctx):
    ids = []
    for i in range(2):
        resp = api.http.post("/leads", headers=auth, body=json.dumps(
            {"first_name": f"A{i}", "email": f"a{i}@example.com", "state": "NY", "consent": {"email": True}}))
        ids.append(body(resp)["lead_id"])
    runtime.advance(60)
    first = next(e for e in ctx.enrollments.for_lead(ids[0]) if e["sequence"] == "lead_nurture")
    touch_id = next(iter(first["touch_steps"]))
    pixel = "/t/o/" + TouchTracker(touch_id, ids[0]).open_url().rsplit("/", 1)[1]
    runtime.advance(600)
    api.http.get(pixel, headers=PHONE_UA)                                         # a person
    api.http.get(pixel, headers={"User-Agent": "Mozilla/5.0", "Accept": "*/*"})   # Apple's prefetch proxy
    api.http.post(f"/leads/{ids[1]}/stage", headers=auth, body=json.dumps({"stage": "application_started"}))
    runtime.advance(60)

    report = {r["sequence"]: r for r in body(api.http.get("/analytics/sequences", headers=auth))["items"]}
    nurture = report["lead_nurture"]
    assert nurture["totals"]["enrolled"] == 2
    assert nurture["totals"]["converted"] == 1            # moved on to an application
    first_step = nurture["steps"][0]
    assert first_step["step"] == "thanks_for_reaching_out"
    assert first_step["sent"] == 2 and first_step["opened"] == 1 and first_step["machine_opens"] == 1
    assert first_step["open_rate"] == 0.5
    coverage = body(api.http.get("/analytics/coverage", headers=auth))
    assert coverage["core"] == 7 and coverage["share"] == 1.0 and coverage["in_use"] >= 1
