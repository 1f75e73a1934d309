"""滞纳金: late fees per fee item — off by default, grace days, percent per day with a cap, fixed once,
idempotent per day, catch-up of missed days, stop when paid, waivable, never on late fees themselves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from backend.billing import services
from backend.billing.arrears import unit_arrears
from backend.billing.latefees import MAX_CATCH_UP_DAYS, daily_fee, late_fees_accrue
from backend.billing.ledger import adhoc_charge_post, payment_record, waiver_decide, waiver_request
from backend.billing.models import BillLine, FeeItem, LedgerEntry
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import lines_with_balances, unit_account
from backend.properties.models import Unit

from .conftest import EVERYTHING, World

JUN = dt.date(2026, 6, 1)
DUE = dt.date(2026, 6, 10)  # the company's payment due day is the 10th
MGMT_101 = 22375  # 89.50 m² × ¥2.50


def bill_june() -> None:
    bill_run_execute(bill_run_create(period=JUN, scope=EVERYTHING, by=None).pk)


def late_rule(item: FeeItem, **rule: Any) -> FeeItem:
    return services.fee_item_update(item=item, **rule)


def late_line(unit: Unit, item: FeeItem) -> BillLine | None:
    return BillLine.objects.filter(unit=unit, fee_item=item, kind="late_fee").first()


def accruals(line: BillLine | None) -> list[tuple[dt.date, int]]:
    if line is None:
        return []
    return list(line.entries.filter(kind="charge").order_by("accrual_date").values_list("accrual_date", "amount"))


def day(n: int) -> dt.date:
    """June n, 2026."""
    return dt.date(2026, 6, n)


def test_daily_fee_rounds_half_up() -> None:
    assert daily_fee(MGMT_101, Decimal("0.03")) == 7  # 6.7125
    assert daily_fee(250000, Decimal("0.001")) == 3  # 2.5 → 3 (half-up, not to even)
    assert daily_fee(100, Decimal("0.03")) == 0


def test_late_fees_are_off_by_default(world: World) -> None:
    bill_june()
    assert world.management.late_fee_mode == "off"
    result = late_fees_accrue(dt.date(2026, 9, 1))
    assert result.entries == 0
    assert not BillLine.objects.filter(kind="late_fee").exists()


def test_daily_percent_starts_after_the_grace_days(world: World) -> None:
    late_rule(
        world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("0.03"), late_fee_grace_days=5
    )
    bill_june()
    unit = world.units[0]
    late_fees_accrue(day(15))  # due 10th + 5 grace days: the 15th is still free
    assert late_line(unit, world.management) is None
    late_fees_accrue(day(16))
    line = late_line(unit, world.management)
    assert line is not None
    parent = BillLine.objects.get(unit=unit, fee_item=world.management, kind="charge")
    assert (line.parent_id, line.amount, line.due_date, line.period_start) == (parent.pk, 0, day(16), JUN)
    assert accruals(line) == [(day(16), 7)]
    # the garbage item has no late fee
    assert late_line(unit, world.garbage) is None
    # every unit's management line accrued, each by its own owed amount (120 m² × 2.50 = 300 → 9 fen)
    assert accruals(late_line(world.units2[0], world.management)) == [(day(16), 9)]
    assert unit_account(unit.pk).owed == MGMT_101 + 1000 + 7


def test_a_rerun_for_the_same_day_posts_nothing(world: World) -> None:
    late_rule(world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("0.03"))
    bill_june()
    first = late_fees_accrue(day(11))
    before = LedgerEntry.objects.count()
    second = late_fees_accrue(day(11))
    assert first.entries == 8 and second.entries == 0
    assert LedgerEntry.objects.count() == before
    assert BillLine.objects.filter(kind="late_fee").count() == 8


def test_missed_days_are_caught_up(world: World) -> None:
    late_rule(world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("0.03"))
    bill_june()
    unit = world.units[0]
    late_fees_accrue(day(11))
    late_fees_accrue(day(15))  # the 12th–14th were missed
    assert accruals(late_line(unit, world.management)) == [(day(n), 7) for n in range(11, 16)]


def test_catch_up_is_bounded(world: World) -> None:
    late_rule(world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("0.03"))
    bill_june()
    far = DUE + dt.timedelta(days=500)
    late_fees_accrue(far)
    rows = accruals(late_line(world.units[0], world.management))
    assert len(rows) == MAX_CATCH_UP_DAYS
    assert rows[0][0] == far - dt.timedelta(days=MAX_CATCH_UP_DAYS - 1) and rows[-1][0] == far


def test_the_cap_cuts_the_last_day_and_stops(world: World) -> None:
    late_rule(world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("0.03"), late_fee_cap=20)
    bill_june()
    late_fees_accrue(day(20))
    assert accruals(late_line(world.units[0], world.management)) == [(day(11), 7), (day(12), 7), (day(13), 6)]
    assert late_fees_accrue(day(25)).entries == 0


def test_a_fixed_late_fee_is_charged_once(world: World) -> None:
    late_rule(world.management, late_fee_mode="fixed", late_fee_fixed=500, late_fee_grace_days=2)
    bill_june()
    late_fees_accrue(day(12))
    assert late_line(world.units[0], world.management) is None
    late_fees_accrue(day(13))
    late_fees_accrue(day(14))
    late_fees_accrue(dt.date(2026, 9, 30))
    assert accruals(late_line(world.units[0], world.management)) == [(day(13), 500)]


def test_a_fixed_late_fee_respects_the_cap(world: World) -> None:
    late_rule(world.management, late_fee_mode="fixed", late_fee_fixed=500, late_fee_cap=300)
    bill_june()
    late_fees_accrue(day(11))
    assert accruals(late_line(world.units[0], world.management)) == [(day(11), 300)]


def test_accrual_stops_when_the_line_is_paid_and_shrinks_when_partly_paid(world: World) -> None:
    late_rule(world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("0.03"))
    bill_june()
    paid, partly = world.units[0], world.units[1]
    late_fees_accrue(day(11))
    payment_record(unit=paid, amount=unit_account(paid.pk).owed, method="cash")  # everything, late fee included
    parent = BillLine.objects.get(unit=partly, fee_item=world.management, kind="charge")
    payment_record(unit=partly, amount=MGMT_101 - 10000, method="cash", line_ids=[parent.pk])
    late_fees_accrue(day(12))
    assert accruals(late_line(paid, world.management)) == [(day(11), 7)]
    assert accruals(late_line(partly, world.management)) == [(day(11), 7), (day(12), 3)]  # 10000 × 0.03%
    assert unit_account(paid.pk).owed == 0


def test_one_off_charges_accrue_and_late_fees_never_compound(world: World) -> None:
    item = services.fee_item_create(
        office=world.office,
        scope=EVERYTHING,
        code="repair",
        name="有偿维修",
        category="service",
        method="fixed",
        cycle="one_off",
        late_fee_mode="daily_percent",
        late_fee_daily_percent=Decimal("1"),
    )
    line = adhoc_charge_post(unit=world.units[0], fee_item=item, amount=10000, description="换锁", due_date=day(1))
    late_fees_accrue(day(3))
    late = late_line(world.units[0], item)
    assert late is not None and late.parent_id == line.pk
    assert accruals(late) == [(day(2), 100), (day(3), 100)]
    assert BillLine.objects.filter(kind="late_fee").count() == 1  # none on the late-fee line itself


def test_a_late_fee_is_waivable_through_the_waiver_flow(world: World, tenant_a: Any, member: Any) -> None:
    late_rule(world.management, late_fee_mode="daily_percent", late_fee_daily_percent=Decimal("0.03"))
    bill_june()
    unit = world.units[0]
    late_fees_accrue(day(12))
    late = late_line(unit, world.management)
    assert late is not None
    clerk, approver = member(tenant_a, ["finance"]), member(tenant_a, ["finance"])
    request = waiver_request(line=late, amount=14, reason="首次逾期，减免滞纳金", by=clerk)
    waiver_decide(request=request, by=approver, approve=True)
    assert lines_with_balances(BillLine.objects.filter(pk=late.pk)).get().owed == 0  # type: ignore[attr-defined]
    row = unit_arrears(unit.pk, today=day(13))
    assert row is not None and row.amount == MGMT_101 + 1000  # the late fee no longer counts


def test_the_daily_task_accrues_for_the_company_today(world: World) -> None:
    from backend.billing.dunning import company_today
    from backend.billing.tasks_dunning import late_fees_accrue_daily

    late_rule(world.management, late_fee_mode="fixed", late_fee_fixed=500)
    bill_june()
    out = late_fees_accrue_daily()
    assert out["day"] == company_today().isoformat()
    assert out["entries"] == 8 and out["amount"] == 8 * 500
    assert late_fees_accrue_daily()["entries"] == 0
