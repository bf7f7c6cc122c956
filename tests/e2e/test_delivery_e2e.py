"""Issue 4 on the local stack: redelivered touches send nothing; voice calls are visible."""
import json

import boto3

DAY = 86400
PREFIX = "touchengine-local"
# What deliver() adds to the order it was given; everything else on the record is the order itself.
DELIVERY_FIELDS = ("status", "reason", "attempt", "provider_id", "links", "history")
SNAPSHOT_FIELDS = ("lead_id", "first_name", "last_name", "email", "phone", "state", "timezone", "stage", "lo_id",
                   "loan", "realtor", "birthday", "suppressed")


def _aws(stack, service: str):
    return boto3.client(service, endpoint_url=stack.aws, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def _touch_records(stack, lead_id: str) -> list[dict]:
    items = _aws(stack, "dynamodb").query(TableName=f"{PREFIX}-touches", KeyConditionExpression="lead_id = :l",
                                          ExpressionAttributeValues={":l": {"S": lead_id}})["Items"]
    return [{**json.loads(i["doc"]["S"]), "status": i["status"]["S"]} for i in items]


def _new_lead(stack, unique, **extra) -> str:
    resp = stack.post("/leads", {"first_name": "Maria", "last_name": "Lopez", "state": "TX", **unique,
                                 "consent": {"email": True,
                                             "sms": {"granted": True, "source": "web form", "text": "I agree to texts"},
                                             "voice": {"granted": True, "source": "web form",
                                                       "text": "I agree to calls"}}, **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()["lead_id"]


def _sms_to(stack, phone: str) -> list[str]:
    return [m["message"] for m in stack.aws_data()["sns"]["SMS"] if m["phone_number"] == phone]


def test_a_requeued_copy_of_a_delivered_touch_sends_nothing(stack, unique):
    lead_id = _new_lead(stack, unique)
    stack.advance(600)  # the instant e-mail, and the hello text when the calling window is open
    sent = [t for t in _touch_records(stack, lead_id) if t["status"] == "sent"]
    assert any(t["channel"] == "email" for t in sent)
    mail, texts = len(stack.mail_to(unique["email"])), len(_sms_to(stack, unique["phone"]))
    assert mail == len([t for t in sent if t["channel"] == "email"])

    # Put copies of the delivered messages back on the touches queue, directly on the AWS stand-in:
    # the order as the scheduler queued it (the touch record holds it) and the lead snapshot.
    lead = stack.get(f"/leads/{lead_id}").json()
    snapshot = {k: lead[k] for k in SNAPSHOT_FIELDS if k in lead}
    sqs = _aws(stack, "sqs")
    url = sqs.get_queue_url(QueueName=f"{PREFIX}-touches")["QueueUrl"]
    for touch in sent:
        order = {k: v for k, v in touch.items() if k not in DELIVERY_FIELDS}
        for _ in range(2):
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"touch": order, "lead": snapshot}))
    stack.settle()

    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                   "ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"] == {"ApproximateNumberOfMessages": "0",
                                   "ApproximateNumberOfMessagesNotVisible": "0"}  # taken, and acknowledged
    assert len(stack.mail_to(unique["email"])) == mail
    assert len(_sms_to(stack, unique["phone"])) == texts
    items = [i for i in stack.timeline(lead_id) if i["kind"] == "touch" and i["status"] == "sent"]
    for touch in sent:
        assert [i["touch_id"] for i in items].count(touch["touch_id"]) == 1


def test_voice_calls_are_recorded_on_the_stand_in(stack, unique):
    lead_id = _new_lead(stack, unique)
    assert stack.post(f"/leads/{lead_id}/stage", {"stage": "application_started"}).status_code == 202
    stack.advance(4 * DAY)  # the checklist e-mail on day 1, the recorded reminder call on day 3
    topics = {t["name"]: t for t in stack.aws_data()["sns"]["Topic"]}
    calls = [json.loads(n[1]) for n in topics.get(f"{PREFIX}-voice-calls", {}).get("sent_notifications", [])]
    mine = [c for c in calls if c["StartOutboundVoiceContact"]["DestinationPhoneNumber"] == unique["phone"]]
    assert len(mine) == 1
    request = mine[0]["StartOutboundVoiceContact"]
    assert request["Attributes"]["lead_id"] == lead_id and "Jordan Reyes" in request["Attributes"]["script"]
    voice = [i for i in stack.timeline(lead_id) if i["kind"] == "touch" and i["channel"] == "voice"]
    assert [i["status"] for i in voice].count("sent") == 1

