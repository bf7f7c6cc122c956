"""LO tasks in DynamoDB: created once (deterministic ids), completed once; open ones in a
sparse index by LO."""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from .ddb import is_conditional
from .models import TaskModel


def task_model(task: dict) -> TaskModel:
    return TaskModel(task["task_id"], lo_id=task["lo_id"], lead_id=task["lead_id"], created_at=task["created_at"],
                     status=task["status"], open_lo=task["lo_id"] if task["status"] == "open" else None, doc=task)


class TaskRepo:
    def put(self, task: dict) -> bool:
        """Create a task once (deterministic ids make redelivered events harmless)."""
        try:
            task_model(task).save(TaskModel.task_id.does_not_exist())
        except PutError as exc:
            if is_conditional(exc):
                return False
            raise
        return True

    def get(self, task_id: str) -> dict | None:
        try:
            return TaskModel.get(task_id).doc
        except DoesNotExist:
            return None

    def complete(self, task_id: str, at: datetime, note: str | None) -> tuple[dict | None, bool]:
        """Mark a task done once; returns (task, whether this call changed it)."""
        try:
            model = TaskModel.get(task_id)
        except DoesNotExist:
            return None, False
        doc = dict(model.doc)
        if doc["status"] == "done":
            return doc, False
        doc.update(status="done", completed_at=at.isoformat(), note=note)
        try:
            model.update(actions=[TaskModel.status.set("done"), TaskModel.doc.set(doc), TaskModel.open_lo.remove()],
                         condition=TaskModel.status != "done")
        except UpdateError as exc:
            if is_conditional(exc):
                return doc, False
            raise
        return doc, True

    def update_open(self, task_id: str, changes: dict) -> dict | None:
        """Change an open task (move it to another day, close it ``expired``); only while it is
        open, so a task the LO completed meanwhile stays done. Returns the task as written."""
        try:
            model = TaskModel.get(task_id)
        except DoesNotExist:
            return None
        if model.doc.get("status") != "open":
            return None
        doc = {**model.doc, **changes}
        actions = [TaskModel.doc.set(doc), TaskModel.status.set(doc["status"])]
        if doc["status"] != "open":  # out of the sparse open index
            actions.append(TaskModel.open_lo.remove())
        try:
            model.update(actions=actions, condition=TaskModel.status == "open")
        except UpdateError as exc:
            if is_conditional(exc):
                return None
            raise
        return doc

    def recent(self, lo_id: str, since_iso: str, limit: int = 100) -> list[dict]:
        """One LO's tasks created since ``since_iso``, newest first (the console's Today)."""
        return [m.doc for m in TaskModel.by_lo.query(lo_id, TaskModel.created_at >= since_iso, limit=limit,
                                                     scan_index_forward=False)]

    def list(self, lo_id: str | None, status: str | None, lead_id: str | None = None,
             limit: int = 100) -> list[dict]:
        """Tasks oldest first: a lead's, an LO's (the open ones from the sparse open index,
        whatever the LO's history), or an operator's listing."""
        cond = TaskModel.status == status if status else None
        if lead_id:
            result = TaskModel.by_lead.query(lead_id, filter_condition=cond, limit=limit)
        elif lo_id and status == "open":
            result = TaskModel.by_open.query(lo_id, limit=limit)
        elif lo_id:
            result = TaskModel.by_lo.query(lo_id, filter_condition=cond, limit=limit)
        else:
            result = TaskModel.scan(filter_condition=cond, limit=limit)
        return [m.doc for m in result]
