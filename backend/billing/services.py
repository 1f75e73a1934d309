"""Fee setup: fee items (收费项目), their versioned standards (收费标准) and which units carry them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.models import ManagementOffice, Unit, UnitType
from backend.properties.scope import Scope
from tenants.db import connection

from .models import ChargeMethod, Cycle, FeeAssignment, FeeCategory, FeeItem, FeeStandard, LateFeeMode, MeterKind

ITEM_FIELDS = (
    "code",
    "name",
    "category",
    "method",
    "cycle",
    "meter_kind",
    "priority",
    "late_fee_mode",
    "late_fee_fixed",
    "late_fee_daily_percent",
    "late_fee_grace_days",
    "late_fee_cap",
    "is_active",
)


def decimal_value(value: Any, field: str, errors: dict[str, list[str]], *, places: int = 4) -> Decimal | None:
    """A non-negative Decimal with at most `places` decimals, or None with a message under errors[field]."""
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = [_("Enter a number.")]
        return None
    if not d.is_finite() or d < 0:
        errors[field] = [_("Enter a number of zero or more.")]
        return None
    if d != d.quantize(Decimal(1).scaleb(-places)):
        errors[field] = [_("At most %(n)d decimals.") % {"n": places}]
        return None
    return d


def _item_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(data.get("name", "")).strip():
        errors["name"] = [_("Give the item a name.")]
    if data.get("category") not in FeeCategory.values:
        errors["category"] = [_("Choose a category.")]
    method = data.get("method")
    if method not in ChargeMethod.values:
        errors["method"] = [_("Choose how the item is charged.")]
    if data.get("cycle") not in Cycle.values:
        errors["cycle"] = [_("Choose a billing cycle.")]
    kind = data.get("meter_kind") or ""
    if method == ChargeMethod.METER and kind not in MeterKind.values:
        errors["meter_kind"] = [_("Choose the meter kind this item reads.")]
    if method in (ChargeMethod.FIXED, ChargeMethod.AREA) and kind:
        errors["meter_kind"] = [_("Only meter items have a meter kind.")]
    mode = data.get("late_fee_mode", LateFeeMode.OFF)
    if mode not in LateFeeMode.values:
        errors["late_fee_mode"] = [_("Choose a late fee rule.")]
    if mode == LateFeeMode.FIXED and int(data.get("late_fee_fixed") or 0) <= 0:
        errors["late_fee_fixed"] = [_("Enter the fixed late fee.")]
    if mode == LateFeeMode.DAILY_PERCENT:
        pct = decimal_value(data.get("late_fee_daily_percent", 0), "late_fee_daily_percent", errors)
        if pct is not None and not Decimal(0) < pct <= Decimal(1):
            errors["late_fee_daily_percent"] = [_("Between 0 and 1 percent per day (e.g. 0.03).")]
    cap = data.get("late_fee_cap")
    if cap not in (None, "") and int(cap) < 0:
        errors["late_fee_cap"] = [_("The cap cannot be negative.")]
    return errors


def fee_item_create(*, office: ManagementOffice, scope: Scope, **data: Any) -> FeeItem:
    # Fee items belong to a whole office: only someone whose scope names the office sets them up.
    if not (scope.all_offices or office.pk in scope.office_ids):
        raise ApplicationError.for_fields({"office": [_("Choose an office you manage.")]})
    errors = _item_errors(data)
    if not str(data.get("code", "")).strip():
        errors["code"] = [_("Give the item a short code.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    values = {k: data[k] for k in ITEM_FIELDS if k in data}
    values["meter_kind"] = values.get("meter_kind") or ""
    try:
        with transaction.atomic():
            item = FeeItem.objects.create(office=office, **values)
            audit_record(action="billing.fee_item_create", target=item, changes={"after": _item_dict(item)})
    except IntegrityError:
        raise ApplicationError.for_fields({"code": [_("This office already has an item with this code.")]}) from None
    return item


def fee_item_update(*, item: FeeItem, **data: Any) -> FeeItem:
    """Change an item's name, settlement priority, late fee rule or active flag. How it is computed (method,
    cycle, meter kind) is fixed once it has billed: make a new item instead."""
    merged = {**_item_dict(item), **data}
    errors = _item_errors(merged)
    if item.bill_lines.exists():
        for field in ("method", "cycle", "meter_kind"):
            if field in data and data[field] != getattr(item, field):
                errors[field] = [_("This item has billed already; create a new item instead.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    before = _item_dict(item)
    for k in ITEM_FIELDS:
        if k in data and k != "code":
            setattr(item, k, data[k] if k != "meter_kind" else (data[k] or ""))
    with transaction.atomic():
        item.save()
        audit_record(
            action="billing.fee_item_update", target=item, changes={"before": before, "after": _item_dict(item)}
        )
    return item


def _item_dict(item: FeeItem) -> dict[str, Any]:
    out = {k: getattr(item, k) for k in ITEM_FIELDS}
    out["late_fee_daily_percent"] = str(out["late_fee_daily_percent"])
    return out


def fee_standard_create(
    *,
    item: FeeItem,
    effective_from: dt.date,
    rate: Any,
    unit_type: str = "",
    custody_percent: Any = 100,
    note: str = "",
    by: User | None = None,
) -> FeeStandard:
    """A new price from the first of a month. Months before it keep billing at the price they had."""
    errors: dict[str, list[str]] = {}
    if not isinstance(effective_from, dt.date) or effective_from.day != 1:
        errors["effective_from"] = [_("A price takes effect on the first of a month.")]
    value = decimal_value(rate, "rate", errors)
    pct = decimal_value(custody_percent, "custody_percent", errors, places=2)
    if pct is not None and pct > 100:
        errors["custody_percent"] = [_("At most 100%.")]
    if unit_type and unit_type not in UnitType.values:
        errors["unit_type"] = [_("Choose a unit type.")]
    if errors or value is None or pct is None:
        raise ApplicationError.for_fields(errors)
    if item.bill_lines.filter(
        kind="charge",
        period_start__gte=effective_from,
        unit__unit_type__in=[unit_type] if unit_type else UnitType.values,
    ).exists():
        raise ApplicationError.for_fields(
            {"effective_from": [_("Bills from this month on are already posted; a new price starts after them.")]}
        )
    try:
        with transaction.atomic():
            standard = FeeStandard.objects.create(
                fee_item=item,
                effective_from=effective_from,
                rate=value,
                unit_type=unit_type,
                custody_percent=pct,
                note=note[:200],
                created_by=by,
            )
            audit_record(
                action="billing.fee_standard_create",
                target=standard,
                changes={"item": item.code, "rate": str(value), "from": effective_from.isoformat(), "type": unit_type},
            )
    except IntegrityError:
        raise ApplicationError.for_fields(
            {"effective_from": [_("This item already has a price from this month for this unit type.")]}
        ) from None
    return standard


def _selection(
    *,
    item: FeeItem,
    scope: Scope,
    estate_id: int | None,
    building_id: int | None,
    unit_type: str | None,
    unit_ids: list[int] | None,
) -> Any:
    units = scope.filter_units(Unit.objects.filter(office_id=item.office_id))
    if not (estate_id or building_id or unit_ids or unit_type):
        raise ApplicationError.for_fields({"estate": [_("Choose an estate, a building, a unit type or units.")]})
    if estate_id:
        units = units.filter(estate_id=estate_id)
    if building_id:
        units = units.filter(building_id=building_id)
    if unit_type:
        units = units.filter(unit_type=unit_type)
    if unit_ids:
        units = units.filter(pk__in=unit_ids)
    return units


def fee_assign(
    *,
    item: FeeItem,
    scope: Scope,
    start_date: dt.date,
    estate_id: int | None = None,
    building_id: int | None = None,
    unit_type: str | None = None,
    unit_ids: list[int] | None = None,
) -> dict[str, int]:
    """Charge `item` to a selection of units (estate / building / type / chosen units, within the item's
    office and the caller's scope) from `start_date`. Units that carry it already are left as they are."""
    if start_date.day != 1:
        raise ApplicationError.for_fields({"start_date": [_("Billing starts on the first of a month.")]})
    units = _selection(
        item=item, scope=scope, estate_id=estate_id, building_id=building_id, unit_type=unit_type, unit_ids=unit_ids
    )
    sql, params = units.values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            # The selection is a query Django compiled, with its own parameters.
            f"""
            INSERT INTO billing_feeassignment (unit_id, fee_item_id, start_date, created_at)
            SELECT u.id, %s, %s, now() FROM ({sql}) AS u(id)
            ON CONFLICT (unit_id, fee_item_id) DO NOTHING
            """,  # noqa: S608
            [item.pk, start_date, *params],
        )
        created = cursor.rowcount
        selected = units.count()
        audit_record(
            action="billing.fee_assign",
            target=item,
            changes={"selected": selected, "assigned": created, "from": start_date.isoformat()},
        )
    return {"selected": selected, "assigned": created, "already": selected - created}


def fee_unassign(
    *,
    item: FeeItem,
    scope: Scope,
    end_date: dt.date,
    estate_id: int | None = None,
    building_id: int | None = None,
    unit_type: str | None = None,
    unit_ids: list[int] | None = None,
) -> int:
    """Stop charging `item` to a selection after `end_date` (history stays: months before it still bill)."""
    units = _selection(
        item=item, scope=scope, estate_id=estate_id, building_id=building_id, unit_type=unit_type, unit_ids=unit_ids
    )
    with transaction.atomic():
        changed = (
            FeeAssignment.objects.filter(fee_item=item, unit__in=units.values("pk"))
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=end_date), start_date__lte=end_date)
            .update(end_date=end_date)
        )
        audit_record(
            action="billing.fee_unassign", target=item, changes={"units": changed, "until": end_date.isoformat()}
        )
    return changed
