"""Notification tasks. Every one runs in the schema of the company that enqueued it (tenant-schemas-celery);
the periodic ones run once per active company (CompanyScheduler)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.celery import app

from .models import Channel, Delivery
from .sms import SmsError, sms_backend

logger = logging.getLogger(__name__)


@app.task(acks_late=True)
def notify_fanout(spec: dict[str, Any]) -> int:
    from .services import fanout_write

    return fanout_write(
        user_ids=spec["user_ids"],
        kind=spec["kind"],
        title=spec["title"],
        body=spec["body"],
        url=spec["url"],
        payload=spec["payload"],
    )


class DeliveryFailed(Exception):
    pass


def _retry_delay(attempts: int) -> int:
    return min(600, 5 * 2**attempts)  # 10 s, 20 s, 40 s … capped at 10 minutes


@app.task(bind=True, acks_late=True, max_retries=None)
def delivery_send(self: Any, delivery_id: int) -> str:
    """Send one e-mail or SMS copy. A provider error is retried with backoff up to DELIVERY_MAX_ATTEMPTS;
    then the delivery is marked failed and the company admins are told. A delivery already sent is never
    sent again (a redelivered task finds it sent)."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("notification").filter(pk=delivery_id).first()
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return delivery.status if delivery else "missing"
        delivery.attempts += 1
        n = delivery.notification
        try:
            if delivery.channel == Channel.EMAIL:
                send_mail(n.title, f"{n.body}\n\n{n.url}".strip(), None, [delivery.address], fail_silently=False)
            else:
                sms_backend().send(phone=delivery.address, title=n.title, url=n.url)
        except (SmsError, OSError) as exc:
            delivery.last_error = str(exc)[:500]
            if delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
                delivery.status = Delivery.Status.FAILED
                delivery.save(update_fields=["attempts", "last_error", "status"])
                _tell_admins_of_failure(delivery)
                return delivery.status
            delivery.save(update_fields=["attempts", "last_error"])
            retry_after = _retry_delay(delivery.attempts)
        else:
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
            return delivery.status
    raise self.retry(countdown=retry_after)


def _tell_admins_of_failure(delivery: Delivery) -> None:
    from backend.accounts.roles import Role

    from .recipients import Recipients
    from .services import notify

    notify(
        recipients=Recipients(roles=(Role.COMPANY_ADMIN,)),
        kind="delivery.failed",
        title=_("A %(channel)s to %(address)s could not be sent")
        % {"channel": delivery.get_channel_display(), "address": _mask(delivery.address)},
        body=delivery.last_error,
        url="/staff/deliveries/",
    )


def _mask(address: str) -> str:
    if "@" in address:
        name, _at, domain = address.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}"


@app.task
def announcements_publish_due() -> int:
    """Every minute, per company: publish scheduled announcements whose time has come."""
    from .announcements import announcements_publish_due as publish

    return publish()


@app.task
def greetings_send() -> int:
    """Every morning, per company: birthday greetings to residents and the day's holiday greeting."""
    from .announcements import greetings_send as send

    return send()
