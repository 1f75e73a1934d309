"""The ledger's bulk path (billing/ledger_bulk.py) gives what payment_record gives one payment at a time:
the same settlements in the company's order, the rest to the prepaid balance, a receipt each, idempotency
keys honoured, a closed day refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.billing import ledger
from backend.billing.ledger_bulk import PaymentIn, payments_record_bulk, prepaid_settle_bulk
from backend.billing.models import BillLine, LedgerEntry, Payment
from backend.billing.runs import bill_run_create, bill_run_execute
from backend.billing.selectors import unit_account
from backend.errors import ApplicationError
from backend.payments.dayclose import day_close
from backend.payments.models import Receipt

from .conftest import EVERYTHING, JAN, World

FEB = dt.date(2026, 2, 1)


def bill(*periods: dt.date) -> None:
    for period in periods:
        bill_run_execute(bill_run_create(period=period, scope=EVERYTHING, by=None).pk)


def entries(unit_id: int) -> list[tuple[str, int, Any]]:
    rows = LedgerEntry.objects.filter(unit_id=unit_id, kind__in=["payment", "prepayment", "settle"]).order_by("pk")
    return [
        (e.kind, e.amount, (e.bill_line.fee_item.code, e.bill_line.period_start) if e.bill_line else None)
        for e in rows.select_related("bill_line__fee_item")
    ]


def test_bulk_payments_settle_exactly_as_one_payment_after_another(world: World) -> None:
    bill(JAN, FEB)
    bulk_unit, one_by_one = world.units[0], world.units[1]  # same area, same bills
    amounts = [15_000, 30_000, 40_000]  # part of January, the rest and part of February, then prepaid
    when = timezone.now()
    result = payments_record_bulk(
        payments=[
            PaymentIn(unit_id=bulk_unit.pk, amount=a, method="cash", channel="counter", received_at=when)
            for a in amounts
        ],
        recorded_by=None,
    )
    for a in amounts:
        ledger.payment_record(unit=one_by_one, amount=a, method="cash", received_at=when)
    assert result.created == 3 and result.settled + result.to_prepaid == sum(amounts)
    assert entries(bulk_unit.pk) == entries(one_by_one.pk)
    assert unit_account(bulk_unit.pk) == unit_account(one_by_one.pk)
    lines = BillLine.objects.filter(unit=bulk_unit)
    assert {line.outstanding for line in lines} == {
        line.outstanding for line in BillLine.objects.filter(unit=one_by_one)
    }
    numbers = sorted(Receipt.objects.filter(payment__in=result.payments).values_list("sequence", flat=True))
    assert len(numbers) == 3 and numbers == list(range(numbers[0], numbers[0] + 3))


def test_an_idempotency_key_used_before_answers_that_payment_and_another_amount_is_a_conflict(world: World) -> None:
    bill(JAN)
    unit = world.units[0]
    first = ledger.payment_record(unit=unit, amount=1000, method="cash", idempotency_key="k-1").payment
    payment = PaymentIn(unit_id=unit.pk, amount=1000, method="cash", received_at=timezone.now(), idempotency_key="k-1")
    result = payments_record_bulk(payments=[payment], recorded_by=None)
    assert (result.created, result.replayed, result.payments, result.fresh) == (0, 1, [first], [False])
    assert Payment.objects.filter(unit=unit).count() == 1
    with pytest.raises(ApplicationError) as conflict:
        payments_record_bulk(
            payments=[PaymentIn(unit.pk, 999, "cash", timezone.now(), idempotency_key="k-1")], recorded_by=None
        )
    assert conflict.value.code == "idempotency_conflict"


def test_a_day_the_cashier_closed_refuses_the_whole_batch(world: World, member: Any, tenant_a: Any) -> None:
    from tenants.db import connection

    bill(JAN)
    cashier = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    closed = timezone.localdate() - dt.timedelta(days=1)
    day_close(cashier=cashier, day=closed, by=cashier)
    at = dt.datetime.combine(closed, dt.time(11), tzinfo=timezone.get_current_timezone())
    with pytest.raises(ApplicationError) as refused:
        payments_record_bulk(
            payments=[
                PaymentIn(world.units[0].pk, 1000, "cash", timezone.now()),
                PaymentIn(world.units[1].pk, 1000, "cash", at),
            ],
            recorded_by=cashier,
        )
    assert refused.value.code == "day_closed"
    assert not Payment.objects.filter(unit__in=world.units[:2]).exists()


def test_wrong_input_is_refused_before_anything_is_written(world: World) -> None:
    with pytest.raises(ApplicationError) as refused:
        payments_record_bulk(
            payments=[PaymentIn(world.units[0].pk, 0, "cash", timezone.now()), PaymentIn(1, 5, "gold", timezone.now())],
            recorded_by=None,
        )
    assert set(refused.value.fields) == {"amount", "method"}


def test_prepaid_balances_settle_in_bulk_as_unit_by_unit(world: World) -> None:
    """Two homes with the same bills and the same top-ups (an older and a newer one): one settled by
    prepaid_settle, the other by prepaid_settle_bulk (what a bill run uses); the same entries and balances."""
    bill(JAN, FEB)
    bulk_unit, one_by_one = world.units[0], world.units[1]
    tz = timezone.get_current_timezone()
    for unit in (bulk_unit, one_by_one):
        for amount, day in ((12_000, 1), (50_000, 20)):
            ledger.payment_record(
                unit=unit,
                amount=amount,
                method="cash",
                to_prepaid=True,
                received_at=dt.datetime(2026, 2, day, 10, tzinfo=tz),
            )
    settled = ledger.prepaid_settle(one_by_one.pk)
    assert settled > 12_000  # both top-ups were used
    assert prepaid_settle_bulk([bulk_unit.pk], today=timezone.localdate()) == settled
    assert entries(bulk_unit.pk) == entries(one_by_one.pk)
    assert unit_account(bulk_unit.pk) == unit_account(one_by_one.pk)
    assert prepaid_settle_bulk([bulk_unit.pk, one_by_one.pk]) == 0  # nothing left to settle
