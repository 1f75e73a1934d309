"""One call to notify: `notify(recipients=..., kind=..., title=...)`.

Rows are written in the caller's transaction (one per recipient, in this company's schema); after commit
each is pushed to `<schema>.user.<id>` and its e-mail / SMS copies are handed to Celery. A rolled-back
transaction therefore pushes and sends nothing. Large audiences (more than INLINE_LIMIT people, e.g. an
estate's 10,000 residents) are written and pushed by a Celery task in batches, not in the request."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.accounts.models import User
from backend.celery import task_named
from tenants.db import company_time_zone, connection

from .kinds import kind_get
from .models import AnnouncementRecipient, Channel, Delivery, Notification, NotificationPreference, QuietHours
from .realtime import push_to_user
from .recipients import Recipients, batches, recipients_resolve

logger = logging.getLogger(__name__)

INLINE_LIMIT = 200
BATCH_SIZE = 1000
# Enqueued by name: the tasks (backend/notifications/tasks.py) call back into this module.
NOTIFY_FANOUT = "backend.notifications.tasks.notify_fanout"
DELIVERY_SEND = "backend.notifications.tasks.delivery_send"


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


def notify(
    *,
    recipients: Recipients,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    payload: dict[str, Any] | None = None,
) -> list[Notification]:
    """Notify everyone `recipients` names in this company. Returns the rows written now; for a large
    audience returns [] and a task writes them after commit."""
    user_ids = recipients_resolve(recipients)
    if not user_ids:
        return []
    if len(user_ids) > INLINE_LIMIT:
        schema = connection.schema_name
        # The fan-out id makes a retried task skip who it already wrote to.
        spec = {
            "user_ids": user_ids,
            "kind": kind,
            "title": title,
            "body": body,
            "url": url,
            "payload": {**(payload or {}), "fanout": uuid.uuid4().hex},
        }

        def enqueue() -> None:
            # Enqueued while this company's schema is active: the task runs in it (tenant-schemas-celery).
            with schema_context(schema):
                task_named(NOTIFY_FANOUT).delay(spec)

        transaction.on_commit(enqueue)
        return []
    return notifications_create(user_ids=user_ids, kind=kind, title=title, body=body, url=url, payload=payload)


def notification_send(
    *, recipient: User, kind: str, title: str, body: str = "", url: str = "", payload: dict[str, Any] | None = None
) -> Notification:
    """Notify one person (the common case for work-flow events)."""
    rows = notifications_create(user_ids=[recipient.pk], kind=kind, title=title, body=body, url=url, payload=payload)
    return rows[0]


def notifications_create(
    *,
    user_ids: list[int],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    payload: dict[str, Any] | None = None,
) -> list[Notification]:
    """Write one row per user, plan their e-mail/SMS copies, push and send after commit."""
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=uid, kind=kind, title=title[:200], body=body, url=url[:300], payload=payload or {}
            )
            for uid in user_ids
        ]
    )
    deliveries = _deliveries_plan(rows, kind)
    schema_name = connection.schema_name
    messages = [(n.recipient_id, notification_message(n)) for n in rows]
    delivery_ids = [(d.pk, d.not_before) for d in deliveries]

    def after_commit() -> None:
        for user_id, message in messages:
            try:
                push_to_user(schema_name=schema_name, user_id=user_id, message=message)
            except Exception:  # noqa: BLE001 - the inbox has it; a socket that misses it catches up on resume
                logger.exception("push of notification %s failed", message["id"])
        if delivery_ids:
            delivery_send = task_named(DELIVERY_SEND)
            with schema_context(schema_name):
                for delivery_id, not_before in delivery_ids:
                    try:
                        delivery_send.apply_async((delivery_id,), eta=not_before)
                    except Exception:  # noqa: BLE001 - no broker now: the pending row is retried by the sweeper
                        logger.exception("could not enqueue delivery %s", delivery_id)

    transaction.on_commit(after_commit)
    return rows


def _deliveries_plan(rows: list[Notification], kind: str) -> list[Delivery]:
    """E-mail and SMS copies by each person's preference for this kind (else the kind's defaults); SMS due
    in someone's quiet hours waits until they end."""
    if not rows:
        return []
    default = kind_get(kind)
    user_ids = [n.recipient_id for n in rows]
    prefs = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind)}
    wants_email = [uid for uid in user_ids if (prefs[uid].email if uid in prefs else default.email)]
    wants_sms = [uid for uid in user_ids if (prefs[uid].sms if uid in prefs else default.sms)]
    if not wants_email and not wants_sms:
        return []
    contacts = {u.pk: u for u in User.objects.filter(pk__in={*wants_email, *wants_sms}).only("id", "email", "phone")}
    quiet = {q.user_id: q for q in QuietHours.objects.filter(user_id__in=wants_sms)}
    by_user = {n.recipient_id: n for n in rows}
    planned = []
    for uid in wants_email:
        email = contacts[uid].email if uid in contacts else None
        if email:
            planned.append(Delivery(notification=by_user[uid], channel=Channel.EMAIL, address=email))
    now = timezone.now()
    for uid in wants_sms:
        phone = contacts[uid].phone if uid in contacts else None
        if phone:
            planned.append(
                Delivery(
                    notification=by_user[uid],
                    channel=Channel.SMS,
                    address=phone,
                    not_before=quiet_hours_end(quiet.get(uid), now),
                )
            )
    return Delivery.objects.bulk_create(planned)


def quiet_hours_end(quiet: QuietHours | None, now: dt.datetime) -> dt.datetime | None:
    """When an SMS may go out: None (now) outside quiet hours, else the end of them, in the company's zone."""
    if quiet is None or quiet.start == quiet.end:
        return None
    tz = company_time_zone()
    local = now.astimezone(tz)
    t = local.time()
    overnight = quiet.start > quiet.end  # e.g. 22:00–08:00
    inside = (t >= quiet.start or t < quiet.end) if overnight else (quiet.start <= t < quiet.end)
    if not inside:
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += dt.timedelta(days=1)
    return end


def notification_mark_read(*, user_id: int, notification_id: int) -> Notification | None:
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        # Filtered by the recipient, so the response cache invalidates only this person's pages.
        Notification.objects.filter(pk=notification.pk, recipient_id=user_id).update(read_at=notification.read_at)
        _announcement_read_from(notification)
    return notification


def notification_mark_all_read(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).update(read_at=timezone.now())


def _announcement_read_from(notification: Notification) -> None:
    announcement_id = (notification.payload or {}).get("announcement")
    if announcement_id:
        AnnouncementRecipient.objects.filter(
            announcement_id=announcement_id, user_id=notification.recipient_id, read_at__isnull=True
        ).update(read_at=timezone.now())


def preferences_set(
    *, user: User, kinds: dict[str, dict[str, bool]], quiet_start: dt.time | None, quiet_end: dt.time | None
) -> None:
    """Save a person's channels per kind and their SMS quiet hours."""
    with transaction.atomic():
        for code, channels in kinds.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=code, defaults={"email": bool(channels.get("email")), "sms": bool(channels.get("sms"))}
            )
        if quiet_start and quiet_end:
            QuietHours.objects.update_or_create(user=user, defaults={"start": quiet_start, "end": quiet_end})
        else:
            QuietHours.objects.filter(user=user).delete()


def fanout_write(
    *, user_ids: Iterable[int], kind: str, title: str, body: str, url: str, payload: dict[str, Any]
) -> int:
    """The task side of a large notify(): batches of BATCH_SIZE, each its own transaction. A retry after a
    crash skips the people an earlier attempt already reached (same fan-out id)."""
    done = (
        set(
            Notification.objects.filter(kind=kind, payload__fanout=payload.get("fanout")).values_list(
                "recipient_id", flat=True
            )
        )
        if payload.get("fanout")
        else set()
    )
    total = 0
    for chunk in batches(sorted(set(user_ids) - done), BATCH_SIZE):
        with transaction.atomic():
            total += len(
                notifications_create(user_ids=chunk, kind=kind, title=title, body=body, url=url, payload=payload)
            )
    return total
