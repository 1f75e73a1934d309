"""Property-based tests of the ledger (hypothesis): whatever sequence of charges, payments, waivers, refunds
and prepaid settlements happens, the derived numbers stay true, and a bill run repeated equals one run."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.billing import ledger, runs
from backend.billing.models import BillLine, LedgerEntry, Payment
from backend.billing.selectors import (
    ledger_balance,
    lines_with_balances,
    outstanding_mismatches,
    payment_refunded,
    payment_unallocated,
    unit_account,
)
from backend.errors import ApplicationError
from backend.properties.models import Unit

from .conftest import EVERYTHING, World

_counter = itertools.count()

amounts = st.integers(min_value=1, max_value=50_000)
percent = st.integers(min_value=1, max_value=100)
op = st.one_of(
    st.tuples(st.just("charge"), amounts),
    st.tuples(st.just("pay_all"), amounts),
    st.tuples(st.just("pay_lines"), amounts, st.integers(min_value=0, max_value=7)),
    st.tuples(st.just("top_up"), amounts),
    st.tuples(st.just("waive"), percent, st.integers(min_value=0, max_value=7)),
    st.tuples(st.just("correct"), percent, st.integers(min_value=0, max_value=7)),
    st.tuples(st.just("refund"), percent, st.integers(min_value=0, max_value=7)),
    st.tuples(
        st.just("settle"),
    ),
    st.tuples(st.just("overpay_refund"), amounts),
)
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fresh_unit(world: World) -> Unit:
    n = next(_counter)
    return Unit.objects.create(
        building=world.building,
        estate=world.estate,
        office=world.office,
        number=f"P{n:04d}",
        floor=9,
        area="50",
    )


def snapshot(unit: Unit) -> list[tuple[Any, ...]]:
    return list(LedgerEntry.objects.filter(unit=unit).order_by("id").values_list("kind", "amount", "bill_line_id"))


def check_invariants(unit: Unit) -> None:
    account = unit_account(unit.pk)
    entries = LedgerEntry.objects.filter(unit=unit)
    # the balance is the signed sum of the entries, and equals what is owed minus the prepaid credit
    assert ledger_balance(unit.pk) == account.owed - account.prepaid
    assert account.prepaid >= 0
    lines = list(lines_with_balances(BillLine.objects.filter(unit=unit)))
    for line in lines:
        charged, waived, settled, owed = line.charged, line.waived, line.settled, line.owed  # type: ignore[attr-defined]
        assert 0 <= settled <= charged - waived, "a line is never settled beyond what it charged"
        assert 0 <= owed <= charged
        assert owed == charged - waived - settled
        assert line.outstanding == owed, "the column the database keeps is the ledger's own sum"
    assert account.owed == sum(line.owed for line in lines)  # type: ignore[attr-defined]
    # every fen received is on a line, back with the payer, or in the prepaid balance
    received = sum(e.amount for e in entries if e.kind in ("payment", "prepayment"))
    refunded = sum(e.amount for e in entries if e.kind == "refund")
    settled_total = sum(line.settled for line in lines)  # type: ignore[attr-defined]
    assert received - refunded == settled_total + account.prepaid
    for payment in Payment.objects.filter(unit=unit):
        assert 0 <= payment_refunded(payment.pk) <= payment.amount
        assert payment_unallocated(payment.pk) >= 0


def apply(step: tuple[Any, ...], unit: Unit, item: Any) -> None:
    kind = step[0]
    lines = list(BillLine.objects.filter(unit=unit).order_by("id"))
    payments = list(Payment.objects.filter(unit=unit).order_by("id"))
    if kind == "charge":
        ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=step[1], description="测试")
    elif kind == "pay_all":
        ledger.payment_record(unit=unit, amount=step[1], method="cash")
    elif kind == "pay_lines" and lines:
        line = lines[step[2] % len(lines)]
        ledger.payment_record(unit=unit, amount=step[1], method="pos", line_ids=[line.pk])
    elif kind == "top_up":
        ledger.payment_record(unit=unit, amount=step[1], method="bank_transfer", to_prepaid=True)
    elif kind in ("waive", "correct") and lines:
        line = lines_with_balances(BillLine.objects.filter(pk=lines[step[2] % len(lines)].pk)).get()
        limit = line.owed if kind == "waive" else line.charged - line.waived  # type: ignore[attr-defined]
        amount = max(1, limit * step[1] // 100)
        wk = LedgerEntry.WaiverKind.WAIVER if kind == "waive" else LedgerEntry.WaiverKind.CORRECTION
        from django.db import transaction

        approver = _approver()
        with transaction.atomic():
            ledger.waiver_post(line=line, amount=amount, reason="r", approved_by=approver, created_by=None, kind=wk)
    elif kind == "refund" and payments:
        payment = payments[step[2] % len(payments)]
        refundable = payment.amount - payment_refunded(payment.pk)
        ledger.refund_record(payment=payment, amount=max(1, refundable * step[1] // 100), reason="r", by=None)
    elif kind == "settle":
        ledger.prepaid_settle(unit.pk)
    elif kind == "overpay_refund" and payments:
        # always more than is refundable: must be refused
        payment = payments[-1]
        ledger.refund_record(payment=payment, amount=payment.amount + step[1], reason="r", by=None)


_approver_cache: list[Any] = []


def _approver() -> Any:
    return _approver_cache[0]


@pytest.fixture
def approver(world: World, member: Any, tenant_a: Any) -> Any:
    from django.db import connection

    user = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    _approver_cache[:] = [user]
    return user


@HYPOTHESIS
@given(steps=st.lists(op, min_size=1, max_size=14))
def test_any_sequence_keeps_the_ledger_true(world: World, approver: Any, steps: list[tuple[Any, ...]]) -> None:
    unit = fresh_unit(world)
    for step in steps:
        before = snapshot(unit)
        try:
            apply(step, unit, world.garbage)
        except ApplicationError:
            # a refused operation records nothing at all
            assert snapshot(unit) == before
        check_invariants(unit)


@HYPOTHESIS
@given(
    month=st.integers(min_value=1, max_value=12),
    repeats=st.integers(min_value=1, max_value=3),
    chunk=st.sampled_from([1, 3, 5, 5000]),
)
def test_running_a_bill_run_again_equals_running_it_once(
    world: World, month: int, repeats: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = dt.date(2026, month, 1)

    def lines() -> list[tuple[Any, ...]]:
        return list(
            BillLine.objects.filter(period_start=period)
            .order_by("unit_id", "fee_item_id")
            .values_list("unit_id", "fee_item_id", "amount", "due_date")
        )

    run = runs.bill_run_create(period=period, scope=EVERYTHING, by=None)
    runs.bill_run_execute(run.pk)
    once = lines()
    charges_once = LedgerEntry.objects.filter(kind="charge").count()
    monkeypatch.setattr(runs, "CHUNK_UNITS", chunk)
    for _ in range(repeats):
        again = runs.bill_run_create(period=period, scope=EVERYTHING, by=None)
        assert runs.bill_run_execute(again.pk).lines_created == 0
    assert lines() == once
    assert LedgerEntry.objects.filter(kind="charge").count() == charges_once
    # A bill run inserts its lines already outstanding (and its charges are not added again), the shared-meter
    # and re-runs aside: every line's column is still what the ledger derives.
    assert not outstanding_mismatches()
    assert len(once) == 16  # 8 units × (management + garbage); no water readings
