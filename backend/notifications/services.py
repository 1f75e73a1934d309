from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from tenants.db import connection

from .models import Notification
from .realtime import push_to_user

logger = logging.getLogger(__name__)


def notification_message(notification: Notification) -> dict[str, Any]:
    return {
        "type": "notification",
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
    }


def notification_send(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    payload: dict[str, Any] | None = None,
) -> Notification:
    """Keep a notification in the recipient's inbox (this company's schema) and push it to their open
    sockets once the transaction commits; a rolled-back transaction pushes nothing."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title[:200], body=body, url=url, payload=payload or {}
    )
    schema_name = connection.schema_name
    message = notification_message(notification)

    def push() -> None:
        try:
            push_to_user(schema_name=schema_name, user_id=recipient.pk, message=message)
        except Exception:  # noqa: BLE001 - the inbox has it; a socket that misses it catches up on reconnect
            logger.exception("push of notification %s failed", notification.pk)

    transaction.on_commit(push)
    return notification


def notification_mark_all_read(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).update(read_at=timezone.now())
