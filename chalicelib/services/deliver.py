"""deliver_touch: render one touch and send it, exactly once.

SQS delivers at least once, and a Lambda may die half way. The guard is a conditional write on
the touch record (``TouchRepo.claim``), not Powertools idempotency: the touch record already
exists (the timeline and analytics read it), so the claim costs no extra table, no extra read
and no payload hashing, and it is keyed on the touch id whatever the message looks like (a
redriven or re-queued copy, a second scheduler run). One delivery moves the touch into
``sending``; every other copy loses the write and sends nothing.

A delivery, step by step:
 1. Re-read the lead: a bounce, complaint, STOP or revoked consent that arrived after the
    scheduler queued the touch still stops it (the contact policy's suppress rules again; on a
    retry also its calling window, since time has passed).
 2. Render (pure). A Reg Z breach suppresses the touch; a merge error fails it (step 5).
 3. Claim: ``sending``, conditional on no other delivery having claimed or settled it.
 4. Optionally personalise (AI, guarded; the template is the fallback), send through the
    channel adapter, then mark ``sent`` with the provider's message id.
 5. An error is classified (channels/errors.py): permanent (invalid number, rejected message, a
    merge, template or header error) marks the touch failed with the reason, once, and
    acknowledges the message; transient (throttling) marks it
    ``retrying`` (which releases the claim) and raises, so the message comes back after a
    backoff (``retry_later``); the last allowed attempt marks it failed "dead-lettered" before
    SQS moves the message to the dead-letter queue, so it shows on the lead's timeline.

A message may carry several touches (the scheduler packs those due in the same second):
``api/workers.deliver_touches_batch`` delivers each with its own attempt count (the message's
receive count plus the ``attempts`` an order already used) and puts only the failed ones back
(``services/requeue.py``), so a touch's retries and dead-lettering are its own.

A claim whose write fails without an answer is read back: the "sending" record carries a random
token of the delivery that wrote it, so a claim that went in after all is recognised as ours.

Crash windows: if the worker dies between the claim and the ``sent`` mark, the touch stays in
``sending``. A later copy that finds a claim older than ``SEND_LEASE`` (longer than the
function may run) marks it failed "interrupted", and does not send: the provider may have
taken the message, and a borrower must never get the same text twice. A copy that finds a
younger claim is retried later (``InFlight``), because its holder may yet fail and release it.
The same holds for a send that got no answer (``ambiguous``: the request went out and the
connection timed out or closed before the reply): SES and SNS take no idempotency key, so the
message may have gone; the touch is failed "no answer", never retried (a retry sent a second
e-mail in the year with faults). Connect voice calls carry the touch id as ``ClientToken`` and LO
tasks have a deterministic id: their retries stay safe.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..channels.errors import PermanentFailure, TransientFailure, classify
from ..content.merge import build_context, lead_extras
from ..content.render import Blocked, render
from ..observability import count, logger
from ..store.keys import RETRYABLE as RETRYABLE_STATUSES  # what a claim may take over
from .context import Context
from .personalise import personalise

MAX_ATTEMPTS = 5                    # = the touches queue's maxReceiveCount (infra/template.json; a test holds them equal)
SEND_LEASE = timedelta(minutes=2)   # > deliver_touch's Lambda timeout (60 s; a test holds this)
BACKOFF_BASE = 30                   # seconds before the second attempt; doubles per attempt
BACKOFF_MAX = 15 * 60
VISIBILITY_MAX = 12 * 3600          # the most SQS ChangeMessageVisibility allows


class InFlight(TransientFailure):
    """Another delivery holds this touch's claim: look again later, change nothing."""


class Deferred(TransientFailure):
    """A retry ran into the lead's quiet hours: try again when the calling window opens."""


@dataclass
class DeliveryBatch:
    """What one Lambda batch shares: its leads read in one BatchGetItem, and the "sent" records
    written together at the end in one BatchWriteItem (instead of one read and one write per
    touch). A crash before the marks are written leaves those touches "sending": the lease
    then marks them interrupted, never resent."""
    leads: dict
    marks: list
    settled: set = field(default_factory=set)  # touch ids this batch already handled
    time_left_ms: object = None  # the Lambda context's get_remaining_time_in_millis, when there is one


@dataclass
class _Progress:
    claimed: bool = False
    handed: bool = False  # the send to the provider was started
    sent: bool = False


# A send that may have reached the provider though no answer came back (the read timed out, the
# connection closed after the request went): the provider may have the message.
def ambiguous(exc: BaseException) -> bool:
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    return isinstance(exc, (ReadTimeoutError, ConnectionClosedError))


NOT_IDEMPOTENT = ("email", "partner_email", "sms")  # voice: ClientToken; task: deterministic id


def unanswered(exc: BaseException) -> str:
    return f"no answer from the provider ({type(exc).__name__}): it may have been sent; not resent, to avoid a duplicate"


def interrupted(claimed_at: str) -> str:
    return ("interrupted: the delivery that claimed it at " + claimed_at + " stopped before recording the "
            "provider's answer; not resent, to avoid a duplicate")


def _mark_interrupted(ctx: Context, touch: dict, now: datetime, current: dict) -> bool:
    """Fail a touch still ``sending`` under a claim past its lease: never resent."""
    return ctx.touches.mark(_record(touch, "failed", now, interrupted(current["at"]), attempt=current.get("attempt")),
                            expect="sending")


def _record(touch: dict, status: str, now: datetime, reason: str = "", **extra) -> dict:
    return {**touch, **extra, "status": status, "reason": reason, "at": now.isoformat()}


def _tally(ctx: Context, touch: dict, name: str) -> None:
    """Per-step analytics for what happened at delivery (the scheduler counted the touch as
    queued to send). Best effort: a lost counter must not fail a delivery."""
    if not (touch.get("sequence") and touch.get("step")):
        return
    try:
        ctx.stats.add(touch["sequence"], touch["step"], {name: 1})
    except Exception:
        logger.exception("analytics counter not written", extra={"touch_id": touch["touch_id"], "counter": name})


def deliver(ctx: Context, message: dict, now: datetime, attempt: int = 1, batch: DeliveryBatch | None = None) -> str:
    """Deliver one touches-queue message; returns what happened.

    Returns sent | duplicate | failed | suppressed | interrupted | erased. Raises (so the
    message is retried) on transient errors and while another delivery holds the touch.
    """
    touch = message["touch"]
    progress = _Progress()
    try:
        return _deliver(ctx, touch, message.get("lead") or {}, now, attempt, progress, batch)
    except InFlight:
        raise
    except Exception as raw:  # every error is classified and recorded; none is swallowed
        return _failed(ctx, touch, now, attempt, raw, progress)


def _deliver(ctx: Context, touch: dict, snapshot: dict, now: datetime, attempt: int, progress: _Progress,
             batch: DeliveryBatch | None) -> str:
    from ..domain import policy

    team = ctx.settings.team
    if batch is not None:
        if touch["touch_id"] in batch.settled:
            count("TouchDuplicatesSkipped")
            return "duplicate"  # the same touch twice in one batch: its claim is ours, not in flight
        batch.settled.add(touch["touch_id"])
    fresh = batch.leads.get(touch["lead_id"]) if batch else ctx.leads.get(touch["lead_id"])
    if fresh is None and _erased(ctx, snapshot):
        logger.info("touch of an erased lead dropped", extra={"touch_id": touch["touch_id"]})
        return "erased"  # nothing written: the erasure left no record of this person to add to
    lead = fresh or snapshot
    decision = policy.decide(touch, lead, now, team.cap_hours, policy.ContactState())
    if decision.action == "suppress":
        return _settle(ctx, touch, "suppressed", now, decision.reason, "TouchesSuppressed")
    overtaken = policy.overtaken(touch, lead, tuple(touch.get("exit_on_stages") or ()))
    if overtaken and fresh:
        return _settle(ctx, touch, "suppressed", now, overtaken, "TouchesSuppressed")
    if decision.action == "defer" and decision.reason == "quiet_hours":  # a queue backlog must not text at night
        wait = max(60, int((decision.until - now).total_seconds()))
        if not ctx.touches.claim(_record(touch, "deferred", now, "quiet_hours",
                                         deferred_until=decision.until.isoformat())):
            return _already_claimed(ctx, touch, now)
        raise Deferred(f"quiet_hours until {decision.until.isoformat()}", retry_after=wait)
    # Business hours and the cap were the scheduler's call; they do not stop a touch in flight.

    tracker = None
    if touch["channel"] == "email":
        from ..tracking.links import TouchTracker

        tracker = TouchTracker(touch["touch_id"], touch["lead_id"])
    try:  # a merge error is not caught here: it fails the touch like any permanent error
        rendered = render(touch, build_context(lead, team, team.links, now, lead_extras(lead)), tracker)
    except Blocked as exc:
        return _settle(ctx, touch, "suppressed", now, str(exc), "TouchesSuppressed")

    to = _recipient(touch, lead, team)
    token = secrets.token_hex(6)  # tells our claim from another delivery's, if its answer is lost
    try:
        prior = ctx.touches.claim_sending(_record(touch, "sending", now, "", attempt=attempt, claim=token))
    except Exception as exc:
        prior = _claimed_after_all(ctx, touch, token, exc)
    if prior is None:
        return _already_claimed(ctx, touch, now)
    progress.claimed = True
    # after the claim, so a duplicate copy never pays for a model call
    time_left = batch.time_left_ms() if batch is not None and batch.time_left_ms else None
    rendered, personal = personalise(team, touch, lead, rendered, time_left_ms=time_left)
    progress.handed = True
    provider_id = _send(ctx, touch, lead, rendered, to, tracker, now)
    progress.sent = True
    sent = _record(touch, "sent", now, "", attempt=attempt, subject=rendered.subject, provider_id=provider_id,
                   links=len(tracker.links) if tracker else 0, template_version=rendered.version, **personal)
    if batch is not None:
        batch.marks.append((sent, prior))
    elif not ctx.touches.mark(sent, expect="sending"):
        logger.error("sent touch was no longer claimed", extra={"touch_id": touch["touch_id"]})
    count("TouchesSent")
    logger.info("touch sent", extra={"touch_id": touch["touch_id"], "lead_id": touch["lead_id"],
                                     "channel": touch["channel"], "attempt": attempt})
    return "sent"


def _erased(ctx: Context, snapshot: dict) -> bool:
    """A queued touch whose lead is gone: was it erased on request? (One read, only then.)"""
    from .privacy import erased_before

    return bool(snapshot) and erased_before(ctx, snapshot.get("email"), snapshot.get("phone"))


def _claimed_after_all(ctx: Context, touch: dict, token: str, exc: Exception) -> list[dict] | None:
    """The claim's write failed without an answer (a timeout after it committed, say): read back.
    A record ``sending`` under our token is our claim: go on with the send, with the history it
    holds. One that no claim can take (another delivery's claim, a settled touch) is answered as
    a refused claim (None). A claimable one re-raises the claim's error (retried as before).
    Without this, a claim whose answer was lost held the touch until its lease ran out, and the
    touch was failed "interrupted" without ever being sent (a touch in a hundred, in the year
    with faults)."""
    try:
        current = ctx.touches.get(touch["lead_id"], touch["touch_id"], consistent=True)
    except Exception:
        raise exc from None
    if current is None or current.get("status") in RETRYABLE_STATUSES:
        raise exc
    if current.get("status") == "sending" and current.get("claim") == token:
        return [dict(h) for h in current.get("history") or []]
    return None


def _settle(ctx: Context, touch: dict, status: str, now: datetime, reason: str, metric: str) -> str:
    """Record a touch that will not be sent (suppressed), unless another delivery settled it. One
    that a delivery claimed is that claim's (``_already_claimed``): a copy that came back after
    a crash, and found the borrower had opted out meanwhile, left it "sending" for good."""
    if ctx.touches.claim(_record(touch, status, now, reason[:500])):
        count(metric)
        if status == "suppressed":
            _tally(ctx, touch, "suppressed")
        logger.info("touch not sent", extra={"touch_id": touch["touch_id"], "status": status, "reason": reason[:200]})
        return status
    return _already_claimed(ctx, touch, now)


def _already_claimed(ctx: Context, touch: dict, now: datetime) -> str:
    current = ctx.touches.get(touch["lead_id"], touch["touch_id"], consistent=True) or {}
    if current.get("status") != "sending":
        logger.info("touch already claimed: duplicate delivery", extra={"touch_id": touch["touch_id"],
                                                                        "status": current.get("status")})
        count("TouchDuplicatesSkipped")
        return "duplicate"
    claimed_at = datetime.fromisoformat(current["at"])
    if now - claimed_at < SEND_LEASE:
        raise InFlight(f"touch {touch['touch_id']} is being sent by another delivery",
                       retry_after=int(SEND_LEASE.total_seconds()))
    if _mark_interrupted(ctx, touch, now, current):
        count("TouchesInterrupted")
        _tally(ctx, touch, "failed")
        logger.error("touch delivery interrupted; marked failed", extra={"touch_id": touch["touch_id"]})
        return "interrupted"
    return "duplicate"


def _settle_stale_claim(ctx: Context, touch: dict, now: datetime) -> bool:
    """A touch still ``sending`` under a claim older than the lease when its message is about to be
    dead-lettered (its own claim's answer was lost, then its retries failed before reaching the
    lease check): failed "interrupted", so the dead letter is not the only trace of it."""
    current = ctx.touches.get(touch["lead_id"], touch["touch_id"], consistent=True) or {}
    if current.get("status") != "sending" or now - datetime.fromisoformat(current["at"]) < SEND_LEASE:
        return False
    return _mark_interrupted(ctx, touch, now, current)


def _describe(exc: Exception) -> str:
    if isinstance(exc, (TransientFailure, PermanentFailure)) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _failed(ctx: Context, touch: dict, now: datetime, attempt: int, raw: Exception, progress: _Progress) -> str:
    exc = classify(raw)
    ids = {"touch_id": touch["touch_id"], "lead_id": touch.get("lead_id"), "attempt": attempt}
    if progress.sent:
        # The provider has the message; only our bookkeeping failed. Keep the claim: releasing
        # it would send the touch twice. A later copy resolves it once the lease runs out.
        logger.exception("touch sent but its status could not be recorded", extra=ids)
        raise raw
    if progress.handed and ambiguous(raw) and touch.get("channel") in NOT_IDEMPOTENT:
        # The provider may have taken it: a retry could send it twice. Failed, with the reason.
        reason = unanswered(raw)
        if not ctx.touches.mark(_record(touch, "failed", now, reason, attempt=attempt), expect="sending"):
            return "duplicate"
        count("TouchesUnanswered")
        _tally(ctx, touch, "failed")
        logger.error("touch send got no answer; marked failed", extra={**ids, "error": type(raw).__name__})
        return "failed"
    if isinstance(exc, PermanentFailure):  # a retry cannot cure it: failed once, with its reason
        failed = _record(touch, "failed", now, str(exc)[:500], attempt=attempt)
        if not (ctx.touches.mark(failed, expect="sending") if progress.claimed else ctx.touches.claim(failed)):
            return "duplicate"
        count("TouchesFailed")
        _tally(ctx, touch, "failed")
        logger.warning("touch failed permanently", extra={**ids, "reason": str(exc)[:300]})
        return "failed"
    last = attempt >= MAX_ATTEMPTS
    if isinstance(exc, Deferred) and not last:
        logger.info("touch deferred to the calling window", extra={**ids, "retry_after": exc.retry_after})
        raise exc  # recorded as deferred already; not a failure
    reason = f"{'dead-lettered after' if last else 'retrying after'} attempt {attempt}: {_describe(exc)}"[:500]
    record = _record(touch, "failed" if last else "retrying", now, reason, attempt=attempt)
    recorded = False
    try:
        if progress.claimed:
            recorded = ctx.touches.mark(record, expect="sending")
        else:
            recorded = ctx.touches.claim(record)  # only where no delivery has settled the touch
    except Exception:  # recording the attempt must not hide the error that caused it
        logger.exception("could not record the failed attempt", extra=ids)
    if not recorded and last and not progress.claimed:
        try:  # the last attempt: a claim left by a delivery that stopped is settled now
            recorded = _settle_stale_claim(ctx, touch, now)
        except Exception:
            logger.exception("could not settle a stale claim", extra=ids)
    count("TouchesDeadLettered" if last else "TouchesRetried")
    if last and recorded:
        _tally(ctx, touch, "failed")
    (logger.error if last else logger.warning)("touch delivery failed", extra={**ids, "reason": reason[:300]})
    raise TransientFailure(reason, retry_after=getattr(exc, "retry_after", None)) from raw


def _recipient(touch: dict, lead: dict, team) -> str:
    if touch["channel"] == "partner_email":
        return (lead.get("realtor") or {}).get("email", "")
    if touch["channel"] == "email":
        return lead.get("email", "")
    if touch["channel"] == "task":
        return team.lo(lead.get("lo_id")).id
    return lead.get("phone", "")


def _send(ctx: Context, touch: dict, lead: dict, rendered, to: str, tracker, now: datetime) -> str:
    """Hand the rendered touch to its channel; returns the provider's id for it."""
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
        return email.send(raw, sender=team.sender_email, to=to, configuration_set=team.ses_configuration_set,
                          touch_id=touch["touch_id"])
    if channel == "sms":
        from ..channels import sms

        return sms.send(to=to, text=rendered.text, origination_number=team.sms_origination_number,
                        transactional=touch.get("kind") == "transactional")
    if channel == "voice":
        from ..channels import voice

        return voice.send(to=to, script=rendered.text, instance_id=team.connect_instance_id,
                          contact_flow_id=team.connect_contact_flow_id, source_phone=team.connect_source_phone,
                          lo_transfer_number=lo.phone, touch_id=touch["touch_id"], lead_id=touch["lead_id"],
                          language="es" if lead.get("language") == "es" else "en")  # the script's voice
    if channel == "task":
        from .lo_day import stamp
        from .notify import notify_tasks

        task = {"task_id": "t-" + touch["touch_id"], "lead_id": touch["lead_id"],
                "lo_id": lo.manager_id if touch.get("assignee") == "manager" and lo.manager_id else lo.id,
                "kind": "sequence", "title": rendered.title, "body": rendered.text, "status": "open",
                "hot": bool(touch.get("hot")), "created_at": now.isoformat(),
                "due_at": (now + timedelta(minutes=touch.get("task_due_minutes") or 1440)).isoformat(),
                "source": touch["touch_id"], "sequence": touch["sequence"], "step": touch["step"],
                **{k: touch[k] for k in ("call_class", "call_day", "call_window_end") if k in touch}}
        task = stamp(ctx, task, now)  # its class, its planned day, its due time and expiry
        if ctx.tasks.put(task):  # deterministic id: a second guard against a duplicate task
            ctx.timeline.append(touch["lead_id"], {"at": now.isoformat(), "kind": "task", "task_id": task["task_id"],
                                                   "title": task["title"], "status": "open"})
            notify_tasks(ctx, [task])
        return task["task_id"]
    raise PermanentFailure(f"unknown channel {channel}")


# -- retries through the queue ---------------------------------------------------------------

def backoff_seconds(attempt: int, rand=random.random) -> int:
    """How long a failed message stays hidden before attempt ``attempt + 1``.

    30 s after the first attempt, doubling (60, 120, 240), at most 15 minutes; drawn from the
    upper half of that window so a throttled batch does not come back all at once.
    """
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (max(attempt, 1) - 1))
    return int(ceiling / 2 + rand() * ceiling / 2)


def queue_url(event_source_arn: str) -> str:
    _, partition, _, region, account, name = event_source_arn.split(":", 5)
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://sqs.{region}.{suffix}/{account}/{name}"


def retry_later(event_source_arn: str, receipt_handle: str, attempt: int, exc: BaseException) -> int | None:
    """Exponential backoff through the queue: hide a failed message until its next attempt.

    SQS would bring it back after the queue's fixed visibility timeout; ChangeMessageVisibility
    makes the wait grow per attempt (or last until quiet hours end, for a deferral). The last
    attempt is released at once so SQS moves it to the dead-letter queue without waiting.
    Best effort: if the call fails, the queue's visibility timeout still brings it back.
    Returns the delay set, in seconds.
    """
    from ..aws import client

    delay = getattr(exc, "retry_after", None)
    if attempt >= MAX_ATTEMPTS:
        delay = 0
    elif delay is None:
        delay = backoff_seconds(attempt)
    delay = max(0, min(int(delay), VISIBILITY_MAX))
    try:
        client("sqs").change_message_visibility(QueueUrl=queue_url(event_source_arn), ReceiptHandle=receipt_handle,
                                                VisibilityTimeout=delay)
    except Exception:
        logger.exception("could not set the retry delay; the queue's visibility timeout applies")
        return None
    return delay
