"""抄表: meters and their monthly readings — services and selectors.

A meter is a unit's own (water / electricity / gas, billed under the unit's `meter` fee item of that kind)
or shared (公摊: `unit` empty, billed under its `fee_item`, apportioned by area across `shared_units`).

Readings, one per meter and month:

* previous = the meter's latest reading before that month that was not rejected; usage = reading − previous.
  The first reading of a meter has no previous and its usage is 0 — unless an *initial* (starting) reading
  is given with it (e.g. what the meter showed when it was installed): then usage = reading − initial.
* Anomalies flag a reading (status `flagged`, `flag_reason` says why) and a flagged reading is not billed
  until someone confirms it: (a) the reading is lower than the previous one; (b) usage is above
  `BillingSettings.meter_anomaly_ratio` × the meter's average usage over its last 6 billable (ok / confirmed)
  readings that had a previous reading, when there are at least 3 of them.
* A month can be entered again until it is billed: the new values replace the old ones and are checked
  again (entering exactly what is stored changes nothing). Once the unit has a posted charge line for the
  meter's item covering that month (for a shared meter: any of its units), the month is locked.
* Changing or rejecting a month recomputes the next reading's previous and usage (unless that one is locked).
* Confirming a reading lower than the previous one (a replaced or rolled-over meter) bills no usage for that
  month (usage 0); the following month counts from it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from backend.properties.scope import Scope

from .models import BillingSettings, BillLine, ChargeMethod, FeeItem, Meter, MeterKind, MeterReading
from .periods import month_start
from .services import decimal_value

HISTORY_READINGS = 6  # the average is taken over this many billable readings …
MIN_HISTORY = 3  # … and only when there are at least this many
MAX_READING = Decimal("999999999999.99")
Status = MeterReading.Status


# --- selectors ------------------------------------------------------------------------------------------


def estates_in(scope: Scope) -> QuerySet[Estate]:
    return Estate.objects.filter(scope.estate_q())


def meter_list(
    *,
    scope: Scope,
    estate_id: int | None = None,
    building_id: int | None = None,
    unit_id: int | None = None,
    kind: str = "",
    shared: bool | None = None,
    active: bool | None = None,
    q: str = "",
) -> QuerySet[Meter]:
    qs = Meter.objects.filter(estate__in=estates_in(scope))
    if estate_id:
        qs = qs.filter(estate_id=estate_id)
    if building_id:
        qs = qs.filter(Q(unit__building_id=building_id) | Q(shared_units__building_id=building_id)).distinct()
    if unit_id:
        qs = qs.filter(Q(unit_id=unit_id) | Q(shared_units__id=unit_id)).distinct()
    if kind:
        qs = qs.filter(kind=kind)
    if shared is not None:
        qs = qs.filter(unit__isnull=shared)
    if active is not None:
        qs = qs.filter(is_active=active)
    if q.strip():
        qs = qs.filter(number__icontains=q.strip())
    return qs.select_related("estate", "unit", "fee_item").order_by("estate__name", "number")


def meter_get(*, scope: Scope, meter_id: int) -> Meter | None:
    return (
        Meter.objects.filter(estate__in=estates_in(scope), pk=meter_id)
        .select_related("estate", "unit", "fee_item")
        .first()
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


def flagged_readings(
    *, scope: Scope, estate_id: int | None = None, building_id: int | None = None
) -> QuerySet[MeterReading]:
    """The review queue: flagged readings, oldest month first."""
    return (
        reading_list(scope=scope, status=Status.FLAGGED, estate_id=estate_id, building_id=building_id)
        .select_related("entered_by")
        .order_by("period", "meter__estate__name", "meter__number")
    )


@dataclass
class GridRow:
    """One unit meter in the entry grid for a building and month."""

    meter: Meter
    unit: Unit
    last: MeterReading | None  # the latest non-rejected reading before the month
    average: Decimal | None  # average usage over the last billable readings (None: too little history)
    current: MeterReading | None  # this month's reading, if entered
    locked: bool  # the month is billed: no more changes


def _average(usages: Sequence[Decimal]) -> Decimal | None:
    if len(usages) < MIN_HISTORY:
        return None
    return (sum(usages, Decimal(0)) / len(usages)).quantize(Decimal("0.01"))


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
    locks = _locked_periods(meters)
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
                average=_average(usages[:HISTORY_READINGS]),
                current=current,
                locked=_covers(locks.get(meter.pk, ()), period),
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
    return _average(list(qs.order_by("-period").values_list("usage", flat=True)[:HISTORY_READINGS]))


def shared_meter_items(*, scope: Scope) -> QuerySet[FeeItem]:
    """Fee items a shared meter can bill under (method shared_meter, in the caller's offices)."""
    return FeeItem.objects.filter(
        method=ChargeMethod.SHARED_METER,
        is_active=True,
        office__in=ManagementOffice.objects.filter(scope.office_q()),
    ).order_by("office__name", "name")


def shared_meters_of_unit(unit_id: int) -> QuerySet[Meter]:
    return Meter.objects.filter(shared_units__id=unit_id).select_related("fee_item")


# --- meter services -------------------------------------------------------------------------------------


def _decimal(
    value: Any, field: str, errors: dict[str, list[str]], *, places: int = 2, maximum: Decimal = MAX_READING
) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    # Meter readings are typed with thousands separators ("12,345.6"); rates never are (services.py).
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    d = decimal_value(text, field, errors, places=places)
    if d is None:
        return None
    if d > maximum:
        errors[field] = [_("At most %(max)s.") % {"max": maximum}]
        return None
    return d


def _multiplier(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    m = _decimal(value, "multiplier", errors, maximum=Decimal("999999.99"))
    if m is not None and m <= 0:
        errors["multiplier"] = [_("The multiplier must be above zero.")]
        return None
    return m


def _number(value: Any, errors: dict[str, list[str]]) -> str:
    number = str(value or "").strip()
    if not number:
        errors["number"] = [_("Enter the meter number.")]
    elif len(number) > 40:
        errors["number"] = [_("At most %(n)s characters.") % {"n": 40}]
    return number


def _number_taken(estate_id: int, number: str, exclude: int | None = None) -> bool:
    qs = Meter.objects.filter(estate_id=estate_id, number=number)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _meter_dict(meter: Meter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": meter.kind,
        "number": meter.number,
        "estate": meter.estate_id,
        "unit": meter.unit_id,
        "multiplier": str(meter.multiplier),
        "is_active": meter.is_active,
    }
    if meter.unit_id is None and meter.pk:
        out["fee_item"] = meter.fee_item_id
        out["shared_units"] = sorted(meter.shared_units.values_list("pk", flat=True))
    return out


def meter_create(
    *,
    scope: Scope,
    kind: str,
    number: str,
    unit_id: int | None,
    estate_id: int | None = None,
    multiplier: Any = 1,
) -> Meter:
    """A unit's own meter. The estate is the unit's (give it or leave it out)."""
    errors: dict[str, list[str]] = {}
    if kind not in MeterKind.values:
        errors["kind"] = [_("Choose water, electricity or gas.")]
    number = _number(number, errors)
    mult = _multiplier(multiplier, errors)
    unit = scope.filter_units(Unit.objects.filter(pk=unit_id)).first() if unit_id else None
    if unit is None or scope.is_resident:
        errors["unit"] = [_("Choose a unit you manage.")]
    elif estate_id and unit.estate_id != estate_id:
        errors["estate"] = [_("The unit is not in this estate.")]
    if unit is not None and number and "number" not in errors and _number_taken(unit.estate_id, number):
        errors["number"] = [_("This estate already has a meter with this number.")]
    if errors or unit is None or mult is None:
        raise ApplicationError.for_fields(errors)
    try:
        with transaction.atomic():
            meter = Meter.objects.create(kind=kind, number=number, estate_id=unit.estate_id, unit=unit, multiplier=mult)
            audit_record(action="billing.meter_create", target=meter, changes={"after": _meter_dict(meter)})
    except IntegrityError:
        raise ApplicationError.for_fields(
            {"number": [_("This estate already has a meter with this number.")]}
        ) from None
    return meter


def _shared_units(
    *,
    scope: Scope,
    item: FeeItem,
    building_ids: Iterable[int],
    unit_ids: Iterable[int],
    errors: dict[str, list[str]],
) -> list[int]:
    buildings = sorted(set(building_ids))
    ids = sorted(set(unit_ids))
    chosen: set[int] = set()
    if buildings:
        visible = Building.objects.filter(estate__in=estates_in(scope), pk__in=buildings)
        if visible.count() != len(buildings):
            errors["building_ids"] = [_("Choose buildings you manage.")]
        else:
            units = scope.filter_units(Unit.objects.filter(building_id__in=buildings))
            if units.exclude(office_id=item.office_id).exists():
                errors["building_ids"] = [
                    _("Every unit must belong to the fee item's office (%(office)s).") % {"office": item.office}
                ]
            chosen |= set(units.values_list("pk", flat=True))
    if ids:
        units = scope.filter_units(Unit.objects.filter(pk__in=ids))
        found = dict(units.values_list("pk", "office_id"))
        if len(found) != len(ids):
            errors["unit_ids"] = [_("Choose units you manage.")]
        elif any(office != item.office_id for office in found.values()):
            errors["unit_ids"] = [
                _("Every unit must belong to the fee item's office (%(office)s).") % {"office": item.office}
            ]
        chosen |= set(found)
    if not chosen and "building_ids" not in errors and "unit_ids" not in errors:
        errors["unit_ids"] = [_("Choose the buildings or units that share this meter.")]
    return sorted(chosen)


def _shared_item(scope: Scope, fee_item_id: int | None, errors: dict[str, list[str]]) -> FeeItem | None:
    item = (
        shared_meter_items(scope=scope).filter(pk=fee_item_id).select_related("office").first() if fee_item_id else None
    )
    if item is None:
        errors["fee_item"] = [_("Choose an active fee item charged by shared meter (公摊) in an office you manage.")]
    return item


def shared_meter_create(
    *,
    scope: Scope,
    estate_id: int | None,
    kind: str,
    number: str,
    fee_item_id: int | None,
    building_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    multiplier: Any = 1,
) -> Meter:
    """A shared meter (公摊): its usage is billed under `fee_item` and apportioned by building area across the
    chosen units (whole buildings and / or single units), all in the item's office."""
    errors: dict[str, list[str]] = {}
    if kind not in MeterKind.values:
        errors["kind"] = [_("Choose water, electricity or gas.")]
    number = _number(number, errors)
    mult = _multiplier(multiplier, errors)
    estate = estates_in(scope).filter(pk=estate_id).first() if estate_id else None
    if estate is None or scope.is_resident:
        errors["estate"] = [_("Choose an estate you manage.")]
    item = _shared_item(scope, fee_item_id, errors)
    units: list[int] = []
    if item is not None:
        if item.meter_kind and kind in MeterKind.values and item.meter_kind != kind:
            errors["kind"] = [_("The fee item reads %(kind)s meters.") % {"kind": item.get_meter_kind_display()}]
        if estate is not None and estate.office_id != item.office_id:
            errors["estate"] = [
                _("The estate must belong to the fee item's office (%(office)s).") % {"office": item.office}
            ]
        units = _shared_units(scope=scope, item=item, building_ids=building_ids, unit_ids=unit_ids, errors=errors)
    if estate is not None and number and "number" not in errors and _number_taken(estate.pk, number):
        errors["number"] = [_("This estate already has a meter with this number.")]
    if errors or estate is None or item is None or mult is None:
        raise ApplicationError.for_fields(errors)
    try:
        with transaction.atomic():
            meter = Meter.objects.create(kind=kind, number=number, estate=estate, fee_item=item, multiplier=mult)
            meter.shared_units.set(units)
            audit_record(action="billing.meter_create", target=meter, changes={"after": _meter_dict(meter)})
    except IntegrityError:
        raise ApplicationError.for_fields(
            {"number": [_("This estate already has a meter with this number.")]}
        ) from None
    return meter


def meter_update(
    *,
    meter: Meter,
    scope: Scope,
    number: str | None = None,
    kind: str | None = None,
    multiplier: Any = None,
    is_active: bool | None = None,
    fee_item_id: int | None = None,
    building_ids: Iterable[int] | None = None,
    unit_ids: Iterable[int] | None = None,
) -> Meter:
    """Change a meter's number, multiplier (bills from the next run on), active flag, and for a shared meter its
    fee item and units. The kind is fixed once the meter has readings; the unit of a unit meter never
    changes (add a new meter instead)."""
    errors: dict[str, list[str]] = {}
    before = _meter_dict(meter)
    values: dict[str, Any] = {}
    if number is not None:
        values["number"] = _number(number, errors)
        if "number" not in errors and _number_taken(meter.estate_id, values["number"], exclude=meter.pk):
            errors["number"] = [_("This estate already has a meter with this number.")]
    if kind is not None and kind != meter.kind:
        if kind not in MeterKind.values:
            errors["kind"] = [_("Choose water, electricity or gas.")]
        elif meter.readings.exists():
            errors["kind"] = [_("The meter has readings; its kind cannot change. Add a new meter instead.")]
        values["kind"] = kind
    if multiplier is not None:
        values["multiplier"] = _multiplier(multiplier, errors)
    if is_active is not None:
        values["is_active"] = bool(is_active)
    units: list[int] | None = None
    if meter.is_shared:
        item = meter.fee_item
        if fee_item_id is not None and fee_item_id != meter.fee_item_id:
            item = _shared_item(scope, fee_item_id, errors)
            if item is not None:
                values["fee_item"] = item
        if item is not None:
            new_kind = values.get("kind", meter.kind)
            if item.meter_kind and item.meter_kind != new_kind and "kind" not in errors:
                errors["fee_item" if "fee_item" in values else "kind"] = [
                    _("The fee item reads %(kind)s meters.") % {"kind": item.get_meter_kind_display()}
                ]
            if item.office_id != meter.estate.office_id and "fee_item" not in errors:
                errors["fee_item"] = [_("The fee item must belong to the estate's office.")]
            if building_ids is not None or unit_ids is not None or "fee_item" in values:
                if building_ids is None and unit_ids is None:
                    unit_ids = list(meter.shared_units.values_list("pk", flat=True))
                units = _shared_units(
                    scope=scope, item=item, building_ids=building_ids or (), unit_ids=unit_ids or (), errors=errors
                )
    elif fee_item_id is not None or building_ids is not None or unit_ids is not None:
        errors["fee_item"] = [_("Only a shared meter has a fee item and shared units.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    for key, value in values.items():
        setattr(meter, key, value)
    try:
        with transaction.atomic():
            meter.save()
            if units is not None:
                meter.shared_units.set(units)
            after = _meter_dict(meter)
            action = (
                "billing.meter_deactivate" if before["is_active"] and not meter.is_active else "billing.meter_update"
            )
            audit_record(action=action, target=meter, changes={"before": before, "after": after})
    except IntegrityError:
        raise ApplicationError.for_fields(
            {"number": [_("This estate already has a meter with this number.")]}
        ) from None
    return meter


def meter_deactivate(*, meter: Meter, scope: Scope) -> Meter:
    """Stop reading (and billing) a meter. Its history stays."""
    return meter_update(meter=meter, scope=scope, is_active=False)


# --- reading services -----------------------------------------------------------------------------------


def _covers(spans: Iterable[tuple[dt.date, dt.date]], period: dt.date) -> bool:
    return any(start <= period <= end for start, end in spans)


def _locked_periods(meters: Sequence[Meter]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """meter id → the (first, last) days of posted charge lines of the meter's item: months inside are locked."""
    out: dict[int, list[tuple[dt.date, dt.date]]] = {}
    unit_meters = [m for m in meters if m.unit_id]
    if unit_meters:
        spans: dict[tuple[int, str], list[tuple[dt.date, dt.date]]] = defaultdict(list)
        rows = (
            BillLine.objects.filter(
                kind=BillLine.Kind.CHARGE,
                unit_id__in={m.unit_id for m in unit_meters},
                fee_item__method=ChargeMethod.METER,
            )
            .values_list("unit_id", "fee_item__meter_kind", "period_start", "period_end")
            .distinct()
        )
        for unit_id, kind, start, end in rows:
            spans[(unit_id, kind)].append((start, end))
        for m in unit_meters:
            assert m.unit_id is not None
            out[m.pk] = spans.get((m.unit_id, m.kind), [])
    for m in meters:
        if m.unit_id is None:
            out[m.pk] = list(
                BillLine.objects.filter(
                    kind=BillLine.Kind.CHARGE,
                    fee_item_id=m.fee_item_id,
                    unit__in=m.shared_units.values("pk"),
                )
                .values_list("period_start", "period_end")
                .distinct()
            )
    return out


def reading_locked(reading: MeterReading) -> bool:
    return _covers(_locked_periods([reading.meter]).get(reading.meter_id, ()), reading.period)


def _previous_index(timeline: Sequence[MeterReading], index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if timeline[i].status != Status.REJECTED:
            return i
    return None


def _plain(d: Decimal) -> str:
    """3.00 → '3', 2.50 → '2.5', 10 → '10'."""
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _evaluate(timeline: list[MeterReading], index: int, ratio: Decimal, *, initial: Decimal | None = None) -> None:
    """Set previous, usage, status and flag_reason of timeline[index] (a meter's readings by period)."""
    row = timeline[index]
    p = _previous_index(timeline, index)
    prev = timeline[p] if p is not None else None
    row.previous = prev.reading if prev is not None else initial
    row.usage = row.reading - row.previous if row.previous is not None else Decimal(0)
    reasons: list[str] = []
    if row.previous is not None and row.reading < row.previous:
        reasons.append(
            _("Lower than the previous reading (%(previous)s%(month)s).")
            % {"previous": row.previous, "month": f", {prev.period:%Y-%m}" if prev is not None else ""}
        )
    else:
        history = [
            r.usage for r in reversed(timeline[:index]) if r.status in MeterReading.BILLABLE and r.previous is not None
        ][:HISTORY_READINGS]
        average = _average(history)
        if average is not None and row.usage > ratio * average:
            reasons.append(
                _("Usage %(usage)s is more than %(ratio)s× the average %(average)s of the last %(n)d readings.")
                % {"usage": row.usage, "ratio": _plain(ratio), "average": average, "n": len(history)}
            )
    row.status = Status.FLAGGED if reasons else Status.OK
    row.flag_reason = " ".join(reasons)[:200]
    row.reviewed_by = None
    row.reviewed_at = None


def _refresh_next(
    timeline: list[MeterReading], index: int, ratio: Decimal, locks: Sequence[tuple[dt.date, dt.date]]
) -> MeterReading | None:
    """The first non-rejected reading after timeline[index]: recompute it when its previous changed (unless
    its month is locked). Returns it when it changed."""
    for i in range(index + 1, len(timeline)):
        row = timeline[i]
        if row.status == Status.REJECTED:
            continue
        if _covers(locks, row.period):
            return None
        p = _previous_index(timeline, i)
        new_previous = timeline[p].reading if p is not None else None
        if new_previous == row.previous:
            return None
        _evaluate(timeline, i, ratio)
        return row
    return None


def _place(timeline: list[MeterReading], row: MeterReading) -> int:
    """Put `row` into the period-ordered timeline (replacing the same month); its index."""
    for i, r in enumerate(timeline):
        if r.period == row.period:
            timeline[i] = row
            return i
        if r.period > row.period:
            timeline.insert(i, row)
            return i
    timeline.append(row)
    return len(timeline) - 1


def _timeline(meter: Meter) -> list[MeterReading]:
    return list(MeterReading.objects.filter(meter=meter).order_by("period"))


def _check_period(period: Any, errors: dict[str, list[str]], today: dt.date) -> dt.date | None:
    if not isinstance(period, dt.date):
        errors["period"] = [_("Enter a month as YYYY-MM.")]
        return None
    if period.day != 1:
        errors["period"] = [_("A period starts on the first of a month.")]
        return None
    if period > month_start(today):
        errors["period"] = [_("This month has not started yet.")]
        return None
    return period


def _check_read_on(read_on: Any, period: dt.date | None, errors: dict[str, list[str]], today: dt.date) -> None:
    if read_on is None:
        return
    if not isinstance(read_on, dt.date):
        errors["read_on"] = [_("Write dates as 2024-05-01.")]
    elif read_on > today:
        errors["read_on"] = [_("The reading date cannot be in the future.")]
    elif period is not None and read_on < period:
        errors["read_on"] = [
            _("A reading for %(month)s is taken in that month or later.") % {"month": f"{period:%Y-%m}"}
        ]


def _locked_message(period: dt.date) -> str:
    return _("The bill for %(month)s is posted; its reading can no longer be changed.") % {"month": f"{period:%Y-%m}"}


def _same(existing: MeterReading, value: Decimal, read_on: dt.date | None) -> bool:
    """Entering what is stored already changes nothing (a rejected month entered again is checked again)."""
    return (
        existing.status != Status.REJECTED
        and existing.reading == value
        and (read_on is None or existing.read_on == read_on)
    )


def _reading_dict(r: MeterReading) -> dict[str, Any]:
    return {
        "period": f"{r.period:%Y-%m}",
        "reading": str(r.reading),
        "previous": None if r.previous is None else str(r.previous),
        "usage": str(r.usage),
        "status": r.status,
        "flag_reason": r.flag_reason,
    }


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
    checked = _check_period(period, errors, today)
    value = _decimal(reading, "reading", errors)
    start = _decimal(initial, "initial", errors) if initial not in (None, "") else None
    _check_read_on(read_on, checked, errors, today)
    if errors or checked is None or value is None:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        Meter.objects.select_for_update().filter(pk=meter.pk).first()  # one writer per meter at a time
        timeline = _timeline(meter)
        existing = next((r for r in timeline if r.period == period), None)
        if existing is not None and _same(existing, value, read_on):
            return existing
        locks = _locked_periods([meter]).get(meter.pk, [])
        if _covers(locks, period):
            raise ApplicationError.for_fields({"period": [_locked_message(period)]})
        has_earlier = any(r.period < period and r.status != Status.REJECTED for r in timeline)
        if start is not None and has_earlier:
            raise ApplicationError.for_fields(
                {"initial": [_("The meter has earlier readings: the previous reading is taken from them.")]}
            )
        if start is None and existing is not None and not has_earlier:
            start = existing.previous  # entering the first month again keeps its starting reading
        before = _reading_dict(existing) if existing is not None else None
        row = existing or MeterReading(meter=meter, period=period)
        row.reading = value
        row.read_on = read_on or (existing.read_on if existing else None)
        row.entered_by = by
        index = _place(timeline, row)
        ratio = BillingSettings.load().meter_anomaly_ratio
        _evaluate(timeline, index, ratio, initial=start)
        row.save()
        following = _refresh_next(timeline, index, ratio, locks)
        if following is not None:
            following.save()
        audit_record(
            action="billing.reading_record",
            target=row,
            object_repr=f"{meter.number} {period:%Y-%m}",
            changes={
                "meter": meter.pk,
                "before": before,
                "after": _reading_dict(row),
                **({"next_recomputed": _reading_dict(following)} if following is not None else {}),
            },
        )
    return row


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
            changes=_reading_dict(reading),
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
        locks = _locked_periods([meter]).get(meter.pk, [])
        if _covers(locks, reading.period):
            raise ApplicationError.for_fields({"period": [_locked_message(reading.period)]})
        timeline = _timeline(meter)
        index = next(i for i, r in enumerate(timeline) if r.pk == reading.pk)
        row = timeline[index]
        before = _reading_dict(row)
        row.status = Status.REJECTED
        text = _("Rejected: %(reason)s") % {"reason": reason}
        row.flag_reason = (f"{row.flag_reason} — {text}" if row.flag_reason else text)[:200]
        row.reviewed_by = by
        row.reviewed_at = timezone.now()
        row.save(update_fields=["status", "flag_reason", "reviewed_by", "reviewed_at"])
        following = _refresh_next(timeline, index, BillingSettings.load().meter_anomaly_ratio, locks)
        if following is not None:
            following.save()
        audit_record(
            action="billing.reading_reject",
            target=row,
            object_repr=f"{meter.number} {row.period:%Y-%m}",
            changes={"reason": reason, "before": before, "after": _reading_dict(row)},
        )
    reading.refresh_from_db()
    return reading


def flagged_count(*, scope: Scope) -> int:
    return reading_list(scope=scope, status=Status.FLAGGED).count()


def meters_with_reading_counts(qs: QuerySet[Meter]) -> QuerySet[Meter]:
    return qs.annotate(
        reading_count=Count("readings", distinct=True),
        flagged=Count("readings", filter=Q(readings__status=Status.FLAGGED), distinct=True),
    )
