"""The webhook task: platform level (enqueued from the public schema), it switches into the company itself."""

from __future__ import annotations

from backend.celery import app

from .webhooks import webhook_event_process_now


@app.task(acks_late=True, autoretry_for=(), max_retries=0)
def webhook_event_process(event_pk: int) -> str:
    return webhook_event_process_now(event_pk).status
