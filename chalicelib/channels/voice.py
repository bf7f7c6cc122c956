"""Voice calls through Amazon Connect StartOutboundVoiceContact."""
from __future__ import annotations

from ..aws import client


def send(*, to: str, script: str, instance_id: str, contact_flow_id: str, source_phone: str,
         lo_transfer_number: str, touch_id: str, lead_id: str) -> str:
    # Contact attributes are limited to 32 KB in total; the flow reads "script" with a
    # Play prompt and transfers to "lo_transfer_number" when the borrower presses 1.
    resp = client("connect").start_outbound_voice_contact(
        DestinationPhoneNumber=to, ContactFlowId=contact_flow_id, InstanceId=instance_id,
        SourcePhoneNumber=source_phone, ClientToken=touch_id[:500],
        Attributes={"script": script[:4000], "lo_transfer_number": lo_transfer_number,
                    "touch_id": touch_id, "lead_id": lead_id},
    )
    return resp["ContactId"]
