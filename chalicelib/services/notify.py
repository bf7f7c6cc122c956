"""Tell the LO (or the manager) that a task is waiting: one SNS message per task."""
from __future__ import annotations

import json

from ..aws import client
from ..observability import logger


def notify_tasks(ctx, tasks: list[dict]) -> None:
    sns = client("sns")
    for task in tasks:
        lo = ctx.settings.team.lo(task["lo_id"])
        try:
            sns.publish(TopicArn=ctx.settings.lo_topic_arn, Subject=f"Touch Engine task: {task['kind']}"[:100],
                        Message=json.dumps({"task_id": task["task_id"], "lead_id": task["lead_id"], "lo_id": lo.id,
                                            "lo_email": lo.email, "title": task["title"], "due_at": task["due_at"],
                                            "hot": task.get("hot", False)}),
                        MessageAttributes={"lo_id": {"DataType": "String", "StringValue": lo.id}})
        except Exception:  # the task is stored; a lost notification must not lose the event
            logger.exception("task notification failed", extra={"task_id": task["task_id"]})


def notify_ops(ctx, subject: str, detail: dict) -> bool:
    """Tell the team's ops contact (the ops-alerts topic the alarms page too): a held rate move, a
    refused feed quote, a held mass send. The decision is already stored; a lost alert must not
    undo it, so a failure is logged and False returned."""
    try:
        client("sns").publish(TopicArn=ctx.settings.ops_topic_arn, Subject=f"Touch Engine: {subject}"[:100],
                              Message=json.dumps({"subject": subject, "stage": ctx.settings.stage, **detail},
                                                 default=str))
    except Exception:
        logger.exception("ops alert failed", extra={"subject": subject})
        return False
    return True
