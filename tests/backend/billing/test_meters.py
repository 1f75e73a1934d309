"""Meters and readings (抄表): setup rules, the anomaly rules, review, locked months, and what bill runs bill."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from backend.audit.models import AuditEntry
from backend.billing import meter_readings, meters, reading_review, services
from backend.billing.models import BillingSettings, BillLine, BillRun, Meter, MeterReading
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.errors import ApplicationError
from backend.properties import services as registry
from backend.properties.models import Unit
from backend.properties.scope import Scope

from .conftest import EVERYTHING, JAN, World

FLAGGED, OK, CONFIRMED, REJECTED = "flagged", "ok", "confirmed", "rejected"


def month(n: int) -> dt.date:
    """2026-n-01 (n may run past 12 into 2027 — but tests stay within 2026)."""
    return dt.date(2026, n, 1)


def water_meter(world: World, unit: Unit | None = None, number: str = "W-101") -> Meter:
    return meters.meter_create(scope=EVERYTHING, unit_id=(unit or world.units[0]).pk, kind="water", number=number)


def rec(meter: Meter, period: dt.date, value: Any, **kw: Any) -> MeterReading:
    return meter_readings.reading_record(meter=meter, period=period, reading=value, **kw)


def history(meter: Meter, start: int = 1, usages: tuple[int, ...] = (10, 10, 10), first: int = 100) -> int:
    """A first reading (usage 0) in month `start`, then one reading per usage; returns the last reading."""
    value = first
    rec(meter, month(start), value)
    for i, usage in enumerate(usages, start=1):
        value += usage
        assert rec(meter, month(start + i), value).status == OK
    return value


def post(period: dt.date, **scope: Any) -> BillRun:
    return bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None, **scope).pk)


def water_amount(unit: Unit, period: dt.date) -> int | None:
    line = BillLine.objects.filter(unit=unit, fee_item__code="water", period_start=period, kind="charge").first()
    return line.amount if line else None


def field_error(call: Any) -> dict[str, list[str]]:
    with pytest.raises(ApplicationError) as err:
        call()
    return err.value.fields


# --- the first reading and the previous one -----------------------------------------------------------------


def test_the_first_reading_has_no_usage_unless_a_starting_reading_is_given(world: World) -> None:
    meter = water_meter(world)
    first = rec(meter, month(1), "100.50")
    assert (first.previous, first.usage, first.status) == (None, Decimal(0), OK)
    other = water_meter(world, world.units[1], "W-102")
    started = rec(other, month(1), "100.50", initial="90")
    assert (started.previous, started.usage, started.status) == (Decimal(90), Decimal("10.50"), OK)
    # the next month counts from the last reading
    second = rec(meter, month(2), "112")
    assert (second.previous, second.usage) == (Decimal("100.50"), Decimal("11.50"))
    # a starting reading makes no sense once there are readings
    assert "initial" in field_error(lambda: rec(meter, month(3), "120", initial="1"))


def test_previous_is_the_latest_reading_before_the_month_by_month_not_by_entry_order(world: World) -> None:
    meter = water_meter(world)
    rec(meter, month(1), 100)
    rec(meter, month(3), 130)
    feb = rec(meter, month(2), 112)  # entered late
    assert (feb.previous, feb.usage) == (Decimal(100), Decimal(12))
    march = MeterReading.objects.get(meter=meter, period=month(3))
    assert (march.previous, march.usage) == (Decimal(112), Decimal(18))  # recomputed from February


# --- anomaly rule (a): lower than the previous reading ----------------------------------------------------


def test_a_reading_lower_than_the_previous_one_is_flagged_with_a_readable_reason(world: World) -> None:
    meter = water_meter(world)
    rec(meter, month(1), 500)
    low = rec(meter, month(2), 480)
    assert low.status == FLAGGED
    assert low.usage == Decimal(-20)
    assert "Lower than the previous reading" in low.flag_reason and "500" in low.flag_reason
    assert "2026-01" in low.flag_reason


def test_confirming_a_lower_reading_bills_no_usage_and_the_next_month_counts_from_it(world: World) -> None:
    meter = water_meter(world)
    rec(meter, month(1), 9990)
    rolled = rec(meter, month(2), 5)  # meter replaced
    reading_review.reading_confirm(reading=rolled, by=None)
    rolled.refresh_from_db()
    assert (rolled.status, rolled.usage) == (CONFIRMED, Decimal(0))
    march = rec(meter, month(3), 17)
    assert (march.previous, march.usage, march.status) == (Decimal(5), Decimal(12), OK)


# --- anomaly rule (b): usage far above the average ---------------------------------------------------------


def test_usage_above_the_ratio_times_the_average_is_flagged(world: World) -> None:
    meter = water_meter(world)
    last = history(meter, usages=(10, 12, 8))  # average 10, ratio 3 by default
    at_limit = rec(meter, month(5), last + 30)
    assert at_limit.status == OK  # exactly 3× is not above
    other = water_meter(world, world.units[1], "W-102")
    last2 = history(other, usages=(10, 12, 8))
    over = rec(other, month(5), last2 + Decimal("30.01"))
    assert over.status == FLAGGED
    assert "more than 3× the average 10.00 of the last 3 readings" in over.flag_reason


def test_the_ratio_needs_at_least_three_billable_readings_of_history(world: World) -> None:
    meter = water_meter(world)
    last = history(meter, usages=(10, 10))  # two readings with usage (the first one has none)
    assert rec(meter, month(4), last + 1000).status == OK


def test_the_average_uses_the_last_six_billable_readings_only(world: World) -> None:
    meter = water_meter(world)
    # usage 100 long ago, then six months of 10: the average is 10, not pulled up by the old months
    last = history(meter, usages=(100, 100, 10, 10, 10, 10, 10, 10))
    assert rec(meter, month(10), last + 31).status == FLAGGED
    # flagged (unconfirmed) and rejected readings do not count in the average
    other = water_meter(world, world.units[1], "W-102")
    value = history(other, usages=(10, 10))
    spike = rec(other, month(4), value + 100)
    assert spike.status == OK  # only 2 readings of history yet
    value += 100
    value = value + 10
    rec(other, month(5), value)  # now 3: 10, 10, 100 → average 40
    low = rec(other, month(6), value - 1)
    assert low.status == FLAGGED  # lower: flagged, not billable → not in the average
    reading_review.reading_reject(reading=low, by=None, reason="看错了")
    # history for July: 10 (May), 100 (Apr), 10, 10 → average 32.50, limit 97.50 (counting June's −1 would
    # give an average of 25.80 and flag 90)
    july = rec(other, month(7), value + 90)
    assert (july.previous, july.usage, july.status) == (Decimal(value), Decimal(90), OK)


def test_the_ratio_is_configurable_per_company(world: World) -> None:
    settings = BillingSettings.load()
    settings.meter_anomaly_ratio = Decimal("5")
    settings.save()
    meter = water_meter(world)
    last = history(meter, usages=(10, 10, 10))
    assert rec(meter, month(5), last + 45).status == OK  # 4.5× is fine at ratio 5
    # June: the average of 45, 10, 10, 10 is 18.75; 5 × 18.75 = 93.75
    assert rec(meter, month(6), last + 45 + 93).status == OK
    assert rec(meter, month(7), last + 45 + 93 + 170).status == FLAGGED  # average 33.60 → limit 168
    reason = MeterReading.objects.get(meter=meter, period=month(7)).flag_reason
    assert "5×" in reason


# --- billing: flagged readings wait for a confirmation -----------------------------------------------------


def test_flagged_readings_are_not_billed_until_confirmed_then_a_rerun_bills_them(world: World) -> None:
    meter = water_meter(world)
    normal = water_meter(world, world.units[1], "W-102")
    last = history(meter, usages=(10, 10, 10))
    spike = rec(meter, month(5), last + 100)
    assert spike.status == FLAGGED
    history(normal, usages=(10, 10, 10))
    rec(normal, month(5), 100 + 30 + 12)
    run = post(month(5))
    assert run.preview["flagged_readings"] == 1
    assert water_amount(world.units[0], month(5)) is None  # flagged: not billed
    assert water_amount(world.units[1], month(5)) == 3360  # 12 t × ¥2.80
    reading_review.reading_confirm(reading=spike, by=None)
    again = post(month(5))
    assert again.lines_created == 1
    assert water_amount(world.units[0], month(5)) == 28000  # 100 t × ¥2.80
    assert post(month(5)).lines_created == 0


def test_a_rejected_reading_is_never_billed_and_the_month_can_be_entered_again(world: World) -> None:
    meter = water_meter(world)
    last = history(meter, usages=(10, 10, 10))
    wrong = rec(meter, month(5), last + 1000)
    assert "reason" in field_error(lambda: reading_review.reading_reject(reading=wrong, by=None, reason=" "))
    reading_review.reading_reject(reading=wrong, by=None, reason="多抄了一位")
    wrong.refresh_from_db()
    assert wrong.status == REJECTED and "多抄了一位" in wrong.flag_reason
    post(month(5))
    assert water_amount(world.units[0], month(5)) is None
    again = rec(meter, month(5), last + 11)
    assert again.pk == wrong.pk
    assert (again.status, again.usage, again.flag_reason) == (OK, Decimal(11), "")
    post(month(5))
    assert water_amount(world.units[0], month(5)) == 3080


def test_a_rejected_month_is_skipped_as_the_previous_reading(world: World) -> None:
    meter = water_meter(world)
    rec(meter, month(1), 100)
    feb = rec(meter, month(2), 90)  # lower: flagged
    march = rec(meter, month(3), 120)
    assert march.previous == Decimal(90)
    reading_review.reading_reject(reading=feb, by=None, reason="读错")
    march.refresh_from_db()
    assert (march.previous, march.usage, march.status) == (Decimal(100), Decimal(20), OK)


def test_entering_a_flagged_month_again_replaces_its_values(world: World) -> None:
    meter = water_meter(world)
    rec(meter, month(1), 100)
    flagged = rec(meter, month(2), 80, read_on=dt.date(2026, 2, 27))
    fixed = rec(meter, month(2), 108)
    assert fixed.pk == flagged.pk
    assert (fixed.reading, fixed.usage, fixed.status, fixed.flag_reason) == (Decimal(108), Decimal(8), OK, "")
    assert fixed.read_on == dt.date(2026, 2, 27)  # kept when not given again
    assert MeterReading.objects.filter(meter=meter).count() == 2


def test_entering_the_same_value_again_changes_nothing(world: World) -> None:
    meter = water_meter(world)
    last = history(meter, usages=(10, 10, 10))
    spike = rec(meter, month(5), last + 100)
    reading_review.reading_confirm(reading=spike, by=None)
    again = rec(meter, month(5), last + 100)
    assert again.status == CONFIRMED  # not flagged again


# --- locked months ------------------------------------------------------------------------------------------


def test_a_billed_month_is_locked(world: World) -> None:
    meter = water_meter(world)
    last = history(meter, usages=(10, 10, 10))
    may = rec(meter, month(5), last + 10)
    post(month(5))
    assert water_amount(world.units[0], month(5)) == 2800
    errors = field_error(lambda: rec(meter, month(5), last + 12))
    assert "posted" in errors["period"][0]
    assert "period" in field_error(lambda: reading_review.reading_reject(reading=may, by=None, reason="x"))
    assert rec(meter, month(5), last + 10).pk == may.pk  # the same value: nothing to change, no error
    # June is open; and entering June does not touch the billed May
    june = rec(meter, month(6), last + 25)
    assert (june.previous, june.usage) == (last + 10, Decimal(15))
    may.refresh_from_db()
    assert may.usage == Decimal(10)


def test_a_month_locked_by_a_quarterly_bill_covers_all_its_months(world: World) -> None:
    item = services.fee_item_create(
        office=world.office,
        scope=EVERYTHING,
        code="gasq",
        name="燃气费",
        category="gas",
        method="meter",
        cycle="quarterly",
        meter_kind="gas",
    )
    services.fee_standard_create(item=item, effective_from=JAN, rate="3")
    services.fee_assign(item=item, scope=EVERYTHING, start_date=JAN, unit_ids=[world.units[0].pk])
    gas = meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="gas", number="G-101")
    for m, value in ((6, 0), (7, 5), (8, 9), (9, 14)):
        rec(gas, month(m), value)
    post(month(7))  # Q3: July–September
    assert BillLine.objects.get(fee_item=item).amount == (5 + 4 + 5) * 300
    assert "period" in field_error(lambda: rec(gas, month(8), 10))
    rec(gas, month(6), 0)  # June is not in the quarter (and unchanged anyway)


def test_a_shared_meter_month_is_locked_once_its_units_are_billed(world: World) -> None:
    item = shared_item(world)
    meter = meters.shared_meter_create(
        scope=EVERYTHING,
        estate_id=world.estate.pk,
        kind="electricity",
        number="E-LIFT",
        fee_item_id=item.pk,
        building_ids=[world.building.pk],
    )
    rec(meter, month(5), 0)
    rec(meter, month(6), 1000)
    post(month(6))
    assert sum(BillLine.objects.filter(fee_item=item).values_list("amount", flat=True)) == 61000
    assert "period" in field_error(lambda: rec(meter, month(6), 1200))


# --- meter setup ----------------------------------------------------------------------------------------------


def shared_item(world: World, office: Any = None, code: str = "lift", kind: str = "electricity") -> Any:
    item = services.fee_item_create(
        office=office or world.office,
        scope=EVERYTHING,
        code=code,
        name="电梯公摊电费",
        category="shared",
        method="shared_meter",
        cycle="monthly",
        meter_kind=kind,
    )
    services.fee_standard_create(item=item, effective_from=JAN, rate="0.61")
    return item


@pytest.fixture
def other_office(world: World) -> dict[str, Any]:
    office = registry.office_create(name="第二管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="银色家园", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="9栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="70", scope=EVERYTHING
    )
    return {
        "office": office,
        "estate": estate,
        "building": building,
        "units": list(Unit.objects.filter(building=building)),
    }


def test_a_unit_meter_is_created_in_the_units_estate_and_audited(world: World) -> None:
    meter = water_meter(world)
    assert (meter.estate_id, meter.unit_id, meter.multiplier, meter.is_shared) == (
        world.estate.pk,
        world.units[0].pk,
        Decimal(1),
        False,
    )
    entry = AuditEntry.objects.get(action="billing.meter_create", object_id=str(meter.pk))
    assert entry.changes["after"]["number"] == "W-101"


def test_meter_numbers_are_unique_per_estate_and_input_is_checked(world: World, other_office: dict[str, Any]) -> None:
    water_meter(world)
    errors = field_error(lambda: water_meter(world, world.units[1], "W-101"))
    assert "already has a meter" in errors["number"][0]
    # the same number in another estate is fine
    meters.meter_create(scope=EVERYTHING, unit_id=other_office["units"][0].pk, kind="water", number="W-101")
    errors = field_error(
        lambda: meters.meter_create(scope=EVERYTHING, unit_id=None, kind="steam", number="", multiplier="0")
    )
    assert set(errors) == {"unit", "kind", "number", "multiplier"}
    errors = field_error(
        lambda: meters.meter_create(
            scope=EVERYTHING, unit_id=world.units[1].pk, kind="water", number="X", estate_id=other_office["estate"].pk
        )
    )
    assert "estate" in errors
    assert "multiplier" in field_error(
        lambda: meters.meter_create(
            scope=EVERYTHING, unit_id=world.units[1].pk, kind="water", number="X", multiplier="1.234"
        )
    )


def test_staff_set_up_meters_only_within_their_offices(world: World, other_office: dict[str, Any]) -> None:
    scope = Scope(all_offices=False, office_ids=frozenset({other_office["office"].pk}))
    errors = field_error(lambda: meters.meter_create(scope=scope, unit_id=world.units[0].pk, kind="water", number="W"))
    assert "unit" in errors
    water_meter(world)
    assert meters.meter_list(scope=scope).count() == 0
    assert meters.meter_get(scope=scope, meter_id=Meter.objects.get().pk) is None
    # by estate too
    estate_scope = Scope(all_offices=False, estate_ids=frozenset({world.estate.pk}))
    assert meters.meter_list(scope=estate_scope).count() == 1


def test_a_shared_meter_takes_whole_buildings_and_single_units_of_the_items_office(world: World) -> None:
    item = shared_item(world)
    meter = meters.shared_meter_create(
        scope=EVERYTHING,
        estate_id=world.estate.pk,
        kind="electricity",
        number="E-LIFT-1",
        fee_item_id=item.pk,
        building_ids=[world.building.pk],
        unit_ids=[world.units2[0].pk],
    )
    assert meter.is_shared and meter.fee_item_id == item.pk
    assert set(meter.shared_units.values_list("pk", flat=True)) == {u.pk for u in world.units} | {world.units2[0].pk}
    assert AuditEntry.objects.filter(action="billing.meter_create", object_id=str(meter.pk)).exists()


def test_shared_meter_setup_is_validated(world: World, other_office: dict[str, Any]) -> None:
    item = shared_item(world)

    def make(**kw: Any) -> Meter:
        args = {
            "scope": EVERYTHING,
            "estate_id": world.estate.pk,
            "kind": "electricity",
            "number": "E-1",
            "fee_item_id": item.pk,
            "building_ids": [world.building.pk],
        }
        return meters.shared_meter_create(**{**args, **kw})

    # an item that is not charged by shared meter
    assert "fee_item" in field_error(lambda: make(fee_item_id=world.management.pk))
    assert "fee_item" in field_error(lambda: make(fee_item_id=None))
    # the item reads electricity meters
    assert "kind" in field_error(lambda: make(kind="water"))
    # units of another office
    errors = field_error(lambda: make(unit_ids=[other_office["units"][0].pk]))
    assert "office" in errors["unit_ids"][0]
    errors = field_error(lambda: make(building_ids=[other_office["building"].pk]))
    assert "office" in errors["building_ids"][0]
    # no units at all
    assert "unit_ids" in field_error(lambda: make(building_ids=[]))
    # units that do not exist
    assert "unit_ids" in field_error(lambda: make(unit_ids=[999999]))
    # the estate of another office
    assert "estate" in field_error(lambda: make(estate_id=other_office["estate"].pk))
    # a staff member of the other office cannot use this office's item
    scope = Scope(all_offices=False, office_ids=frozenset({other_office["office"].pk}))
    assert "fee_item" in field_error(lambda: make(scope=scope))
    assert not Meter.objects.exists()


def test_updating_and_deactivating_a_meter(world: World) -> None:
    meter = water_meter(world)
    rec(meter, month(1), 10)
    assert "kind" in field_error(lambda: meters.meter_update(meter=meter, scope=EVERYTHING, kind="gas"))
    assert "fee_item" in field_error(lambda: meters.meter_update(meter=meter, scope=EVERYTHING, unit_ids=[1]))
    meters.meter_update(meter=meter, scope=EVERYTHING, number="W-101A", multiplier="10")
    meter.refresh_from_db()
    assert (meter.number, meter.multiplier) == ("W-101A", Decimal(10))
    meters.meter_deactivate(meter=meter, scope=EVERYTHING)
    assert AuditEntry.objects.filter(action="billing.meter_deactivate", object_id=str(meter.pk)).exists()
    assert "meter" in field_error(lambda: rec(meter, month(2), 20))


def test_a_multiplier_scales_what_is_billed(world: World) -> None:
    meter = meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W", multiplier="10")
    rec(meter, month(4), 0)
    rec(meter, month(5), "1.5")
    post(month(5))
    assert water_amount(world.units[0], month(5)) == 4200  # 1.5 × 10 t × ¥2.80


def test_a_shared_meters_units_can_be_changed(world: World, other_office: dict[str, Any]) -> None:
    item = shared_item(world)
    meter = meters.shared_meter_create(
        scope=EVERYTHING,
        estate_id=world.estate.pk,
        kind="electricity",
        number="E-1",
        fee_item_id=item.pk,
        building_ids=[world.building.pk],
    )
    meters.meter_update(meter=meter, scope=EVERYTHING, building_ids=[world.building2.pk])
    assert set(meter.shared_units.values_list("pk", flat=True)) == {u.pk for u in world.units2}
    assert "unit_ids" in field_error(
        lambda: meters.meter_update(meter=meter, scope=EVERYTHING, unit_ids=[other_office["units"][0].pk])
    )


# --- input checks and the audit trail ------------------------------------------------------------------------


def test_reading_input_is_checked_field_by_field(world: World) -> None:
    meter = water_meter(world)
    assert "reading" in field_error(lambda: rec(meter, month(1), "abc"))
    assert "reading" in field_error(lambda: rec(meter, month(1), "-1"))
    assert "reading" in field_error(lambda: rec(meter, month(1), "1.234"))
    assert "period" in field_error(lambda: rec(meter, dt.date(2026, 1, 15), "1"))
    future = (timezone.localdate().replace(day=1) + dt.timedelta(days=40)).replace(day=1)
    assert "period" in field_error(lambda: rec(meter, future, "1"))
    assert "read_on" in field_error(lambda: rec(meter, month(3), "1", read_on=dt.date(2026, 2, 27)))
    assert "read_on" in field_error(
        lambda: rec(meter, month(3), "1", read_on=timezone.localdate() + dt.timedelta(days=2))
    )
    assert not MeterReading.objects.exists()


def test_every_reading_write_is_audited(world: World) -> None:
    meter = water_meter(world)
    last = history(meter, usages=(10, 10, 10))
    spike = rec(meter, month(5), last + 100)
    entry = AuditEntry.objects.filter(action="billing.reading_record", object_id=str(spike.pk)).latest("id")
    assert entry.changes["after"]["status"] == FLAGGED
    reading_review.reading_confirm(reading=spike, by=None)
    assert AuditEntry.objects.filter(action="billing.reading_confirm", object_id=str(spike.pk)).exists()
    with pytest.raises(ApplicationError):
        reading_review.reading_confirm(reading=spike, by=None)
    june = rec(meter, month(6), last + 90)
    assert june.status == FLAGGED  # lower than May
    reading_review.reading_reject(reading=june, by=None, reason="抄错")
    entry = AuditEntry.objects.get(action="billing.reading_reject", object_id=str(june.pk))
    assert entry.changes["reason"] == "抄错"


def test_the_entry_grid_shows_last_reading_and_average_per_unit_meter(world: World) -> None:
    meter = water_meter(world)
    water_meter(world, world.units[1], "W-102")
    meters.meter_create(scope=EVERYTHING, unit_id=world.units2[0].pk, kind="water", number="W-2-101")
    history(meter, usages=(10, 20, 30))
    rows = meter_readings.reading_grid(scope=EVERYTHING, building_id=world.building.pk, period=month(5))
    assert [r.meter.number for r in rows] == ["W-101", "W-102"]
    assert rows[0].last is not None and rows[0].last.period == month(4)
    assert rows[0].average == Decimal(20)
    assert rows[0].current is None and not rows[0].locked
    assert rows[1].last is None and rows[1].average is None
