from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from backend.billing import services
from backend.billing.ledger import payment_record
from backend.billing.models import BillLine, BillRun, LedgerEntry, Meter, MeterReading
from backend.billing.run_pricing import apportion
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import unit_account
from backend.errors import ApplicationError
from backend.properties.models import Unit, UnitStatus

from .conftest import EVERYTHING, JAN, World

JUL = dt.date(2026, 7, 1)
JUN = dt.date(2026, 6, 1)


def post(period: dt.date, **scope: Any) -> BillRun:
    run = bill_run_create(period=period, scope=EVERYTHING, by=None, **scope)
    return bill_run_execute(run.pk)


def amounts(unit: Unit, period: dt.date) -> dict[str, int]:
    return {
        line.fee_item.code: line.amount
        for line in BillLine.objects.filter(unit=unit, period_start=period).select_related("fee_item")
    }


def test_a_run_bills_area_and_fixed_items_with_their_charge_entries(world: World) -> None:
    run = post(JUN)
    assert run.status == BillRun.Status.POSTED
    # 89.50 m² × ¥2.50 = ¥223.75; garbage ¥10; no water reading → no water line
    assert amounts(world.units[0], JUN) == {"mgmt": 22375, "garbage": 1000}
    assert amounts(world.units2[0], JUN) == {"mgmt": 30000, "garbage": 1000}
    assert run.lines_created == 16
    assert run.amount_created == 4 * (22375 + 1000) + 4 * (30000 + 1000)
    # every line has exactly one charge entry of its amount
    for line in BillLine.objects.all():
        assert list(line.entries.values_list("kind", "amount")) == [("charge", line.amount)]
    assert unit_account(world.units[0].pk).owed == 23375


def test_a_second_run_for_the_same_period_bills_nothing(world: World) -> None:
    post(JUN)
    before = (BillLine.objects.count(), LedgerEntry.objects.count())
    again = post(JUN)
    assert again.lines_created == 0
    assert again.lines_existing == 16
    assert (BillLine.objects.count(), LedgerEntry.objects.count()) == before


def test_a_price_change_on_1_july_bills_june_old_and_july_new(world: World) -> None:
    services.fee_standard_create(item=world.management, effective_from=JUL, rate=Decimal("3.00"))
    post(JUN)
    post(JUL)
    assert amounts(world.units[0], JUN)["mgmt"] == 22375  # 89.50 × 2.50
    assert amounts(world.units[0], JUL)["mgmt"] == 26850  # 89.50 × 3.00


def test_a_quarterly_item_spanning_a_price_change_prices_each_month(world: World) -> None:
    item = services.fee_item_create(
        office=world.office,
        scope=EVERYTHING,
        code="q",
        name="季度费",
        category="other",
        method="fixed",
        cycle="quarterly",
    )
    services.fee_standard_create(item=item, effective_from=dt.date(2026, 1, 1), rate="10")
    services.fee_standard_create(item=item, effective_from=dt.date(2026, 8, 1), rate="20")
    services.fee_assign(item=item, scope=EVERYTHING, start_date=dt.date(2026, 1, 1), unit_ids=[world.units[0].pk])
    post(JUN)  # not a quarter start: nothing
    assert not BillLine.objects.filter(fee_item=item).exists()
    post(JUL)  # Q3: July ¥10 + August ¥20 + September ¥20
    line = BillLine.objects.get(fee_item=item)
    assert (line.period_start, line.period_end, line.amount) == (JUL, dt.date(2026, 9, 30), 5000)


def test_unit_type_standard_and_custody_percentage(world: World) -> None:
    shop = world.units[1]
    Unit.objects.filter(pk=shop.pk).update(unit_type="shop")
    services.fee_standard_create(item=world.management, effective_from=JAN, rate="5", unit_type="shop")
    custody = world.units[2]
    Unit.objects.filter(pk=custody.pk).update(status=UnitStatus.CUSTODY)
    services.fee_standard_create(
        item=world.management, effective_from=dt.date(2026, 5, 1), rate="2.50", custody_percent="70"
    )
    post(JUN)
    assert amounts(shop, JUN)["mgmt"] == 44750  # 89.50 × 5
    assert amounts(custody, JUN)["mgmt"] == 15663  # 89.50 × 2.50 × 70% = 156.625 → 156.63 (half-up)
    assert amounts(world.units[0], JUN)["mgmt"] == 22375


def test_meter_items_bill_billable_readings_only(world: World) -> None:
    unit = world.units[0]
    meter = Meter.objects.create(kind="water", number="W-101", estate=world.estate, unit=unit)
    MeterReading.objects.create(meter=meter, period=JUN, reading=Decimal("112.5"), previous=100, usage=Decimal("12.5"))
    other = Meter.objects.create(kind="water", number="W-102", estate=world.estate, unit=world.units[1])
    flagged = MeterReading.objects.create(
        meter=other, period=JUN, reading=Decimal("500"), previous=100, usage=Decimal("400"), status="flagged"
    )
    post(JUN)
    assert amounts(unit, JUN)["water"] == 3500  # 12.5 t × ¥2.80
    assert "water" not in amounts(world.units[1], JUN)
    # confirmed later: a re-run for the month bills just that line
    MeterReading.objects.filter(pk=flagged.pk).update(status="confirmed")
    again = post(JUN)
    assert again.lines_created == 1
    assert amounts(world.units[1], JUN)["water"] == 112000


def test_shared_meter_apportioned_by_area_adds_up(world: World) -> None:
    item = services.fee_item_create(
        office=world.office,
        scope=EVERYTHING,
        code="lift",
        name="电梯公摊电费",
        category="shared",
        method="shared_meter",
        cycle="monthly",
        meter_kind="electricity",
    )
    services.fee_standard_create(item=item, effective_from=JAN, rate="0.61")
    meter = Meter.objects.create(kind="electricity", number="E-LIFT", estate=world.estate, fee_item=item)
    meter.shared_units.set(world.all_units)
    MeterReading.objects.create(meter=meter, period=JUN, reading=1000, previous=0, usage=1000)
    post(JUN)
    shares = list(BillLine.objects.filter(fee_item=item).values_list("amount", flat=True))
    assert len(shares) == 8
    assert sum(shares) == 61000  # 1000 kWh × ¥0.61, to the fen
    assert post(JUN).lines_created == 0


def test_apportion_is_exact() -> None:
    parts = apportion(100, {1: Decimal(1), 2: Decimal(1), 3: Decimal(1)})
    assert sum(parts.values()) == 100 and sorted(parts.values()) == [33, 33, 34]


def test_a_run_for_one_building_bills_only_it(world: World) -> None:
    run = post(JUN, building_ids=[world.building2.pk])
    assert run.total_units == 4
    assert set(BillLine.objects.values_list("unit__building_id", flat=True)) == {world.building2.pk}


def test_preview_counts_what_would_be_billed_and_what_exists(world: World) -> None:
    run = bill_run_create(period=JUN, scope=EVERYTHING, by=None)
    assert run.preview["new_lines"] == 16 and run.preview["existing"] == 0
    assert not BillLine.objects.exists()
    bill_run_execute(run.pk)
    second = bill_run_create(period=JUN, scope=EVERYTHING, by=None)
    assert second.preview["new_lines"] == 0 and second.preview["existing"] == 16


def test_prepaid_balance_settles_new_bills_oldest_first(world: World) -> None:
    unit = world.units[0]
    payment_record(unit=unit, amount=30000, method="cash", to_prepaid=True)
    post(JUN)
    account = unit_account(unit.pk)
    assert account.owed == 0
    assert account.prepaid == 30000 - 23375
    post(JUL)
    account = unit_account(unit.pk)
    assert account.prepaid == 0
    assert account.owed == 2 * 23375 - 30000


def test_crash_mid_run_then_retry_bills_each_line_once(world: World) -> None:
    from backend.billing import runs

    run = bill_run_create(period=JUN, scope=EVERYTHING, by=None)
    old = runs.CHUNK_UNITS
    runs.CHUNK_UNITS = 4

    def crash(done: int) -> None:
        raise RuntimeError("worker killed")

    try:
        with pytest.raises(RuntimeError):
            bill_run_execute(run.pk, on_chunk=crash)
        assert BillLine.objects.count() == 8  # the first chunk committed
        bill_run_execute(run.pk)
    finally:
        runs.CHUNK_UNITS = old
    assert BillLine.objects.count() == 16
    assert LedgerEntry.objects.filter(kind="charge").count() == 16
    assert BillRun.objects.get(pk=run.pk).lines_existing == 8


def test_standards_start_on_the_first_and_cannot_rewrite_posted_months(world: World) -> None:
    with pytest.raises(ApplicationError) as err:
        services.fee_standard_create(item=world.management, effective_from=dt.date(2026, 7, 15), rate="3")
    assert "effective_from" in err.value.fields
    post(JUL)
    with pytest.raises(ApplicationError) as err:
        services.fee_standard_create(item=world.management, effective_from=JUL, rate="3")
    assert "effective_from" in err.value.fields


def test_the_schedule_posts_the_month_once_on_the_company_billing_day(world: World) -> None:
    from backend.billing.models import BillingSettings
    from backend.billing.runs import scheduled_bill_run
    from tenants.company.models import CompanySettings

    CompanySettings.objects.update_or_create(singleton=True, defaults={"billing_day": 5})
    assert scheduled_bill_run(dt.date(2026, 7, 4)) is None  # not the billing day
    run = scheduled_bill_run(dt.date(2026, 7, 5))
    assert run is not None and run.status == BillRun.Status.POSTED and run.period == JUL and run.scheduled
    assert run.lines_created == 16
    assert scheduled_bill_run(dt.date(2026, 7, 5)) is None  # once a month, however often beat asks
    settings_row = BillingSettings.load()
    settings_row.auto_bill_run = False
    settings_row.save()
    assert scheduled_bill_run(dt.date(2026, 8, 5)) is None
    assert not BillLine.objects.filter(period_start=dt.date(2026, 8, 1)).exists()


def test_the_service_enqueues_a_run_by_the_name_its_task_is_registered_under() -> None:
    from backend.billing import runs, tasks
    from backend.celery import app

    assert app.tasks[runs.BILL_RUN_EXECUTE_TASK].name == tasks.bill_run_execute_task.name  # KeyError if not
