"""SMS through SNS Publish with the team's origination number."""
from __future__ import annotations

from ..aws import client


def send(*, to: str, text: str, origination_number: str, transactional: bool) -> str:
    resp = client("sns").publish(PhoneNumber=to, Message=text, MessageAttributes={
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional" if transactional else "Promotional"},
        "AWS.MM.SMS.OriginationNumber": {"DataType": "String", "StringValue": origination_number},
    })
    return resp["MessageId"]
