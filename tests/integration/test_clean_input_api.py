"""Clean input, permanent errors fail once (issue 12), on moto: a control character in a free-text
field is a 400 naming the field; a touch that cannot be built (a header from an older lead's
name, a template error) fails at once with its reason, is not retried and reaches no
dead-letter queue; a throttled send is still retried (the one classification, channels/errors.py)."""
import json

import pytest

from chalicelib.aws import client
from chalicelib.content import render as render_mod
from tests.helpers import body, drain_events
from tests.integration.test_delivery import (Calls, enqueue, fail_calls, fast_retries, history, make_lead,  # noqa: F401
                                             message, order, queue_url, sent_mail)


def test_the_issues_header_injection_is_a_400_naming_first_name(api, auth, ctx):
    resp = api.http.post("/leads", headers=auth, body=json.dumps(
        {"first_name": "Bob\r\nBcc: x@example.net", "email": "bob@example.com"}))
    assert resp.status_code == 400
    assert body(resp)["error"] == "validation" and list(body(resp)["fields"]) == ["first_name"]
    assert "control characters" in body(resp)["fields"]["first_name"]
    assert ctx.leads.find_duplicate("bob@example.com", None) is None  # nothing stored


@pytest.mark.parametrize("payload,field", [
    ({"last_name": "Lopez\x00"}, "last_name"),
    ({"source": "web\tform"}, "source"),
    ({"realtor": {"name": "Sam\nAgent"}}, "realtor.name"),
    ({"realtor": {"name": "S" * 101}}, "realtor.name"),
    ({"first_name": "A" * 101}, "first_name"),
    ({"consent": {"sms": {"granted": True, "text": "ok\x1b[2J"}}}, "consent.sms.text"),
])
def test_create_and_patch_name_the_field(api, auth, payload, field):
    resp = api.http.post("/leads", headers=auth, body=json.dumps({"first_name": "Ana", "email": "ana@example.com",
                                                                   **payload}))
    assert resp.status_code == 400 and list(body(resp)["fields"]) == [field]
    if "consent" in payload:
        return  # consent changes through its own route, not PATCH
    ok = api.http.post("/leads", headers=auth, body=json.dumps({"first_name": "Ana", "email": "ana2@example.com"}))
    patched = api.http.patch(f"/leads/{body(ok)['lead_id']}", headers=auth, body=json.dumps(payload))
    assert patched.status_code == 400 and list(body(patched)["fields"]) == [field]


def _older_lead(ctx, **fields) -> dict:
    """A lead as stored before these checks existed: its fields written without validation."""
    lead = make_lead(ctx)
    drain_events()
    stored = ctx.leads.get(lead["lead_id"])
    stored.update(fields)
    ctx.leads.save(stored)
    return ctx.leads.get(lead["lead_id"])


@pytest.fixture
def broken_template(monkeypatch):
    """A template that fails on this lead's data the way a real one can (a filter on a value)."""
    from jinja2 import ChoiceLoader, DictLoader

    env = render_mod.environment()
    monkeypatch.setattr(env, "loader", ChoiceLoader([DictLoader({
        "email/lead_nurture/thanks_for_reaching_out.html.j2": "<p>{{ loan.amount / 0 }}</p>"}), env.loader]))
    env.cache.clear()  # templates loaded before the swap
    yield
    env.cache.clear()


CASES = {
    "header": (lambda ctx: _older_lead(ctx, first_name="Bob\r\nBcc: x@example.net"), None,
               "header_error: Header values may not contain linefeed or carriage return characters"),
    "merge": (lambda ctx: _older_lead(ctx, first_name=None), None, "merge_error: subject: "),
    "template": (lambda ctx: _older_lead(ctx), "broken_template",
                 "merge_error: email/lead_nurture/thanks_for_reaching_out.html.j2: ZeroDivisionError"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_touch_that_cannot_be_built_fails_once_with_its_reason_and_is_not_retried(
        request, ctx, fast_retries, case):  # noqa: F811
    from chalicelib.services.leads import timeline

    make, fixture, reason = CASES[case]
    if fixture:
        request.getfixturevalue(fixture)
    lead = make(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out", 7)
    sends = Calls("sesv2", "SendEmail")
    try:
        enqueue([message(lead, touch)])
        drain_events()
    finally:
        sends.close()
    assert sends.params == [] and sent_mail() == []  # never handed to SES
    assert history(ctx, lead["lead_id"], touch["touch_id"]) == ["failed"]  # once: no "retrying"
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "failed" and record["reason"].startswith(reason), record["reason"]
    shown = [i for i in timeline(ctx, lead["lead_id"]) if i.get("touch_id") == touch["touch_id"]]
    assert [(i["status"], i["reason"][:len(reason)]) for i in shown] == [("failed", reason)]
    sqs = client("sqs")
    assert not sqs.receive_message(QueueUrl=queue_url()).get("Messages")
    assert not sqs.receive_message(QueueUrl=queue_url("touches-dlq")).get("Messages")
    failures = {(r["sequence"], r["step"]): r["failed"] for r in ctx.stats.rows() if r["failed"]}
    assert failures == {("lead_nurture", "thanks_for_reaching_out"): 1}


def test_a_throttled_send_is_still_retried_and_goes_once(ctx, fast_retries):  # noqa: F811
    lead = make_lead(ctx)
    drain_events()
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out", 7)
    calls = {"n": 0}

    def first_only(_):
        calls["n"] += 1
        return calls["n"] == 1

    failed = fail_calls("sesv2", "SendEmail", "TooManyRequestsException", 429, first_only)
    try:
        enqueue([message(lead, touch)])
        drain_events()
    finally:
        failed.unfail()
    assert len(failed) == 1
    assert history(ctx, lead["lead_id"], touch["touch_id"]) == ["retrying", "sent"]
    assert [m["X-Touch-Id"] for m in sent_mail() if m["X-Touch-Id"] == touch["touch_id"]] == [touch["touch_id"]]
