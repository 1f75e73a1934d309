"""抄表: the review of flagged readings (抄表审核) — the queue, confirming a reading (it bills from the next run)
and rejecting one (never billed; the next month counts from the one before, and the month can be entered again).
Who may review is the catalogue's meter_manage (backend/accounts/permissions.py)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.scope import Scope

from .meter_readings import reading_list
from .models import BillingSettings, Meter, MeterReading
from .reading_rules import (
    Status,
    covers,
    locked_message,
    locked_periods,
    meter_timeline,
    reading_dict,
    refresh_next,
)


def flagged_readings(
    *, scope: Scope, estate_id: int | None = None, building_id: int | None = None
) -> QuerySet[MeterReading]:
    """The review queue: flagged readings, oldest month first."""
    return (
        reading_list(scope=scope, status=Status.FLAGGED, estate_id=estate_id, building_id=building_id)
        .select_related("entered_by")
        .order_by("period", "meter__estate__name", "meter__number")
    )


def flagged_count(*, scope: Scope) -> int:
    return reading_list(scope=scope, status=Status.FLAGGED).count()


def reading_confirm(*, reading: MeterReading, by: User | None) -> MeterReading:
    """Accept a flagged reading: it bills from the next run. A confirmed reading lower than the previous one
    (meter replaced or rolled over) bills no usage for its month."""
    if reading.status != Status.FLAGGED:
        raise ApplicationError(_("Only a flagged reading can be confirmed."), code="not_flagged")
    with transaction.atomic():
        reading.status = Status.CONFIRMED
        if reading.usage < 0:
            reading.usage = Decimal(0)
        reading.reviewed_by = by
        reading.reviewed_at = timezone.now()
        reading.save(update_fields=["status", "usage", "reviewed_by", "reviewed_at"])
        audit_record(
            action="billing.reading_confirm",
            target=reading,
            object_repr=f"{reading.meter.number} {reading.period:%Y-%m}",
            changes=reading_dict(reading),
        )
    return reading


def reading_reject(*, reading: MeterReading, by: User | None, reason: str) -> MeterReading:
    """Throw a reading out (it is never billed and the next month counts from the one before). The month can
    be entered again afterwards."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why the reading is rejected.")]})
    if reading.status == Status.REJECTED:
        raise ApplicationError(_("This reading is rejected already."), code="already_rejected")
    meter = reading.meter
    with transaction.atomic():
        Meter.objects.select_for_update().filter(pk=meter.pk).first()
        locks = locked_periods([meter]).get(meter.pk, [])
        if covers(locks, reading.period):
            raise ApplicationError.for_fields({"period": [locked_message(reading.period)]})
        timeline = meter_timeline(meter)
        index = next(i for i, r in enumerate(timeline) if r.pk == reading.pk)
        row = timeline[index]
        before = reading_dict(row)
        row.status = Status.REJECTED
        text = _("Rejected: %(reason)s") % {"reason": reason}
        row.flag_reason = (f"{row.flag_reason} — {text}" if row.flag_reason else text)[:200]
        row.reviewed_by = by
        row.reviewed_at = timezone.now()
        row.save(update_fields=["status", "flag_reason", "reviewed_by", "reviewed_at"])
        following = refresh_next(timeline, index, BillingSettings.load().meter_anomaly_ratio, locks)
        if following is not None:
            following.save()
        audit_record(
            action="billing.reading_reject",
            target=row,
            object_repr=f"{meter.number} {row.period:%Y-%m}",
            changes={"reason": reason, "before": before, "after": reading_dict(row)},
        )
    reading.refresh_from_db()
    return reading
