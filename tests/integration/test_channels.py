"""The channel adapters on moto (SES v2 raw MIME, SNS SMS), Connect through botocore's Stubber."""
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.stub import Stubber

from chalicelib.aws import client
from chalicelib.channels import voice
from chalicelib.channels.errors import PermanentFailure, TransientFailure, classify
from chalicelib.clock import clock
from chalicelib.config import settings
from chalicelib.services import deliver as deliver_mod
from tests.integration.test_delivery import (Calls, connect_stub, make_lead, message, order, sent_mail,  # noqa: F401
                                             sent_sms, topic_messages, virtual_clock)


def _deliver(ctx, lead, touch, attempt=1):
    return deliver_mod.deliver(ctx, message(lead, touch), clock.now(), attempt)


# -- e-mail ----------------------------------------------------------------------------------

def test_email_is_raw_mime_with_sender_reply_address_and_one_click_unsubscribe(ctx):
    from chalicelib.tracking.links import check, lead_from_reply_address

    team = settings().team
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "thanks_for_reaching_out")
    calls = Calls("sesv2", "SendEmail")
    try:
        assert _deliver(ctx, lead, touch) == "sent"
    finally:
        calls.close()

    [mail] = sent_mail()
    assert mail["From"].addresses[0].display_name == "Jordan Reyes at Lone Star Home Lending"  # the LO, the team's sender
    assert mail["From"].addresses[0].addr_spec == team.sender_email
    assert mail["To"] == lead["email"]
    reply_to = mail["Reply-To"]
    assert reply_to.endswith("@" + team.reply_domain) and lead_from_reply_address(reply_to) == lead["lead_id"]
    assert mail["X-Touch-Id"] == touch["touch_id"]
    assert mail["Subject"] == "Maria, thanks for reaching out about your home purchase"

    # RFC 2369 + RFC 8058: an https link that accepts a one-click POST, and a mailto
    links = [part.strip().strip("<>") for part in mail["List-Unsubscribe"].split(",")]
    assert links[0].startswith(team.public_base_url + "/u/") and links[1].startswith("mailto:unsubscribe+")
    token = check(links[0].rsplit("/", 1)[1])
    assert (token.kind, token.touch_id, token.lead_id) == ("u", touch["touch_id"], lead["lead_id"])
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "Jordan Reyes" in body and "NMLS" in body and "2038471" in body
    assert "/t/o/" in html  # the open pixel rides in the HTML part only
    assert "2100 Congress Avenue" in text  # CAN-SPAM: the postal address

    [params] = calls.params
    assert params["ConfigurationSetName"] == team.ses_configuration_set
    assert params["FromEmailAddress"] == team.sender_email
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == "sent" and record["provider_id"]  # the SES message id, for feedback
    assert record["links"] >= 1


def test_realtor_update_replies_to_the_lo_and_carries_no_borrower_unsubscribe(ctx):
    lead = make_lead(ctx, realtor={"name": "Sam Agent", "email": "sam@realty.example"})
    touch = order(lead, "pipeline_progression", "conditional_approval_realtor_update")
    assert _deliver(ctx, lead, touch) == "sent"
    [mail] = sent_mail()
    assert mail["To"] == "sam@realty.example" and mail["Reply-To"] == settings().team.lo("lo-1").email
    assert mail["List-Unsubscribe"] is None


# -- SMS -------------------------------------------------------------------------------------

@pytest.mark.parametrize("sequence,step,sms_type", [
    ("lead_nurture", "hello_text", "Promotional"),
    ("pipeline_progression", "conditional_approval_text", "Transactional"),
])
def test_sms_goes_through_sns_with_origination_number_and_type(ctx, sequence, step, sms_type):
    lead = make_lead(ctx)
    touch = order(lead, sequence, step)
    calls = Calls("sns", "Publish")
    try:
        assert _deliver(ctx, lead, touch) == "sent"
    finally:
        calls.close()
    [(phone, text)] = sent_sms()
    assert phone == lead["phone"] and "Jordan" in text
    [params] = calls.params
    attrs = {k: v["StringValue"] for k, v in params["MessageAttributes"].items()}
    assert attrs == {"AWS.SNS.SMS.SMSType": sms_type,
                     "AWS.MM.SMS.OriginationNumber": settings().team.sms_origination_number}


# -- voice -----------------------------------------------------------------------------------

def test_connect_request_has_the_real_start_outbound_voice_contact_shape():
    team = settings().team
    request = voice.outbound_request(to="+15125550123", script="Hi Maria, this is Jordan's office.",
                                     instance_id=team.connect_instance_id,
                                     contact_flow_id=team.connect_contact_flow_id,
                                     source_phone=team.connect_source_phone, lo_transfer_number="+15125550140",
                                     touch_id="application_incomplete.abc.3", lead_id="abc")
    connect = client("connect")
    with Stubber(connect) as stub:  # Stubber validates the parameters against Connect's service model
        stub.add_response("start_outbound_voice_contact", {"ContactId": "c-1"}, request)
        assert voice.place_call(connect, request) == "c-1"
        stub.assert_no_pending_responses()
    assert request["ClientToken"] == "application_incomplete.abc.3"  # Connect's own idempotency key
    assert request["Attributes"]["lo_transfer_number"] == "+15125550140"
    assert request["Attributes"]["language"] == "en-US"  # the flow's voice (es-US for a Spanish script)


def test_voice_touch_calls_through_connect_with_the_rendered_script(ctx, connect_stub):
    team = settings().team
    lead = make_lead(ctx)
    touch = order(lead, "application_incomplete", "finish_reminder_call")
    seen = []
    connect_stub.add_response("start_outbound_voice_contact", {"ContactId": "c-9"}, {
        "DestinationPhoneNumber": lead["phone"], "ContactFlowId": team.connect_contact_flow_id,
        "InstanceId": team.connect_instance_id, "SourcePhoneNumber": team.connect_source_phone,
        "ClientToken": touch["touch_id"], "Attributes": _capture(seen)})
    assert _deliver(ctx, lead, touch) == "sent"
    connect_stub.assert_no_pending_responses()
    [attrs] = seen
    assert attrs["lo_transfer_number"] == team.lo("lo-1").phone
    assert (attrs["touch_id"], attrs["lead_id"]) == (touch["touch_id"], lead["lead_id"])
    assert "Jordan Reyes" in attrs["script"] and "Maria" in attrs["script"]
    assert ctx.touches.get(lead["lead_id"], touch["touch_id"])["provider_id"] == "c-9"


class _capture:
    """A Stubber expected-parameter that matches anything and keeps it."""

    def __init__(self, into: list):
        self.into = into

    def __eq__(self, other):
        self.into.append(other)
        return True


@pytest.mark.parametrize("code,status,outcome", [
    ("DestinationNotAllowedException", 403, "failed"),
    ("ThrottlingException", 429, "retrying"),
    ("LimitExceededException", 429, "retrying"),  # too many concurrent calls
])
def test_connect_errors_are_classified(ctx, connect_stub, code, status, outcome):
    lead = make_lead(ctx)
    touch = order(lead, "application_incomplete", "finish_reminder_call")
    connect_stub.add_client_error("start_outbound_voice_contact", service_error_code=code,
                                  service_message=code, http_status_code=status)
    if outcome == "failed":
        assert _deliver(ctx, lead, touch) == "failed"
    else:
        with pytest.raises(TransientFailure):
            _deliver(ctx, lead, touch)
    record = ctx.touches.get(lead["lead_id"], touch["touch_id"])
    assert record["status"] == outcome and code in record["reason"]


def test_local_stage_records_calls_on_the_stand_in_instead_of_dialing(ctx):
    lead = make_lead(ctx)
    touch = order(lead, "application_incomplete", "finish_reminder_call")
    assert settings().is_local
    assert _deliver(ctx, lead, touch) == "sent"
    [call] = topic_messages(voice.local_topic_name())  # /moto-api/data.json shows the same topic
    request = call["StartOutboundVoiceContact"]
    assert request["DestinationPhoneNumber"] == lead["phone"] and request["ClientToken"] == touch["touch_id"]
    assert "Jordan Reyes" in request["Attributes"]["script"]
    assert ctx.touches.get(lead["lead_id"], touch["touch_id"])["provider_id"] == call["ContactId"]


# -- LO tasks --------------------------------------------------------------------------------

def test_task_touch_creates_one_task_and_notifies_the_lo(ctx):
    lead = make_lead(ctx)
    touch = order(lead, "lead_nurture", "first_call")
    assert _deliver(ctx, lead, touch) == "sent"
    assert deliver_mod.deliver(ctx, message(lead, touch), clock.now()) == "duplicate"
    [task] = ctx.tasks.list("lo-1", "open", lead_id=lead["lead_id"])
    assert task["task_id"] == "t-" + touch["touch_id"] and task["title"]
    [note] = topic_messages(f"{settings().table_prefix}-lo-notifications")
    assert (note["task_id"], note["lo_id"]) == (task["task_id"], "lo-1")


def test_manager_escalation_is_a_task_for_the_lo_s_manager(ctx):
    lead = make_lead(ctx)
    touch = order(lead, "escalation_watch", "manager_escalation")
    assert _deliver(ctx, lead, touch) == "sent"
    [task] = ctx.tasks.list(None, "open", lead_id=lead["lead_id"])
    assert task["lo_id"] == "lo-mgr"


# -- error classification --------------------------------------------------------------------

def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "Op")


@pytest.mark.parametrize("code,status,kind", [
    ("Throttling", 400, TransientFailure),                  # SES v1 spelling
    ("TooManyRequestsException", 429, TransientFailure),    # SES v2
    ("Throttled", 400, TransientFailure),                   # SNS
    ("ThrottlingException", 429, TransientFailure),         # Connect
    ("InternalFailure", 500, TransientFailure),
    ("SomethingNew", 503, TransientFailure),                # any 5xx
    ("AccessDeniedException", 403, TransientFailure),       # the operator's to fix: retried, then redrivable
    ("MessageRejected", 400, PermanentFailure),             # SES
    ("InvalidParameter", 400, PermanentFailure),            # SNS: invalid number
    ("DestinationNotAllowedException", 403, PermanentFailure),
    ("SomethingElse", 400, PermanentFailure),               # any other refusal
])
def test_provider_errors_are_classified(code, status, kind):
    exc = classify(_client_error(code, status))
    assert isinstance(exc, kind) and str(exc).startswith(code)


def test_network_errors_are_transient_and_other_errors_are_left_alone():
    assert isinstance(classify(ReadTimeoutError(endpoint_url="https://x")), TransientFailure)
    assert isinstance(classify(ConnectTimeoutError(endpoint_url="https://x")), TransientFailure)
    bug = KeyError("x")
    assert classify(bug) is bug  # retried as it is, and dead-lettered if it persists: never swallowed

