"""Services that date what they write take the business date as an argument (`today=`), so a replay or a
back-dated correction dates its entries without touching the clock; without it they use the company's
today."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from backend.billing import ledger
from backend.billing.models import BillLine, LedgerEntry
from backend.billing.runs import bill_run_create, bill_run_execute

from .conftest import EVERYTHING, JAN, World

DAY = dt.date(2026, 1, 3)  # not the day the test runs on


def test_a_bill_run_given_the_business_date_dates_its_charges_and_prepaid_settlements_with_it(world: World) -> None:
    unit = world.units[0]
    ledger.payment_record(unit=unit, amount=50_000, method="cash", to_prepaid=True)
    run = bill_run_execute(bill_run_create(period=JAN, scope=EVERYTHING, by=None).pk, today=DAY)
    charges = LedgerEntry.objects.filter(bill_line__bill_run=run, kind="charge")
    assert charges.exists() and set(charges.values_list("occurred_on", flat=True)) == {DAY}
    settled = LedgerEntry.objects.filter(unit=unit, kind="settle")
    assert settled.exists() and set(settled.values_list("occurred_on", flat=True)) == {DAY}
    assert timezone.localdate() != DAY


def test_a_payment_given_the_business_date_settles_on_it_and_without_it_on_today(world: World) -> None:
    bill_run_execute(bill_run_create(period=JAN, scope=EVERYTHING, by=None).pk)
    first, second = world.units[0], world.units[1]
    dated = ledger.payment_record(unit=first, amount=1000, method="cash", today=DAY).payment
    plain = ledger.payment_record(unit=second, amount=1000, method="cash").payment
    assert set(LedgerEntry.objects.filter(payment=dated, kind="settle").values_list("occurred_on", flat=True)) == {DAY}
    assert set(LedgerEntry.objects.filter(payment=plain, kind="settle").values_list("occurred_on", flat=True)) == {
        timezone.localdate()
    }


def test_a_one_off_charge_and_a_deposit_refund_given_the_business_date_carry_it(world: World, member: Any) -> None:
    unit = world.units[0]
    line = ledger.adhoc_charge_post(unit=unit, fee_item=world.garbage, amount=3000, description="清运", today=DAY)
    assert (line.period_start, line.due_date) == (DAY, DAY)
    assert LedgerEntry.objects.get(bill_line=line, kind="charge").occurred_on == DAY
    deposit = ledger.deposit_hold(unit=unit, amount=20_000, purpose="装修保证金", method="cash")
    (entry,) = ledger.deposit_release(deposit=deposit, refund=20_000, reason="验收合格", by=None, today=DAY)
    assert entry.occurred_on == DAY
    assert BillLine.objects.filter(pk=line.pk).exists()
