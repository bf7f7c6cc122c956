"""evaluate_events: one event in; the lead updated, triggers run, decisions written at once."""
from __future__ import annotations

from datetime import datetime

from ..domain import analytics
from ..domain.events import apply_event
from ..observability import logger, metrics
from ..store.errors import Conflict
from ..store.writeset import WriteSet
from .context import Context
from .engine_runner import run_triggers
from .inbound import RESOLVERS, classify_inbound

TRACKED = ("email_opened", "link_clicked")
KEYWORDS = ("sms_opt_out", "sms_help", "sms_opt_in")  # events a text answers (keyword_replies)


def _enrich(ctx: Context, event: dict, lead: dict, enrollments: list[dict]) -> dict:
    """Name the touch's sequence and step, and judge opens and clicks by their timing."""
    data = dict(event.get("data") or {})
    touch_id = data.get("touch_id")
    if not touch_id:
        return event
    touch = None
    for e in enrollments:
        if touch_id in e.get("touch_steps", {}):
            data.update(sequence=e["sequence"], step=e["touch_steps"][touch_id])
    if "step" not in data and event["type"] in TRACKED:
        # an older touch than the enrollment keeps ids for (engine.RECENT_TOUCHES): its record names it
        touch = ctx.touches.get(event["lead_id"], touch_id) or {}
        if touch.get("sequence") and touch.get("step"):
            data.update(sequence=touch["sequence"], step=touch["step"])
    if event["type"] in TRACKED and not data.get("machine"):
        from ..tracking.machines import classify

        touch = touch if touch is not None else (ctx.touches.get(event["lead_id"], touch_id) or {})
        sent = next((h["at"] for h in touch.get("history", []) if h["status"] == "sent"), None)
        at = datetime.fromisoformat(event["at"])
        clicks = [datetime.fromisoformat(a["at"]) for a in lead.get("activity", [])
                  if a["type"] == "link_clicked" and a.get("touch_id") == touch_id]
        machine, why = classify("open" if event["type"] == "email_opened" else "click", data.get("method", "GET"),
                                data.get("user_agent"), data.get("ip"), at,
                                datetime.fromisoformat(sent) if sent else None, clicks, int(touch.get("links", 0)))
        data.update(machine=machine, machine_reason=why)
    return {**event, "data": data}


def _suppress_partner_address(ctx: Context, event: dict, now: datetime) -> str:
    """A bounce or complaint from a Realtor's address: stop partner updates to it on every lead
    it serves (repeated bounces would put the team's SES sending at risk)."""
    address = (event.get("data") or {}).get("address") or ""
    lead_ids = ctx.leads.with_realtor_email(address) if address else []
    reason = "bounced" if event["type"] == "email_bounced" else "complained"
    for lead_id in lead_ids:
        for _ in range(3):
            lead = ctx.leads.get(lead_id)
            if lead is None or "partner_email" in (lead.get("suppressed") or {}):
                break
            lead["suppressed"] = {**(lead.get("suppressed") or {}),
                                  "partner_email": {"reason": reason, "at": event["at"], "source": "ses"}}
            try:
                ctx.leads.save(lead)
            except Conflict:
                continue
            ctx.timeline.append(lead_id, {"at": event["at"], "kind": "event", "type": f"partner_{event['type']}",
                                          "machine": False, "data": {}}, item_id=event["event_id"], once=True)
            break
    logger.info("partner address suppressed", extra={"leads": len(lead_ids), "type": event["type"]})
    return "partner_suppressed" if lead_ids else "unmatched"


def handle_event(ctx: Context, event: dict, now: datetime) -> str:
    """Process one event; a redelivered event is a no-op (SQS is at-least-once)."""
    from aws_lambda_powertools.metrics import MetricUnit

    if event["type"] == "sweep_page":  # a nightly sweep's next pages, not a lead's event
        from .sweeps import continue_sweep

        continue_sweep(ctx, event)
        return "sweep_page"
    if event["type"] in ("import_plan", "import_chunk"):  # an LOS export's plan or chunk of rows
        from .imports import handle as handle_import

        return handle_import(ctx, event, now)
    if event["type"] == "los_milestone":  # an LOS webhook: its lead is found by loan number
        from .los import handle_milestone

        return handle_milestone(ctx, event, now)
    if event["type"] == "guard_page":  # a released or discarded batch's next members
        from .guard import continue_page

        continue_page(ctx, event)
        return "guard_page"
    if event["type"] in RESOLVERS:
        lead_id = RESOLVERS[event["type"]](ctx, event)
        if lead_id is None and event["type"] in ("email_bounced", "email_complained"):
            return _suppress_partner_address(ctx, event, now)
        if lead_id is not None and event["type"] == "email_bounced":  # every lead sharing the address
            _suppress_partner_address(ctx, event, now)
        if lead_id is None:
            logger.info("inbound event matched no lead", extra={"type": event["type"]})
            return "unmatched"
        event = classify_inbound({**event, "lead_id": lead_id})
    lead_id = event["lead_id"]
    for _ in range(5):
        lead = ctx.leads.get(lead_id)
        if lead is None:
            logger.warning("event for unknown lead", extra={"lead_id": lead_id, "type": event["type"]})
            return "unknown_lead"
        if event["event_id"] in lead.get("recent_event_ids", []):
            logger.info("duplicate event skipped", extra={"event_id": event["event_id"]})
            if event["type"] in KEYWORDS:  # its answer may be what the first delivery did not get to
                from .keyword_replies import answer_keyword

                answer_keyword(ctx, lead, event, now)
            return "duplicate"
        enrollments = ctx.enrollments.for_lead(lead_id, lead)
        event = _enrich(ctx, event, lead, enrollments)
        updated, item = apply_event(lead, event, now)
        # The lead remembers the events it processed: the dedupe rides on the write we make anyway.
        updated["recent_event_ids"] = (lead.get("recent_event_ids", []) + [event["event_id"]])[-50:]
        result = run_triggers(ctx, updated, lead, event, now, enrollments)
        if (event.get("data") or {}).get("hold"):  # a run the circuit breaker holds
            from .guard import apply_hold

            result = apply_hold(ctx, event, updated, result, enrollments, now)
        live = [e["sequence"] for e in enrollments if e.get("status") in ("active", "paused")]
        counters = analytics.from_event(event["type"], event.get("data") or {}, live) + \
            analytics.from_enrollment_items(result.timeline, {e["enrollment_id"]: e.get("step") for e in enrollments})
        try:
            ctx.uow.commit(WriteSet(result.enrollments, result.lead,
                                    timeline=[(item, event["event_id"])] + [(i, None) for i in result.timeline],
                                    tasks=result.tasks))
        except Conflict:
            continue
        if counters:  # best effort, as at delivery: the event is applied, a redelivery would skip it
            try:
                ctx.stats.add_all(analytics.aggregate(counters))
            except Exception:
                logger.exception("analytics counters not written", extra={"event_id": event["event_id"]})
        if result.tasks:
            from .notify import notify_tasks

            notify_tasks(ctx, result.tasks)
        if event["type"] in KEYWORDS:
            from .keyword_replies import answer_keyword

            answer_keyword(ctx, result.lead, event, now)
        metrics.add_metric(name="EventsProcessed", unit=MetricUnit.Count, value=1)
        if item["machine"]:
            metrics.add_metric(name="MachineEvents", unit=MetricUnit.Count, value=1)
        logger.info("event processed", extra={"lead_id": lead_id, "type": event["type"], "machine": item["machine"],
                                              "enrollments_changed": len(result.enrollments),
                                              "tasks": len(result.tasks)})
        return "processed"
    raise Conflict(lead_id)
