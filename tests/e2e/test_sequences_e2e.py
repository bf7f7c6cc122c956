"""Issue 3's acceptance on the local stack: a lead's nurture sequence, replies, stage moves."""
import email
from email import policy

DAY = 86400


def _parse(raw: str):
    return email.message_from_string(raw, policy=policy.default)


def _text(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def _new_lead(stack, unique, **extra):
    resp = stack.post("/leads", {"first_name": "Maria", "last_name": "Lopez", "state": "TX", **unique,
                                 "consent": {"email": True, "sms": {"granted": True, "source": "web form",
                                                                    "text": "I agree to receive texts."}},
                                 **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def test_nurture_answers_at_once_and_runs_14_days(stack, unique):
    lead_id = _new_lead(stack, unique)
    stack.advance(60)  # the first clock step
    mail = stack.mail_to(unique["email"])
    assert len(mail) == 1
    first = _parse(mail[0])
    assert first["To"] == unique["email"]
    body = _text(first)
    assert "Maria" in body and "Jordan Reyes" in body and "NMLS #2038471" in body

    stack.advance(16 * DAY)
    items = stack.timeline(lead_id)
    # the lead also joined the year-round long-term nurture, which rests until these 14 days end
    assert {i["sequence"] for i in items if i["kind"] == "touch" and i["status"] == "sent"} <= {
        "lead_nurture", "long_term_nurture"}
    long_term = [i for i in items if i["kind"] == "touch" and i["sequence"] == "long_term_nurture"]
    touches = [i for i in items if i["kind"] == "touch" and i["sequence"] == "lead_nurture"]
    sent = [t for t in touches if t["status"] == "sent"]
    assert all(t["at"] > max(s["at"] for s in sent) for t in long_term)
    steps = [t["step"] for t in sent]
    assert steps[0] == "thanks_for_reaching_out"
    assert "how_rates_are_set" in steps and "nurture_review" in steps
    assert "payment_angle" in steps  # nobody opened the rate email: the "no" branch
    assert "qualification_questions" not in steps
    assert all(t["touch_id"] and t["channel"] and t["step"] for t in touches)
    assert all(t["reason"] for t in touches if t["status"] in ("deferred", "suppressed"))
    actions = [(i["sequence"], i["action"]) for i in items if i["kind"] == "enrollment"
               and i["sequence"] == "lead_nurture"]
    assert actions[0] == ("lead_nurture", "enrolled") and ("lead_nurture", "completed") in actions
    emailed = [t for t in sent + long_term if t["status"] == "sent" and t["channel"] == "email"]
    assert len(stack.mail_to(unique["email"])) == len(emailed)
    times = [i["at"] for i in items]
    assert times == sorted(times)


def test_reply_pauses_and_stage_change_switches_sequences(stack, unique):
    lead_id = _new_lead(stack, unique)
    stack.advance(60)
    raw = stack.mail_to(unique["email"])[0]
    reply_to = _parse(raw)["Reply-To"]
    resp = stack.post("/_local/inbound/email", {"from": unique["email"], "to": reply_to,
                                                "subject": "Re: thanks", "body": "Can we talk Thursday?"})
    assert resp.status_code == 202
    items = stack.timeline(lead_id)
    assert any(i["kind"] == "enrollment" and i["action"] == "paused" for i in items)
    tasks = stack.get(f"/tasks?lead_id={lead_id}&status=open").json()["items"]
    assert any(t["kind"] == "reply" for t in tasks)
    sent_before = len(stack.mail_to(unique["email"]))
    stack.advance(3 * DAY)
    assert len(stack.mail_to(unique["email"])) == sent_before  # paused: nothing more goes out

    assert stack.post(f"/leads/{lead_id}/stage", {"stage": "application_submitted"}).status_code == 202
    stack.settle()
    items = stack.timeline(lead_id)
    assert any(i["kind"] == "enrollment" and i["sequence"] == "lead_nurture" and i["action"] == "exited"
               for i in items)
    assert any(i["kind"] == "enrollment" and i["sequence"] == "pipeline_progression" and i["action"] == "enrolled"
               for i in items)


def test_sequences_listed_and_previewed(stack, unique):
    listed = stack.get("/sequences").json()["items"]
    ids = {s["id"] for s in listed}
    assert {"lead_nurture", "application_incomplete", "pipeline_progression", "post_funded_welcome",
            "annual_review", "refinance_opportunity", "birthday"} <= ids
    assert all(s["steps"] for s in listed)
    assert stack.get("/sequences/nope").status_code == 404
    lead_id = _new_lead(stack, unique)
    preview = stack.post("/sequences/lead_nurture/preview", {"lead_id": lead_id})
    assert preview.status_code == 200
    touches = preview.json()["touches"]
    assert touches[0]["step"] == "thanks_for_reaching_out" and "Maria" in touches[0]["text"]
    assert all(t["planned_at"] for t in touches)
    assert [t["planned_at"] for t in touches] == sorted(t["planned_at"] for t in touches)
