from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
from django.db import connection, connections

from backend.billing import ledger
from backend.billing.models import BillingSettings, BillLine, LedgerEntry, Payment, SettlementOrder
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import lines_with_balances, unit_account, unit_statement
from backend.errors import ApplicationError
from tests.backend.payments.cleanup import forget_payments

from .conftest import EVERYTHING, World

JUN = dt.date(2026, 6, 1)
JUL = dt.date(2026, 7, 1)


def post(period: dt.date) -> None:
    bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)


def owed(line: BillLine) -> int:
    return int(lines_with_balances(BillLine.objects.filter(pk=line.pk)).get().owed)  # type: ignore[attr-defined]


@pytest.fixture
def billed(world: World) -> World:
    post(JUN)
    post(JUL)
    return world


def test_a_payment_settles_oldest_first_and_the_rest_goes_to_prepaid(billed: World) -> None:
    unit = billed.units[0]  # 22375 + 1000 a month
    ledger.payment_record(unit=unit, amount=23375 + 5000, method="cash")
    june = BillLine.objects.filter(unit=unit, period_start=JUN)
    assert all(owed(line) == 0 for line in june)
    account = unit_account(unit.pk)
    assert account.owed == 23375 - 5000
    assert account.prepaid == 0
    ledger.payment_record(unit=unit, amount=20000, method="cash")
    account = unit_account(unit.pk)
    assert (account.owed, account.prepaid) == (0, 20000 - 18375)


def test_chosen_lines_only_and_the_remainder_to_prepaid(billed: World) -> None:
    unit = billed.units[0]
    july_garbage = BillLine.objects.get(unit=unit, period_start=JUL, fee_item=billed.garbage)
    ledger.payment_record(unit=unit, amount=1500, method="pos", line_ids=[july_garbage.pk])
    assert owed(july_garbage) == 0
    account = unit_account(unit.pk)
    assert account.prepaid == 500
    assert account.owed == 2 * 23375 - 1000  # June untouched although older


def test_lines_of_another_unit_are_refused(billed: World) -> None:
    other_line = BillLine.objects.filter(unit=billed.units[1]).first()
    assert other_line is not None
    with pytest.raises(ApplicationError) as err:
        ledger.payment_record(unit=billed.units[0], amount=100, method="cash", line_ids=[other_line.pk])
    assert "line_ids" in err.value.fields
    assert not Payment.objects.exists()


def test_bad_payment_input_gives_field_errors(billed: World) -> None:
    with pytest.raises(ApplicationError) as err:
        ledger.payment_record(unit=billed.units[0], amount=0, method="gold")
    assert set(err.value.fields) == {"amount", "method"}


def test_settlement_order_by_priority(billed: World) -> None:
    settings_row = BillingSettings.load()
    settings_row.settlement_order = SettlementOrder.PRIORITY
    settings_row.save()
    billed.garbage.priority = 1
    billed.garbage.save()
    unit = billed.units[0]
    ledger.payment_record(unit=unit, amount=2000, method="cash")
    garbage_lines = BillLine.objects.filter(unit=unit, fee_item=billed.garbage)
    assert [owed(line) for line in garbage_lines] == [0, 0]


def test_idempotency_key_records_once_and_refuses_a_different_payment(billed: World) -> None:
    unit = billed.units[0]
    first = ledger.payment_record(unit=unit, amount=5000, method="cash", idempotency_key="k-1").payment
    again = ledger.payment_record(unit=unit, amount=5000, method="cash", idempotency_key="k-1").payment
    assert first.pk == again.pk
    assert LedgerEntry.objects.filter(kind__in=["payment", "prepayment"]).count() == 1
    with pytest.raises(ApplicationError) as err:
        ledger.payment_record(unit=unit, amount=6000, method="cash", idempotency_key="k-1")
    assert err.value.status == 409


def test_a_replayed_idempotency_key_answers_the_same_payment_as_not_created(billed: World) -> None:
    unit = billed.units[0]
    first = ledger.payment_record(unit=unit, amount=5000, method="cash", idempotency_key="k-2")
    replay = ledger.payment_record(unit=unit, amount=5000, method="cash", idempotency_key="k-2")
    assert (first.created, replay.created) == (True, False)
    assert replay.payment.pk == first.payment.pk
    without_key = ledger.payment_record(unit=unit, amount=5000, method="cash")
    assert without_key.created and without_key.payment.pk != first.payment.pk


def test_refund_takes_the_unallocated_part_first_then_reopens_lines(billed: World) -> None:
    unit = billed.units[0]
    payment = ledger.payment_record(unit=unit, amount=23375 + 1000, method="cash").payment  # June + July's garbage
    ledger.refund_record(payment=payment, amount=500, reason="多收", by=None)
    assert unit_account(unit.pk).owed == 23375 - 1000 + 500
    ledger.refund_record(payment=payment, amount=23875, reason="全部退", by=None)
    account = unit_account(unit.pk)
    assert (account.owed, account.prepaid) == (2 * 23375, 0)
    with pytest.raises(ApplicationError) as err:
        ledger.refund_record(payment=payment, amount=1, reason="再退", by=None)
    assert "amount" in err.value.fields


def test_waiver_needs_a_second_person_and_a_correction_of_a_paid_line_returns_money_to_prepaid(
    billed: World, member: Any, tenant_a: Any
) -> None:
    clerk = member(tenant_a, ["customer_service"])
    boss = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    unit = billed.units[0]
    line = BillLine.objects.get(unit=unit, period_start=JUN, fee_item=billed.management)
    request = ledger.waiver_request(line=line, amount=5000, reason="维修期间减免", by=clerk)
    with pytest.raises(ApplicationError) as err:
        ledger.waiver_decide(request=request, by=clerk, approve=True)
    assert err.value.code == "four_eyes"
    ledger.waiver_decide(request=request, by=boss, approve=True)
    assert owed(line) == 22375 - 5000
    entry = LedgerEntry.objects.get(kind="waiver")
    assert (entry.approved_by_id, entry.created_by_id, entry.reason) == (boss.pk, clerk.pk, "维修期间减免")
    # a waiver beyond what is owed is refused; a correction (红冲) of a paid line may go up to the charge
    ledger.payment_record(unit=unit, amount=17375, method="cash", line_ids=[line.pk])
    with pytest.raises(ApplicationError):
        ledger.waiver_request(line=line, amount=1, reason="x", by=clerk)
    correction = ledger.waiver_request(line=line, amount=17375, reason="错收红冲", by=clerk, kind="correction")
    ledger.waiver_decide(request=correction, by=boss, approve=True)
    assert owed(line) == 0
    assert unit_account(unit.pk).prepaid == 17375


def test_deposits_are_held_then_refunded_or_forfeited_never_beyond_what_is_held(billed: World) -> None:
    unit = billed.units[0]
    deposit = ledger.deposit_hold(unit=unit, amount=200000, purpose="装修保证金", method="cash")
    assert unit_account(unit.pk).deposits_held == 200000
    assert unit_account(unit.pk).owed == 2 * 23375  # a deposit does not pay bills
    ledger.deposit_release(deposit=deposit, refund=150000, forfeit=30000, reason="损坏公共区域", by=None)
    assert unit_account(unit.pk).deposits_held == 20000
    with pytest.raises(ApplicationError):
        ledger.deposit_release(deposit=deposit, refund=20001, reason="x", by=None)


def test_adhoc_charge_is_settled_from_prepaid(world: World) -> None:
    unit = world.units[0]
    ledger.payment_record(unit=unit, amount=10000, method="cash", to_prepaid=True)
    line = ledger.adhoc_charge_post(unit=unit, fee_item=world.garbage, amount=3000, description="装修垃圾清运")
    assert owed(line) == 0
    assert unit_account(unit.pk).prepaid == 7000


def test_statement_running_balance(billed: World) -> None:
    unit = billed.units[0]
    ledger.payment_record(unit=unit, amount=10000, method="cash")
    statement = unit_statement(unit.pk)
    assert [row["balance"] for row in statement["rows"]][-1] == statement["closing"] == 2 * 23375 - 10000
    assert statement["closing"] == statement["account"].balance


# -- concurrency: two cashiers take the same line at the same moment ------------------------------------------


def _pay_in_thread(results: list, barrier: threading.Barrier, tenant: Any, unit_id: int, line_id: int, n: int) -> None:
    from backend.properties.models import Unit

    try:
        connection.set_tenant(tenant)
        unit = Unit.objects.get(pk=unit_id)
        barrier.wait(timeout=10)
        payment = ledger.payment_record(
            unit=unit, amount=1000, method="cash", line_ids=[line_id], reference=f"c{n}"
        ).payment
        results.append(payment.pk)
    except Exception as error:  # noqa: BLE001 - reported by the assertion below
        results.append(error)
    finally:
        connections.close_all()


def test_two_concurrent_payments_of_the_same_line_settle_it_once(django_db_setup: None, django_db_blocker: Any) -> None:
    from backend.billing import services
    from backend.billing.models import FeeAssignment, FeeItem, FeeStandard
    from backend.properties import services as registry
    from backend.properties.models import Building, Estate, ManagementOffice, Unit
    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        connection.set_tenant(tenant)
        office = registry.office_create(name=f"并发{tag}", scope=EVERYTHING)
        try:
            estate = registry.estate_create(office_id=office.pk, name="并发苑", scope=EVERYTHING)
            building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
            registry.units_generate(
                building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
            )
            unit = Unit.objects.get(building=building)
            item = services.fee_item_create(
                office=office,
                scope=EVERYTHING,
                code="g",
                name="垃圾费",
                category="garbage",
                method="fixed",
                cycle="monthly",
            )
            line = ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=1000, description="race")
            results: list = []
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=_pay_in_thread, args=(results, barrier, tenant, unit.pk, line.pk, n))
                for n in range(2)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            connection.set_tenant(tenant)
            assert all(isinstance(r, int) for r in results), results
            assert LedgerEntry.objects.filter(bill_line=line, kind="settle").count() == 1
            assert owed(line) == 0
            account = unit_account(unit.pk)
            assert (account.owed, account.prepaid) == (0, 1000)  # the second payment waits as credit
        finally:
            connection.set_tenant(tenant)
            units = Unit.objects.filter(office=office)
            forget_payments(units)
            LedgerEntry.objects.filter(unit__in=units).delete()
            Payment.objects.filter(unit__in=units).delete()
            BillLine.objects.filter(unit__in=units).delete()
            FeeAssignment.objects.filter(unit__in=units).delete()
            FeeStandard.objects.filter(fee_item__office=office).delete()
            FeeItem.objects.filter(office=office).delete()
            units.delete()
            Building.objects.filter(estate__office=office).delete()
            Estate.objects.filter(office=office).delete()
            office.delete()
            ManagementOffice.objects.filter(pk=office.pk).delete()
            connection.set_schema_to_public()
