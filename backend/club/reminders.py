"""The reminder an hour before a booking (club.booking_reminder): each confirmed booking of a resident once.

A periodic task sends it for bookings starting within the next hour that were made more than an hour before
their start (someone who books for in twenty minutes needs no reminder). `reminded_at` is set by a
conditional UPDATE before the notification is written, in one transaction, so two workers never both send."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import booking as engine
from .models import Booking, BookingStatus

REMINDER_AHEAD = dt.timedelta(hours=1)


def reminders_send(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Remind the residents of confirmed bookings starting in the next hour; returns how many were sent."""
    now = now or timezone.now()
    due = list(
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED,
            reminded_at__isnull=True,
            user__isnull=False,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_AHEAD,
            created_at__lt=F("starts_at") - REMINDER_AHEAD,
        )
        .order_by("starts_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in due:
        with transaction.atomic():
            if not Booking.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another worker reminded it
            booking = Booking.objects.select_related("facility").get(pk=pk)
            engine._notify(
                booking,
                "club.booking_reminder",
                _("Starting soon"),
                body=_("Show the booking's QR code (or its code %(code)s) at the door.") % {"code": booking.code},
            )
            sent += 1
    return sent
