"""抄表: meter readings, one per meter and month — entering one, the reading lists, the entry grid of a building and
a meter's usage trend. The rules a reading is checked against are in reading_rules.py; the review of flagged
readings is reading_review.py; meters themselves are meters.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.models import Unit
from backend.properties.scope import Scope

from .meters import estates_in
from .models import BillingSettings, Meter, MeterReading
from .reading_rules import (
    HISTORY_READINGS,
    Status,
    average_usage,
    check_period,
    check_read_on,
    covers,
    evaluate,
    locked_message,
    locked_periods,
    meter_decimal,
    meter_timeline,
    place,
    reading_dict,
    refresh_next,
    same_reading,
)


def reading_list(
    *,
    scope: Scope,
    meter_id: int | None = None,
    period: dt.date | None = None,
    status: str = "",
    estate_id: int | None = None,
    building_id: int | None = None,
) -> QuerySet[MeterReading]:
    qs = MeterReading.objects.filter(meter__estate__in=estates_in(scope))
    if meter_id:
        qs = qs.filter(meter_id=meter_id)
    if period:
        qs = qs.filter(period=period)
    if status:
        qs = qs.filter(status=status)
    if estate_id:
        qs = qs.filter(meter__estate_id=estate_id)
    if building_id:
        qs = qs.filter(
            Q(meter__unit__building_id=building_id) | Q(meter__shared_units__building_id=building_id)
        ).distinct()
    return qs.select_related("meter", "meter__estate", "meter__unit").order_by("-period", "meter__number")


def reading_get(*, scope: Scope, reading_id: int) -> MeterReading | None:
    return reading_list(scope=scope).filter(pk=reading_id).first()


@dataclass
class GridRow:
    """One unit meter in the entry grid for a building and month."""

    meter: Meter
    unit: Unit
    last: MeterReading | None  # the latest non-rejected reading before the month
    average: Decimal | None  # average usage over the last billable readings (None: too little history)
    current: MeterReading | None  # this month's reading, if entered
    locked: bool  # the month is billed: no more changes


def reading_grid(*, scope: Scope, building_id: int, period: dt.date, kind: str = "") -> list[GridRow]:
    """One row per active unit meter of the building (in the caller's scope), by floor and unit number."""
    meters = list(
        Meter.objects.filter(
            estate__in=estates_in(scope), unit__building_id=building_id, unit__isnull=False, is_active=True
        )
        .filter(**({"kind": kind} if kind else {}))
        .select_related("unit", "estate")
        .order_by("unit__floor", "unit__number", "kind", "number")
    )
    by_meter: dict[int, list[MeterReading]] = defaultdict(list)
    for r in MeterReading.objects.filter(meter__in=meters, period__lte=period).order_by("meter_id", "-period"):
        by_meter[r.meter_id].append(r)
    locks = locked_periods(meters)
    rows = []
    for meter in meters:
        readings = by_meter.get(meter.pk, [])
        current = next((r for r in readings if r.period == period), None)
        earlier = [r for r in readings if r.period < period]
        last = next((r for r in earlier if r.status != Status.REJECTED), None)
        usages = [r.usage for r in earlier if r.status in MeterReading.BILLABLE and r.previous is not None]
        assert meter.unit is not None
        rows.append(
            GridRow(
                meter=meter,
                unit=meter.unit,
                last=last,
                average=average_usage(usages[:HISTORY_READINGS]),
                current=current,
                locked=covers(locks.get(meter.pk, ()), period),
            )
        )
    return rows


@dataclass
class TrendPoint:
    period: dt.date
    usage: Decimal
    status: str
    percent: int  # bar height relative to the largest usage shown


def meter_trend(meter: Meter, *, months: int = 24) -> list[TrendPoint]:
    """Usage per month for the chart on the meter page (oldest first, rejected readings left out)."""
    readings = list(meter.readings.exclude(status=Status.REJECTED).order_by("-period")[:months])
    readings.reverse()
    top = max((r.usage for r in readings if r.usage > 0), default=Decimal(0))
    return [
        TrendPoint(
            period=r.period,
            usage=r.usage,
            status=r.status,
            percent=int(r.usage * 100 / top) if top and r.usage > 0 else 0,
        )
        for r in readings
    ]


def meter_average(meter: Meter, before: dt.date | None = None) -> Decimal | None:
    qs = meter.readings.filter(status__in=MeterReading.BILLABLE, previous__isnull=False)
    if before:
        qs = qs.filter(period__lt=before)
    return average_usage(list(qs.order_by("-period").values_list("usage", flat=True)[:HISTORY_READINGS]))


def reading_record(
    *,
    meter: Meter,
    period: dt.date,
    reading: Any,
    read_on: dt.date | None = None,
    by: User | None = None,
    initial: Any = None,
) -> MeterReading:
    """Enter (or enter again) a meter's reading for a month; see the module docstring for the rules.
    `initial`: the meter's starting reading, used only when this is its first reading."""
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if not meter.is_active:
        errors["meter"] = [_("This meter is not in use any more.")]
    checked = check_period(period, errors, today)
    value = meter_decimal(reading, "reading", errors)
    start = meter_decimal(initial, "initial", errors) if initial not in (None, "") else None
    check_read_on(read_on, checked, errors, today)
    if errors or checked is None or value is None:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        Meter.objects.select_for_update().filter(pk=meter.pk).first()  # one writer per meter at a time
        timeline = meter_timeline(meter)
        existing = next((r for r in timeline if r.period == period), None)
        if existing is not None and same_reading(existing, value, read_on):
            return existing
        locks = locked_periods([meter]).get(meter.pk, [])
        if covers(locks, period):
            raise ApplicationError.for_fields({"period": [locked_message(period)]})
        has_earlier = any(r.period < period and r.status != Status.REJECTED for r in timeline)
        if start is not None and has_earlier:
            raise ApplicationError.for_fields(
                {"initial": [_("The meter has earlier readings: the previous reading is taken from them.")]}
            )
        if start is None and existing is not None and not has_earlier:
            start = existing.previous  # entering the first month again keeps its starting reading
        before = reading_dict(existing) if existing is not None else None
        row = existing or MeterReading(meter=meter, period=period)
        row.reading = value
        row.read_on = read_on or (existing.read_on if existing else None)
        row.entered_by = by
        index = place(timeline, row)
        ratio = BillingSettings.load().meter_anomaly_ratio
        evaluate(timeline, index, ratio, initial=start)
        row.save()
        following = refresh_next(timeline, index, ratio, locks)
        if following is not None:
            following.save()
        audit_record(
            action="billing.reading_record",
            target=row,
            object_repr=f"{meter.number} {period:%Y-%m}",
            changes={
                "meter": meter.pk,
                "before": before,
                "after": reading_dict(row),
                **({"next_recomputed": reading_dict(following)} if following is not None else {}),
            },
        )
    return row
