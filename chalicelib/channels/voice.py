"""Voice calls through Amazon Connect StartOutboundVoiceContact.

The contact flow (team config) plays the ``script`` attribute and transfers to
``lo_transfer_number`` when the borrower presses 1; ``language`` (``en-US`` or ``es-US``) lets its
"Set voice" block pick a Spanish voice for a script written in Spanish. ``ClientToken`` is the touch id, so Connect
itself refuses to place the same touch's call twice within 7 days (a second guard behind the
claim on the touch record).

The local stage has no Connect (moto does not implement outbound contacts): there the exact
request is published to the ``<prefix>-voice-calls`` SNS topic on the AWS stand-in instead, so
a person sees every call the engine would have placed in ``/moto-api/data.json`` under
``sns.Topic[name=touchengine-local-voice-calls].sent_notifications``.
"""
from __future__ import annotations

import json
import uuid

from ..aws import client
from ..config import settings

SCRIPT_MAX = 4000  # well inside Connect's 32 KB for all attributes; the templates are far shorter


def outbound_request(*, to: str, script: str, instance_id: str, contact_flow_id: str, source_phone: str,
                     lo_transfer_number: str, touch_id: str, lead_id: str, language: str = "en") -> dict:
    """The StartOutboundVoiceContact parameters for one touch."""
    attributes = {"script": script[:SCRIPT_MAX], "lo_transfer_number": lo_transfer_number,
                  "touch_id": touch_id, "lead_id": lead_id, "language": f"{language}-US"}
    return {
        "DestinationPhoneNumber": to,
        "ContactFlowId": contact_flow_id,
        "InstanceId": instance_id,
        "SourcePhoneNumber": source_phone,
        "ClientToken": touch_id[:500],
        "Attributes": attributes,
    }


def place_call(connect, request: dict) -> str:
    """Ask Connect to dial; returns the ContactId."""
    return connect.start_outbound_voice_contact(**request)["ContactId"]


def _use_stand_in() -> bool:
    return settings().is_local


def _local_topic_arn() -> str:
    # CreateTopic is idempotent (and local only): no need for the topic in infra/template.json.
    return client("sns").create_topic(Name=local_topic_name())["TopicArn"]


def local_topic_name() -> str:
    return f"{settings().table_prefix}-voice-calls"


def _record_locally(request: dict) -> str:
    contact_id = f"local-{uuid.uuid4()}"
    client("sns").publish(
        TopicArn=_local_topic_arn(), Subject=f"Voice call to {request['DestinationPhoneNumber']}"[:100],
        Message=json.dumps({"ContactId": contact_id, "StartOutboundVoiceContact": request}),
        MessageAttributes={"touch_id": {"DataType": "String", "StringValue": request["ClientToken"]}},
    )
    return contact_id


def send(*, to: str, script: str, instance_id: str, contact_flow_id: str, source_phone: str,
         lo_transfer_number: str, touch_id: str, lead_id: str, language: str = "en") -> str:
    request = outbound_request(to=to, script=script, instance_id=instance_id, contact_flow_id=contact_flow_id,
                               source_phone=source_phone, lo_transfer_number=lo_transfer_number,
                               touch_id=touch_id, lead_id=lead_id, language=language)
    if _use_stand_in():
        return _record_locally(request)
    return place_call(client("connect"), request)
