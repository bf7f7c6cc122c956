"""Powertools Logger and Metrics, shared by every handler.

No borrower PII in logs: handlers log ids (lead, touch, enrollment), types and counts only.
The correlation id of a request travels with the event through the queues as a message
attribute and is set on the logger by each consumer.
"""
from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="touchengine")
metrics = Metrics(namespace="TouchEngine", service="touchengine")


def count(name: str, value: int = 1) -> None:
    """One EMF count (MetricUnit imported here, at first use, off the cold-start path)."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
