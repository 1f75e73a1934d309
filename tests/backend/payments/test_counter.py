"""The counter (收费窗口): finding a home by number, name or phone, and taking money for chosen lines with the
overpayment to the prepaid balance; non-cash methods need their slip or transfer reference."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from backend.billing.models import LedgerEntry, Payment
from backend.billing.selectors import payment_unallocated, unit_account
from backend.errors import ApplicationError
from backend.payments.counter import counter_collect, counter_find
from backend.payments.models import Receipt
from backend.properties.models import Unit

from .conftest import Home, move_in, owed


@pytest.fixture
def cashier(home: Home, tenant_a: Any, member: Any) -> Any:
    user = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    return user


def test_cash_for_chosen_lines_puts_the_overpayment_to_the_prepaid_balance(home: Home, cashier: Any) -> None:
    first, second, *rest = home.jan
    before = unit_account(home.unit.pk)
    payment = counter_collect(
        unit=home.unit,
        amount=owed(first) + 3000,
        method="cash",
        by=cashier,
        line_ids=[first.pk],
        payer_name=" 王业主 ",
    )
    assert owed(first) == 0 and owed(second) == second.amount  # only the chosen line
    assert (payment.channel, payment.method, payment.recorded_by, payment.payer_name) == (
        "counter",
        "cash",
        cashier,
        "王业主",
    )
    assert payment_unallocated(payment.pk) == 3000
    after = unit_account(home.unit.pk)
    assert after.prepaid == before.prepaid + 3000 and after.owed == before.owed - first.amount
    assert Receipt.objects.filter(payment=payment, status="valid").exists()


def test_a_top_up_settles_nothing(home: Home, cashier: Any) -> None:
    payment = counter_collect(unit=home.unit, amount=10000, method="cash", by=cashier, to_prepaid=True)
    assert not LedgerEntry.objects.filter(payment=payment, kind="settle").exists()
    assert all(owed(line) == line.amount for line in home.jan)
    assert unit_account(home.unit.pk).prepaid == 10000


@pytest.mark.parametrize("method", ["pos", "bank_transfer", "remote_transfer"])
def test_non_cash_methods_need_a_reference(home: Home, cashier: Any, method: str) -> None:
    with pytest.raises(ApplicationError) as err:
        counter_collect(unit=home.unit, amount=1000, method=method, by=cashier, reference="  ")
    assert list(err.value.fields) == ["reference"]
    assert not Payment.objects.exists() and not Receipt.objects.exists()
    payment = counter_collect(unit=home.unit, amount=1000, method=method, by=cashier, reference=" 2026-0042 ")
    assert payment.reference == "2026-0042"


def test_online_methods_cannot_be_taken_at_the_counter(home: Home, cashier: Any) -> None:
    with pytest.raises(ApplicationError) as err:
        counter_collect(unit=home.unit, amount=1000, method="card", by=cashier, reference="x")
    assert "method" in err.value.fields and not Payment.objects.exists()


def test_the_same_idempotency_key_records_once(home: Home, cashier: Any) -> None:
    one = counter_collect(unit=home.unit, amount=1000, method="cash", by=cashier, idempotency_key="counter-key-1")
    two = counter_collect(unit=home.unit, amount=1000, method="cash", by=cashier, idempotency_key="counter-key-1")
    assert one.pk == two.pk and Payment.objects.count() == 1 and Receipt.objects.count() == 1


def units() -> Any:
    return Unit.objects.all()


def test_find_by_unit_number_label_resident_name_and_phone(home: Home) -> None:
    unit = home.unit  # 1栋 101, 王业主 13811112222 lives there
    assert unit in counter_find(units(), unit.number)
    assert counter_find(units(), unit.label) == [unit]
    assert counter_find(units(), "王业主") == [unit]
    assert counter_find(units(), "1111-2222") == [unit]  # digits of the phone, as typed
    assert counter_find(units(), "") == [] and counter_find(units(), "没有这个人") == []


def test_find_skips_people_who_moved_out_and_units_outside_the_given_ones(home: Home) -> None:
    other = home.world.units[1]
    move_in(other, None, name="李租客", phone="13799998888")
    assert counter_find(units(), "李租客") == [other]
    from backend.properties.models import Occupancy

    Occupancy.objects.filter(unit=other).update(end_date="2026-01-31")
    assert counter_find(units(), "李租客") == []
    assert counter_find(units(), "王业主") == [home.unit]
    assert counter_find(Unit.objects.exclude(pk=home.unit.pk), "王业主") == []
