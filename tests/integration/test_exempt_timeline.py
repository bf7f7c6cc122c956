"""`exempt` on the timeline (issue 12), on moto through the scheduler, the touches queue, delivery
and the keyword answers: every sent touch says why it did not wait for the cap, or null."""
import json

from chalicelib.local import runtime
from tests.helpers import body, drain_events


def _sent(api, auth, lead_id) -> list[dict]:
    items = body(api.http.get(f"/leads/{lead_id}/timeline", headers=auth))["items"]
    touches = [i for i in items if i["kind"] == "touch"]
    assert all("exempt" in i for i in touches)
    return [i for i in touches if i["status"] == "sent"]


def test_exempt_values_on_a_timeline(api, auth, ctx):
    resp = api.http.post("/leads", headers=auth, body=json.dumps({
        "first_name": "Maria", "email": "maria@example.com", "phone": "+15125550123", "state": "TX",
        "realtor": {"name": "Sam Agent", "email": "sam@realty.example"},
        "consent": {"email": True, "sms": {"granted": True, "source": "web form", "text": "I agree to texts"}}}))
    lead_id = body(resp)["lead_id"]
    runtime.advance(10 * 60)  # the speed-to-lead e-mail at once, the hello text five minutes later
    first = [(i["step"], i["channel"], i["exempt"]) for i in _sent(api, auth, lead_id)]
    assert first == [("thanks_for_reaching_out", "email", "immediate"), ("hello_text", "sms", "immediate")]

    runtime.advance(3 * 86400)  # the LO's first call task, then the capped rate e-mail
    sent = {i["step"]: i for i in _sent(api, auth, lead_id)}
    assert sent["first_call"]["channel"] == "task" and sent["first_call"]["exempt"] is None
    assert sent["how_rates_are_set"]["exempt"] is None  # it waited its turn under the cap

    api.http.post(f"/leads/{lead_id}/stage", headers=auth, body=json.dumps({"stage": "conditional_approval"}))
    drain_events()
    runtime.advance(3600)
    pipeline = [i for i in _sent(api, auth, lead_id) if i["sequence"] == "pipeline_progression"]
    borrower = [i for i in pipeline if i["to"] == "borrower" and i["channel"] != "task"]
    assert borrower and {i["exempt"] for i in borrower} == {"transactional"}
    partner = [i for i in pipeline if i["channel"] == "partner_email"]
    assert partner and {i["exempt"] for i in partner} == {None}  # Realtor mail is outside the borrower's cap

    api.http.post("/_local/inbound/sms", headers=auth, body=json.dumps({"from": "+15125550123", "body": "STOP"}))
    keyword = [i for i in _sent(api, auth, lead_id) if i["sequence"] == "system"]
    assert [(i["step"], i["exempt"]) for i in keyword] == [("keyword_opt_out", "keyword")]
    assert ctx.touches.get(lead_id, keyword[0]["touch_id"])["exempt"] == "keyword"  # on the touch record too
