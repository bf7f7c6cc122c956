"""Readiness in coverage (issue 26): what SES says of the sending identity, read with
GetEmailIdentity (botocore's Stubber holds the request to SES v2's model), and the brake's
ops alert on the ops topic (moto)."""
from datetime import datetime, timezone

import boto3
from botocore.stub import Stubber

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.services import reputation
from chalicelib.services.context import Context

T0 = datetime(2027, 4, 13, 15, 0, tzinfo=timezone.utc)
IDENTITY = "lonestarhomelending.example"


def _readiness(response=None, error=None) -> dict:
    ses = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ses) as stub:
        if error:
            stub.add_client_error("get_email_identity", service_error_code=error, http_status_code=404,
                                  expected_params={"EmailIdentity": IDENTITY})
        else:
            stub.add_response("get_email_identity", response, {"EmailIdentity": IDENTITY})
        aws.use_stand_ins({"sesv2": ses})
        try:
            return reputation.readiness(Context.in_memory(settings()))
        finally:
            aws.use_stand_ins(None)


def test_dkim_and_mail_from_verified_make_the_identity_ready_and_dmarc_is_reminded():
    out = _readiness({"IdentityType": "DOMAIN", "VerifiedForSendingStatus": True,
                      "DkimAttributes": {"SigningEnabled": True, "Status": "SUCCESS"},
                      "MailFromAttributes": {"MailFromDomain": "mail.lonestarhomelending.example",
                                             "MailFromDomainStatus": "SUCCESS", "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}})
    assert out["ready"] and out["dkim"] == "verified" and out["mail_from"] == "verified"
    assert out["mail_from_domain"] == "mail.lonestarhomelending.example"
    assert f"_dmarc.{IDENTITY}" in out["dmarc"]


def test_a_pending_dkim_and_no_mail_from_say_so():
    out = _readiness({"DkimAttributes": {"SigningEnabled": True, "Status": "PENDING"}})
    assert not out["ready"] and out["dkim"] == "pending" and out["mail_from"] == "not set up"


def test_an_identity_ses_does_not_know_is_named_not_an_error_page():
    out = _readiness(error="NotFoundException")
    assert out["error"] == "not an SES identity yet" and out["dkim"] == "unknown" and not out["ready"]


def test_a_trip_tells_the_ops_topic_once_with_the_reason(aws):
    import json

    from moto.sns.models import sns_backends

    ctx = Context(settings())
    ctx.deliverability.add(IDENTITY, T0.date().isoformat(), {"sent": 120})
    for _ in range(10):
        reputation.record_feedback(ctx, "hard_bounce", ["gone@example.com"], T0, "loans@lonestarhomelending.example")
    topic = next(t for arn, t in sns_backends["123456789012"]["us-east-1"].topics.items() if arn.endswith("-ops-alerts"))
    alerts = [json.loads(n[1]) for n in topic.sent_notifications]
    assert len(alerts) == 1 and alerts[0]["identity"] == IDENTITY and "bounce rate" in alerts[0]["reason"]
    assert reputation.bounced_at(ctx, "Gone@Example.com") == T0.isoformat()
    assert reputation.view(ctx, T0)["identities"][0]["state"] == "braked"
