"""Tracking routes and behavioural triggers on moto: signed tokens, machines, hot opens."""
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import botocore.client
import pytest

from chalicelib.clock import clock
from chalicelib.tracking.links import TouchTracker
from tests.helpers import body, drain_events

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
# Mail clients ask for images with a wildcard; API Gateway needs it to return binary bodies.
BROWSER = {"User-Agent": IPHONE, "Accept": "image/webp,image/png,*/*;q=0.8"}


def _lead(api, auth) -> str:
    resp = api.http.post("/leads", headers=auth, body=json.dumps({
        "first_name": "Maria", "email": "maria@example.com", "phone": "+15125550123", "state": "TX",
        "consent": {"email": True, "sms": {"granted": True, "source": "web form", "text": "ok"}}}))
    return body(resp)["lead_id"]


@pytest.fixture
def lead(api, auth):
    return _lead(api, auth)


@pytest.fixture
def calls(monkeypatch):
    """Every AWS API call made by any client (boto3 or PynamoDB), by operation name."""
    seen = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        seen.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return seen


def _events(ctx, lead_id, type_):
    return [i for i in ctx.timeline.list(lead_id) if i.get("type") == type_]


def test_pixel_and_click_make_exactly_one_aws_call(api, lead, calls):
    tracker = TouchTracker("lead_nurture.x.1", lead)
    calls.clear()
    resp = api.http.get("/t/o/" + tracker.open_url().rsplit("/", 1)[1], headers=BROWSER)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/gif"
    assert calls == ["SendMessage"]
    calls.clear()
    click = "/t/c/" + tracker.click_url("https://lonestarhomelending.example/rates").rsplit("/", 1)[1]
    resp = api.http.get(click, headers=BROWSER)
    assert resp.status_code == 302 and resp.headers["Location"] == "https://lonestarhomelending.example/rates"
    assert calls == ["SendMessage"]


def test_forged_tokens_are_rejected_and_record_nothing(api, ctx, lead, calls):
    tracker = TouchTracker("lead_nurture.x.1", lead)
    token = tracker.click_url("https://lonestarhomelending.example/apply").rsplit("/", 1)[1]
    kid, payload, sig = token.split(".")
    other = TouchTracker("lead_nurture.x.1", "another-lead").click_url("https://evil.example/").rsplit("/", 1)[1]
    swapped = ".".join([kid, other.split(".")[1], sig])  # another payload under this signature
    tampered = ".".join([kid, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], sig])
    calls.clear()
    for bad in (swapped, tampered, token[:-3], "garbage", other.replace(other.split(".")[2], sig)):
        resp = api.http.get(f"/t/c/{bad}", headers=BROWSER)
        assert resp.status_code == 404
        assert "Location" not in resp.headers
    pixel = api.http.get("/t/o/not-a-token", headers=BROWSER)
    assert pixel.status_code == 200 and pixel.headers["Content-Type"] == "image/gif"
    assert calls == []  # nothing enqueued, nothing recorded
    # an open token is not a click token
    open_token = tracker.open_url().rsplit("/", 1)[1]
    assert api.http.get(f"/t/c/{open_token}").status_code == 404


def test_scanner_clicks_are_machine_events_and_trigger_nothing(api, ctx, lead):
    drain_events()
    url = ctx.settings.team.links["refi_calculator"]
    tracker = TouchTracker("lead_nurture.x.1", lead)
    path = "/t/c/" + tracker.click_url(url).rsplit("/", 1)[1]
    api.http.request("HEAD", path, headers=BROWSER)
    api.http.get(path, headers={"User-Agent": "Mozilla/5.0 (compatible; Barracuda Sentinel)"})
    drain_events()
    clicks = _events(ctx, lead, "link_clicked")
    assert len(clicks) == 2 and all(c["machine"] for c in clicks)
    assert not any(e["sequence"] == "refinance_scenarios" for e in ctx.enrollments.for_lead(lead))
    api.http.get(path, headers=BROWSER)
    drain_events()
    assert any(e["sequence"] == "refinance_scenarios" for e in ctx.enrollments.for_lead(lead))


# The rate e-mail goes on day 2 in business hours: from a Tuesday that is Thursday; from a
# Thursday evening it is a Saturday and waits for Monday. Both must end in one call task.
@pytest.mark.parametrize("start", [None, datetime(2027, 1, 7, 23, 45, tzinfo=timezone.utc)],
                         ids=["tuesday", "thursday-evening"])
def test_three_human_opens_of_the_rate_email_create_one_call_task(api, ctx, auth, calls, start):
    from chalicelib.local import runtime

    if start:
        clock.start_at(start)
    lead = _lead(api, auth)
    touch_id = None
    for _ in range(10):  # walk the nurture plan, a day at a time, until the rate e-mail has gone
        runtime.advance(86400)
        enrollment = next(e for e in ctx.enrollments.for_lead(lead) if e["sequence"] == "lead_nurture")
        touch_id = next((t for t, step in enrollment["touch_steps"].items() if step == "how_rates_are_set"), None)
        if touch_id:
            break
    assert touch_id, "the rate e-mail never went"
    sent_at = datetime.fromisoformat(enrollment["step_times"]["how_rates_are_set"])
    assert sent_at.astimezone(ZoneInfo("America/Chicago")).weekday() < 5  # a business day in Texas
    pixel = "/t/o/" + TouchTracker(touch_id, lead).open_url().rsplit("/", 1)[1]
    clock.advance(600)
    for _ in range(4):
        api.http.get(pixel, headers=BROWSER)
        clock.advance(300)
        drain_events()
    tasks = [t for t in ctx.tasks.list(None, "open", lead_id=lead) if t["kind"] == "call"]
    assert len(tasks) == 1 and tasks[0]["hot"]
    assert tasks[0]["due_at"] <= (clock.now() + timedelta(hours=1)).isoformat()


def test_unsubscribe_get_confirms_post_unsubscribes(api, ctx, lead):
    token = TouchTracker("lead_nurture.x.1", lead).unsubscribe_url().rsplit("/", 1)[1]
    page = api.http.get(f"/u/{token}")
    assert page.status_code == 200 and b"<form" in page.body
    drain_events()
    assert "email" not in (ctx.leads.get(lead).get("suppressed") or {})  # a GET changes nothing
    done = api.http.post(f"/u/{token}", body="List-Unsubscribe=One-Click",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    drain_events()
    assert ctx.leads.get(lead)["suppressed"]["email"]["reason"] == "opted_out"
    assert api.http.get("/u/forged.token.here").status_code == 404
