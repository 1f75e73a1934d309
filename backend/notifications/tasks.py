"""Notification tasks. Every one runs in the schema of the company that enqueued it (tenant-schemas-celery);
the periodic ones run once per active company (CompanyScheduler). The services enqueue them by name
(backend.celery.task_named), so these modules import the services and never the other way round."""

from __future__ import annotations

from typing import Any

from backend.celery import app

from . import announcements
from .deliveries import delivery_attempt
from .services import fanout_write


@app.task(acks_late=True)
def notify_fanout(spec: dict[str, Any]) -> int:
    return fanout_write(
        user_ids=spec["user_ids"],
        kind=spec["kind"],
        title=spec["title"],
        body=spec["body"],
        url=spec["url"],
        payload=spec["payload"],
    )


@app.task(bind=True, acks_late=True, max_retries=None)
def delivery_send(self: Any, delivery_id: int) -> str:
    """Send one e-mail or SMS copy (backend/notifications/deliveries.py); a provider error is retried."""
    status, retry_after = delivery_attempt(delivery_id=delivery_id)
    if retry_after is None:
        return status
    raise self.retry(countdown=retry_after)


@app.task
def announcements_publish_due() -> int:
    """Every minute, per company: publish scheduled announcements whose time has come."""
    return announcements.announcements_publish_due()


@app.task
def greetings_send() -> int:
    """Every morning, per company: birthday greetings to residents and the day's holiday greeting."""
    return announcements.greetings_send()
