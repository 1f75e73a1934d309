"""Sending one e-mail or SMS copy of a notification (the body of the delivery task). A provider error is
retried with backoff up to DELIVERY_MAX_ATTEMPTS; then the delivery is marked failed and whoever reads the
undelivered messages is told. A delivery already sent is never sent again (a redelivered task finds it
sent)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms

from .models import Channel, Delivery
from .recipients import Recipients
from .services import notify
from .sms import SmsError, sms_backend


def _retry_delay(attempts: int) -> int:
    return min(600, 5 * 2**attempts)  # 10 s, 20 s, 40 s … capped at 10 minutes


def delivery_attempt(*, delivery_id: int) -> tuple[str, int | None]:
    """Try to send the delivery once, under its row lock. Returns its status and, when the provider failed
    and attempts remain, after how many seconds the task should try again (else None)."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("notification").filter(pk=delivery_id).first()
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return (delivery.status if delivery else "missing"), None
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
                return delivery.status, None
            delivery.save(update_fields=["attempts", "last_error"])
            return delivery.status, _retry_delay(delivery.attempts)
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return delivery.status, None


def _tell_admins_of_failure(delivery: Delivery) -> None:
    notify(
        recipients=Recipients(roles=tuple(sorted(perms.DELIVERIES_READ.roles))),
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
