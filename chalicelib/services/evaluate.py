"""evaluate_events: one event in; the lead updated, triggers run, decisions written at once."""
from __future__ import annotations

from datetime import datetime

from ..domain.events import apply_event
from ..observability import logger, metrics
from ..store.repos import Conflict
from .context import Context
from .engine_runner import run_triggers
from .inbound import RESOLVERS, classify_inbound


def handle_event(ctx: Context, event: dict, now: datetime) -> str:
    """Process one event; a redelivered event is a no-op (SQS is at-least-once)."""
    from aws_lambda_powertools.metrics import MetricUnit

    if event["type"] in RESOLVERS:
        lead_id = RESOLVERS[event["type"]](ctx, event)
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
            return "duplicate"
        updated, item = apply_event(lead, event, now)
        # The lead remembers the events it processed: the dedupe rides on the write we make anyway.
        updated["recent_event_ids"] = (lead.get("recent_event_ids", []) + [event["event_id"]])[-50:]
        result = run_triggers(ctx, updated, lead, event, now)
        try:
            ctx.enrollments.save_all(result.enrollments, lead=result.lead, lead_repo=ctx.leads,
                                     timeline=[(item, event["event_id"])] + [(i, None) for i in result.timeline],
                                     tasks=result.tasks)
        except Conflict:
            continue
        if result.tasks:
            from .notify import notify_tasks

            notify_tasks(ctx, result.tasks)
        metrics.add_metric(name="EventsProcessed", unit=MetricUnit.Count, value=1)
        logger.info("event processed", extra={"lead_id": lead_id, "type": event["type"],
                                              "enrollments_changed": len(result.enrollments),
                                              "tasks": len(result.tasks)})
        return "processed"
    raise Conflict(lead_id)
