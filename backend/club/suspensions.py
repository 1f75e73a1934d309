"""Booking suspensions (company-wide, per unit): the check every resident booking passes, and the no-show
rule that makes them (N no-shows at a facility within 30 days suspend the unit's bookings for D days; both
facility settings, 0 = off, which is the default)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError

from .models import Booking, BookingStatus, BookingSuspension, Facility

NO_SHOW_WINDOW = dt.timedelta(days=30)


def suspension_active(*, unit_id: int, now: dt.datetime) -> BookingSuspension | None:
    return (
        BookingSuspension.objects.filter(unit_id=unit_id, until__gt=now, lifted_at__isnull=True)
        .order_by("-until")
        .first()
    )


def suspension_check(*, unit_id: int, now: dt.datetime) -> None:
    suspension = suspension_active(unit_id=unit_id, now=now)
    if suspension is not None:
        raise ApplicationError(
            _("Bookings of this home are suspended until %(until)s: %(reason)s")
            % {"until": f"{suspension.until:%Y-%m-%d %H:%M}", "reason": suspension.reason},
            code="suspended",
            fields={"unit": [_("Bookings of this home are suspended.")]},
            status=409,
        )


def suspension_after_no_show(*, facility: Facility, unit_id: int, now: dt.datetime) -> BookingSuspension | None:
    """Suspend the unit when its no-shows at the facility within the last 30 days reach the facility's
    limit; None when the rule is off, the limit not reached, or the unit already suspended."""
    if not facility.no_show_limit or not facility.no_show_suspend_days:
        return None
    no_shows = Booking.objects.filter(
        facility=facility, unit_id=unit_id, status=BookingStatus.NO_SHOW, no_show_at__gt=now - NO_SHOW_WINDOW
    ).count()
    if no_shows < facility.no_show_limit or suspension_active(unit_id=unit_id, now=now) is not None:
        return None
    with transaction.atomic():
        suspension = BookingSuspension.objects.create(
            unit_id=unit_id,
            until=now + dt.timedelta(days=facility.no_show_suspend_days),
            reason=_("%(n)d missed bookings at %(facility)s in 30 days") % {"n": no_shows, "facility": facility.name},
        )
        audit_record(
            action="club.suspension",
            target=suspension,
            changes={"facility": facility.pk, "no_shows": no_shows, "until": suspension.until.isoformat()},
        )
    return suspension


def suspension_lift(
    *, suspension: BookingSuspension, now: dt.datetime, by: User | None = None, reason: str = ""
) -> BookingSuspension:
    """Staff lift a suspension before its end (the home may book again at once), with an optional reason.
    Lifting one already lifted or over is refused."""
    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        lifted = BookingSuspension.objects.filter(pk=suspension.pk, lifted_at__isnull=True, until__gt=now).update(
            lifted_at=now, lifted_by=by, lift_reason=reason
        )
        if not lifted:
            raise ApplicationError(_("This suspension is over or was lifted."), code="invalid_state", status=409)
        suspension.refresh_from_db()
        audit_record(
            action="club.suspension_lift",
            target=suspension,
            changes={"unit": suspension.unit_id, "until": suspension.until.isoformat(), "reason": reason},
        )
    return suspension
