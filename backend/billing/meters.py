"""抄表: meters — a unit's own (water / electricity / gas, billed under the unit's `meter` fee item of that kind)
or shared (公摊: `unit` empty, billed under its `fee_item`, apportioned by area across `shared_units`): adding
and changing them, and the meter lists. Their readings are meter_readings.py (the rules: reading_rules.py)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from backend.properties.scope import Scope

from .models import ChargeMethod, FeeItem, Meter, MeterKind
from .reading_rules import (
    Status,
    meter_decimal,
)


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


def shared_meter_items(*, scope: Scope) -> QuerySet[FeeItem]:
    """Fee items a shared meter can bill under (method shared_meter, in the caller's offices)."""
    return FeeItem.objects.filter(
        method=ChargeMethod.SHARED_METER,
        is_active=True,
        office__in=ManagementOffice.objects.filter(scope.office_q()),
    ).order_by("office__name", "name")


def shared_meters_of_unit(unit_id: int) -> QuerySet[Meter]:
    return Meter.objects.filter(shared_units__id=unit_id).select_related("fee_item")


def meters_with_reading_counts(qs: QuerySet[Meter]) -> QuerySet[Meter]:
    return qs.annotate(
        reading_count=Count("readings", distinct=True),
        flagged=Count("readings", filter=Q(readings__status=Status.FLAGGED), distinct=True),
    )


def _multiplier(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    m = meter_decimal(value, "multiplier", errors, maximum=Decimal("999999.99"))
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
