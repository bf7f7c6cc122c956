"""AWS unit prices the cost figures use: one place, each with its source and the day it was taken.

US East (N. Virginia), USD, on-demand / pay-as-you-go list prices, free tiers ignored (a team
stack should not depend on them). Update a price here and every figure follows.

Provenance: recorded on TAKEN_ON from the official pricing pages listed with each price. The
bench machine has no network, so the figures were not re-fetched when the bench runs: re-check
the pages when you update this file and move TAKEN_ON.
"""
from __future__ import annotations

TAKEN_ON = "2026-11-29"
REGION = "us-east-1"

PRICES: dict[str, dict] = {
    # -- engine ----------------------------------------------------------------------------
    "lambda_request": {
        "usd": 0.20 / 1_000_000, "unit": "request",
        "source": "https://aws.amazon.com/lambda/pricing/",
        "note": "$0.20 per 1M requests (x86 and Arm).",
    },
    "lambda_gb_second": {
        "usd": 0.0000166667, "unit": "GB-second",
        "source": "https://aws.amazon.com/lambda/pricing/",
        "note": "x86, first 6 billion GB-s per month; Arm is $0.0000133334. Billed per 1 ms.",
    },
    "dynamodb_wru": {
        "usd": 0.625 / 1_000_000, "unit": "write request unit",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "note": "On-demand, Standard table class ($0.625 per million since the November 2024 price cut). "
                "1 WRU = one write of up to 1 KB; a transactional write costs 2; each GSI write costs its own.",
    },
    "dynamodb_rru": {
        "usd": 0.125 / 1_000_000, "unit": "read request unit",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "note": "On-demand, Standard table class. 1 RRU = one strongly consistent read of up to 4 KB, "
                "or two eventually consistent reads.",
    },
    "dynamodb_storage_gb_month": {
        "usd": 0.25, "unit": "GB-month",
        "source": "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "note": "Standard table class, after the first 25 GB per month (free tier ignored). Every item "
                "carries 100 bytes of indexing overhead, and every GSI stores its own copy of what it "
                "projects (bench.sizing counts both).",
    },
    "sqs_request": {
        "usd": 0.40 / 1_000_000, "unit": "request",
        "source": "https://aws.amazon.com/sqs/pricing/",
        "note": "Standard queue, $0.40 per million after the first million; every 64 KB chunk of a "
                "payload is one request; a batch of up to 10 messages is one request.",
    },
    "sns_publish_request": {
        "usd": 0.50 / 1_000_000, "unit": "request",
        "source": "https://aws.amazon.com/sns/pricing/",
        "note": "Standard topic publish (the LO task notification); delivery to the LO's subscriptions "
                "(e-mail $2.00 per 100,000, HTTPS $0.60 per million) depends on how the team subscribes.",
    },
    "api_gateway_request": {
        "usd": 3.50 / 1_000_000, "unit": "request",
        "source": "https://aws.amazon.com/api-gateway/pricing/",
        "note": "REST API (what Chalice deploys), first 333 million requests per month: the tracking "
                "pixel and click routes.",
    },
    "eventbridge_scheduled_event": {
        "usd": 0.0, "unit": "event",
        "source": "https://aws.amazon.com/eventbridge/pricing/",
        "note": "Chalice's @schedule is an EventBridge rule; the scheduled events AWS generates for it are "
                "not charged. Even at EventBridge Scheduler's $1.00 per million, the minute scheduler "
                "(43,800 runs a month) would cost $0.04 a month: negligible.",
    },
    "cloudwatch_logs_ingest_gb": {
        "usd": 0.50, "unit": "GB ingested",
        "source": "https://aws.amazon.com/cloudwatch/pricing/",
        "note": "Standard log class, first 10 TB. Powertools JSON logs and EMF metric lines are log events.",
    },
    "cloudwatch_custom_metric_month": {
        "usd": 0.30, "unit": "metric-month",
        "source": "https://aws.amazon.com/cloudwatch/pricing/",
        "note": "First 10,000 metrics. Every EMF metric name x dimension set is one custom metric: a fixed "
                "cost per stack, not per lead.",
    },
    # -- channels ----------------------------------------------------------------------------
    "ses_email": {
        "usd": 0.10 / 1000, "unit": "email",
        "source": "https://aws.amazon.com/ses/pricing/",
        "note": "$0.10 per 1,000 outbound emails (pay as you go); attachments $0.12 per GB (none here).",
    },
    "sms_us_message_part": {
        "usd": 0.00581, "unit": "message part (segment)",
        "source": "https://aws.amazon.com/end-user-messaging/pricing/",
        "note": "AWS End User Messaging (SNS SMS) base price, outbound to the US from a 10DLC or toll-free "
                "number. A GSM-7 text over 160 characters is billed per 153-character part (UCS-2: 70/67).",
    },
    "sms_us_carrier_fee": {
        "usd": 0.0030, "unit": "message part (segment)",
        "source": "https://aws.amazon.com/end-user-messaging/pricing/",
        "note": "Carrier pass-through fees, per part, vary by carrier and route (10DLC registered: about "
                "$0.002-$0.0035, AT&T/T-Mobile/Verizon; toll-free: about $0.0025-$0.003): $0.0030 is the "
                "planning average used here.",
    },
    "connect_voice_minute": {
        "usd": 0.018, "unit": "minute",
        "source": "https://aws.amazon.com/connect/pricing/",
        "note": "Amazon Connect voice usage per minute, billed per second after the first 10 s. The "
                "next-generation Connect plan lists voice at $0.038 per minute with AI features included; "
                "the lower figure is used so the channel side is not overstated.",
    },
    "connect_us_outbound_telephony_minute": {
        "usd": 0.0, "unit": "minute",
        "source": "https://aws.amazon.com/connect/pricing/",
        "note": "US outbound telephony is billed on top, per minute, at the rate the page lists for the "
                "destination. Left at 0 here: it only adds to the channel side, so leaving it out makes "
                "the engine-versus-channel comparison stricter, not looser.",
    },
}

# The workload the cost figures assume (the issue's: 100 touches per lead per year).
WORKLOAD = {
    "touches_per_lead_per_year": 100,
    "mix": {"email": 0.70, "sms": 0.20, "voice": 0.05, "task": 0.05},   # "10% voice or task": half each
    "voice_minutes_per_call": 1.0,          # a recorded reminder from the LO's office, or its voicemail
    "tracked_events_per_email": 1.0,        # opens and clicks (machine opens included) per email sent
}


def usd(name: str) -> float:
    return PRICES[name]["usd"]
