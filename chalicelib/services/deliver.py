"""deliver_touch: render one touch and send it, exactly once.

Exactly once = a conditional write on the touch record before the provider call (the claim):
a second delivery of the same SQS message loses the claim and sends nothing. A provider error
worth retrying releases the claim ("retrying") and raises, so SQS redelivers with backoff; a
permanent error marks the touch failed and stops; the last allowed attempt marks it failed
("dead-lettered") before the message moves to the dead-letter queue.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..channels.errors import PermanentFailure, TransientFailure, classify
from ..content.merge import build_context
from ..content.render import Blocked, MergeError, render
from ..observability import logger, metrics
from .context import Context

MAX_ATTEMPTS = 5  # = the touches queue's maxReceiveCount in infra/template.json


def _record(touch: dict, status: str, now: datetime, reason: str = "", **extra) -> dict:
    return {**touch, **extra, "status": status, "reason": reason, "at": now.isoformat()}


def _extras(lead: dict) -> dict:
    return {"refi": lead.get("refi_snapshot") or {}, "market": (lead.get("refi_snapshot") or {}).get("market") or {},
            "home": lead.get("home_snapshot") or {}}


def deliver(ctx: Context, message: dict, now: datetime, attempt: int = 1) -> str:
    from aws_lambda_powertools.metrics import MetricUnit

    touch, lead = message["touch"], message["lead"]
    team = ctx.settings.team
    tracker = None
    if touch["channel"] == "email":
        from ..tracking.links import TouchTracker

        tracker = TouchTracker(touch["touch_id"], touch["lead_id"])
    try:
        rendered = render(touch, build_context(lead, team, team.links, now, _extras(lead)), tracker)
    except MergeError as exc:
        ctx.touches.claim(_record(touch, "held", now, f"merge_error: {exc}"[:500]))
        metrics.add_metric(name="TouchesHeld", unit=MetricUnit.Count, value=1)
        return "held"
    except Blocked as exc:
        ctx.touches.claim(_record(touch, "suppressed", now, str(exc)[:500]))
        metrics.add_metric(name="TouchesSuppressed", unit=MetricUnit.Count, value=1)
        return "suppressed"

    to = _recipient(touch, lead, team)
    sent = _record(touch, "sent", now, "", attempt=attempt, subject=rendered.subject)
    if not ctx.touches.claim(sent):
        logger.info("touch already claimed: duplicate delivery", extra={"touch_id": touch["touch_id"]})
        metrics.add_metric(name="TouchDuplicatesSkipped", unit=MetricUnit.Count, value=1)
        return "duplicate"
    try:
        _send(ctx, touch, lead, rendered, to, tracker, now)
    except Exception as raw:  # every provider error is classified; none is swallowed
        exc = classify(raw)
        if isinstance(exc, PermanentFailure):
            ctx.touches.mark(_record(touch, "failed", now, str(exc)))
            metrics.add_metric(name="TouchesFailed", unit=MetricUnit.Count, value=1)
            logger.warning("touch failed permanently", extra={"touch_id": touch["touch_id"], "reason": str(exc)})
            return "failed"
        last = attempt >= MAX_ATTEMPTS
        reason = f"{'dead-lettered after' if last else 'retrying after'} attempt {attempt}: {exc}"[:500]
        ctx.touches.mark(_record(touch, "failed" if last else "retrying", now, reason))
        metrics.add_metric(name="TouchesRetried" if not last else "TouchesDeadLettered", unit=MetricUnit.Count, value=1)
        if isinstance(exc, TransientFailure) or last:
            raise TransientFailure(reason) from raw
        raise
    metrics.add_metric(name="TouchesSent", unit=MetricUnit.Count, value=1)
    return "sent"


def _recipient(touch: dict, lead: dict, team) -> str:
    if touch["channel"] == "partner_email":
        return (lead.get("realtor") or {}).get("email", "")
    if touch["channel"] == "email":
        return lead.get("email", "")
    if touch["channel"] == "task":
        return team.lo(lead.get("lo_id")).id
    return lead.get("phone", "")


def _send(ctx: Context, touch: dict, lead: dict, rendered, to: str, tracker, now: datetime) -> None:
    team = ctx.settings.team
    lo = team.lo(lead.get("lo_id"))
    channel = touch["channel"]
    if channel in ("email", "partner_email"):
        from ..channels import email

        unsubscribe = [tracker.unsubscribe_url(), tracker.unsubscribe_mailto()] if tracker else []
        reply_to = tracker.reply_address() if tracker else lo.email
        raw = email.build_mime(sender_name=f"{lo.name} at {team.name}", sender=team.sender_email, to=to,
                               reply_to=reply_to, subject=rendered.subject, text=rendered.text, html=rendered.html,
                               unsubscribe_urls=unsubscribe, touch_id=touch["touch_id"], sent_at=now)
        email.send(raw, sender=team.sender_email, to=to, configuration_set=team.ses_configuration_set,
                   touch_id=touch["touch_id"])
    elif channel == "sms":
        from ..channels import sms

        sms.send(to=to, text=rendered.text, origination_number=team.sms_origination_number,
                 transactional=touch.get("kind") == "transactional")
    elif channel == "voice":
        from ..channels import voice

        voice.send(to=to, script=rendered.text, instance_id=team.connect_instance_id,
                   contact_flow_id=team.connect_contact_flow_id, source_phone=team.connect_source_phone,
                   lo_transfer_number=lo.phone, touch_id=touch["touch_id"], lead_id=touch["lead_id"])
    elif channel == "task":
        from .notify import notify_tasks

        task = {"task_id": "t-" + touch["touch_id"], "lead_id": touch["lead_id"],
                "lo_id": lo.manager_id if touch.get("assignee") == "manager" and lo.manager_id else lo.id,
                "kind": "sequence", "title": rendered.title, "body": rendered.text, "status": "open",
                "hot": bool(touch.get("hot")), "created_at": now.isoformat(),
                "due_at": (now + timedelta(minutes=touch.get("task_due_minutes", 1440))).isoformat(),
                "source": touch["touch_id"], "sequence": touch["sequence"], "step": touch["step"]}
        if ctx.tasks.put(task):
            ctx.timeline.append(touch["lead_id"], {"at": now.isoformat(), "kind": "task", "task_id": task["task_id"],
                                                   "title": task["title"], "status": "open"})
            notify_tasks(ctx, [task])
    else:
        raise PermanentFailure(f"unknown channel {channel}")
