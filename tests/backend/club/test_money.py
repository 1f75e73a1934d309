"""The money of club bookings: a held booking's fee and deposit on the home's ledger, paid online (localstripe)
or from prepaid money and then confirmed; holds that expire owe nothing and wait for a payment in flight;
charge to account; refunds on cancellation (before and after the cutoff, unpaid, online, closure) made once;
deposits released and forfeited. The court costs ¥40 an hour with a ¥100 deposit, cutoff 24 h, 50% late."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.billing import ledger
from backend.billing.models import BillingSettings, BillLine, Deposit, FeeItem, LedgerEntry, Payment, Sanction
from backend.billing.selectors import deposit_held, payment_refundable, unit_account
from backend.club import booking as engine
from backend.club.closures import closure_create
from backend.club.models import Booking, ClubSettings
from backend.club.money import booking_charge_to_account, booking_payable, held_bookings_confirm
from backend.club.refunds import (
    booking_deposit_forfeit,
    booking_deposit_release,
    booking_refund_settle,
    booking_refunds_sweep,
)
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.payments.models import OnlinePayment, Refund
from backend.payments.online import online_payment_confirm, online_payment_start
from tenants.db import connection
from tests.backend.payments.test_online import saved_card

from .conftest import NOW, Club, at

pytestmark = pytest.mark.django_db

FEE, DEPOSIT = 4000, 10000


def book_court(world: Club, *, start: dt.datetime | None = None, user: Any = None, unit: Any = None) -> Booking:
    start = start or at(1, "10:00")
    return engine.booking_create(
        facility=world.court,
        user=user or world.resident,
        unit=unit or world.home,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        now=NOW,
    )


def owed(line_id: int | None) -> int:
    return BillLine.objects.get(pk=line_id).outstanding


def prepaid(unit: Any) -> int:
    return unit_account(unit.pk).prepaid


def top_up(unit: Any, amount: int) -> Payment:
    return ledger.payment_record(unit=unit, amount=amount, method="cash", to_prepaid=True).payment


def fresh(booking: Booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


def cancel(booking: Booking, by: Any, now: dt.datetime, capture: Any) -> Booking:
    with capture(execute=True):
        engine.booking_cancel(booking=booking, by=by, now=now)
    return fresh(booking)


# --- paying a held booking ------------------------------------------------------------------------------------


def test_a_held_booking_has_its_fee_and_deposit_on_the_ledger_and_says_what_to_pay(world: Club) -> None:
    booking = book_court(world)
    assert booking.status == "held" and booking.hold_expires_at == NOW + dt.timedelta(minutes=15)
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (FEE, DEPOSIT)
    fee_item = FeeItem.objects.get(pk=booking.charge.fee_item_id)
    deposit_item = FeeItem.objects.get(pk=booking.deposit_charge.fee_item_id)
    assert (fee_item.code, fee_item.category, deposit_item.category) == ("club", "service", "deposit")
    pay = booking_payable(booking)
    assert pay["line_ids"] == [booking.charge_id, booking.deposit_charge_id]
    assert pay["amount_fen"] == FEE + DEPOSIT
    assert pay["pay_url"] == (
        f"/resident/pay/?unit={world.home.pk}&lines={booking.charge_id}&lines={booking.deposit_charge_id}"
    )
    # posting again (the sweep) charges nothing twice
    held_bookings_confirm(now=NOW)
    assert BillLine.objects.filter(unit=world.home).count() == 2


@pytest.mark.usefixtures("localstripe")
def test_a_held_booking_paid_online_is_confirmed_with_its_deposit_held(world: Club, localstripe: str) -> None:
    booking = book_court(world)
    op, created = online_payment_start(
        user=world.resident, unit=world.home, line_ids=booking_payable(booking)["line_ids"], idempotency_key="k1"
    )
    assert created and op.amount == FEE + DEPOSIT
    assert fresh(booking).status == "held"
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, world.resident))
    assert op.status == "succeeded"
    booking = fresh(booking)
    assert booking.status == "confirmed" and booking.paid_at is not None
    assert (booking.payment_id, booking.online_payment_id) == (op.payment_id, op.pk)
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (0, 0)
    deposit = Deposit.objects.get(pk=booking.deposit_id)
    assert (deposit.amount, deposit.method, deposit_held(deposit.pk)) == (DEPOSIT, "card", DEPOSIT)
    assert Notification.objects.filter(recipient=world.resident, kind="club.booking_confirmed").count() == 1


def test_prepaid_money_pays_a_booking_at_once(world: Club) -> None:
    top_up(world.home, 20000)
    booking = book_court(world)
    assert booking.status == "confirmed" and booking.paid_at == NOW
    assert prepaid(world.home) == 20000 - FEE - DEPOSIT
    assert booking.deposit is not None and deposit_held(booking.deposit_id) == DEPOSIT
    assert booking_payable(booking)["line_ids"] == []


def test_a_counter_payment_of_the_lines_confirms_the_booking_and_the_sweep_catches_a_later_prepaid(
    world: Club,
) -> None:
    booking = book_court(world)
    ledger.payment_record(
        unit=world.home, amount=FEE + DEPOSIT, method="cash", line_ids=[booking.charge_id, booking.deposit_charge_id]
    )
    assert fresh(booking).status == "confirmed"  # the payment hook, inside the payment's transaction
    other = book_court(world, start=at(2, "10:00"))
    top_up(world.home, FEE + DEPOSIT)  # a top-up settles nothing by itself …
    ledger.prepaid_settle(world.home.pk)  # … until a settlement runs, which calls no payment hook
    assert fresh(other).status == "held"
    assert held_bookings_confirm(now=NOW) == 1
    assert fresh(other).status == "confirmed"


# --- holds that expire ----------------------------------------------------------------------------------------


def test_an_expired_hold_frees_the_place_and_leaves_nothing_owed(world: Club) -> None:
    booking = book_court(world)
    assert engine.holds_expire(now=NOW + dt.timedelta(minutes=16)) == 1
    booking = fresh(booking)
    assert booking.status == "expired"
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (0, 0)
    account = unit_account(world.home.pk)
    assert (account.owed, account.prepaid) == (0, 0)
    correction = LedgerEntry.objects.filter(bill_line_id=booking.charge_id, kind="waiver").get()
    assert correction.waiver_kind == "correction" and correction.approved_by.email == "club-rules@system.invalid"
    assert not correction.approved_by.is_active and not correction.approved_by.has_usable_password()
    # the place is free again
    again = book_court(world, user=world.neighbour, unit=world.units[1])
    assert again.status == "held"


def test_a_hold_does_not_expire_while_its_online_payment_is_in_flight(world: Club) -> None:
    booking = book_court(world)
    OnlinePayment.objects.create(
        unit=world.home,
        user=world.resident,
        amount=FEE + DEPOSIT,
        line_ids=[booking.charge_id, booking.deposit_charge_id],
        status="requires_action",
        intent_id="pi_in_flight",
    )
    assert engine.holds_expire(now=NOW + dt.timedelta(minutes=16)) == 0
    assert fresh(booking).status == "held" and owed(booking.charge_id) == FEE
    # an abandoned 3-D Secure page does not hold the place for ever
    assert engine.holds_expire(now=NOW + dt.timedelta(minutes=15 + 31)) == 1
    assert fresh(booking).status == "expired"


# --- charge to my account -------------------------------------------------------------------------------------


def test_charge_to_account_is_refused_unless_the_company_allows_it(world: Club) -> None:
    booking = book_court(world)
    with pytest.raises(ApplicationError) as err:
        booking_charge_to_account(booking=booking, by=world.resident, now=NOW)
    assert err.value.code == "charge_to_account_off" and "pay_with" in err.value.fields
    assert fresh(booking).status == "held"


def test_charge_to_account_confirms_with_the_fee_left_on_the_bills(world: Club) -> None:
    ClubSettings.objects.update_or_create(singleton=True, defaults={"charge_to_account": True})
    booking = booking_charge_to_account(booking=book_court(world), by=world.resident, now=NOW)
    assert booking.status == "confirmed" and booking.charged_to_account_at == NOW and booking.payment_id is None
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (FEE, DEPOSIT)
    assert unit_account(world.home.pk).owed == FEE + DEPOSIT
    # expiry leaves a confirmed booking alone
    assert engine.holds_expire(now=NOW + dt.timedelta(hours=1)) == 0


def test_charge_to_account_is_refused_for_a_home_under_the_arrears_sanction(world: Club) -> None:
    ClubSettings.objects.update_or_create(singleton=True, defaults={"charge_to_account": True})
    booking = book_court(world)
    BillingSettings.objects.update_or_create(
        singleton=True, defaults={"sanctions": [Sanction.NO_PAID_BOOKING], "sanction_min_overdue_days": 30}
    )
    item = FeeItem.objects.get(pk=booking.charge.fee_item_id)
    ledger.adhoc_charge_post(
        unit=world.home, fee_item=item, amount=5000, description="old", due_date=NOW.date() - dt.timedelta(days=90)
    )
    with pytest.raises(ApplicationError) as err:
        booking_charge_to_account(booking=booking, by=world.resident, now=NOW)
    assert err.value.code == "arrears" and "unit" in err.value.fields
    assert fresh(booking).status == "held"


# --- refunds on cancellation ----------------------------------------------------------------------------------


def test_cancelling_before_the_cutoff_refunds_the_fee_and_the_deposit_in_full(
    world: Club, django_capture_on_commit_callbacks: Any
) -> None:
    top_up(world.home, 20000)
    booking = book_court(world)
    booking = cancel(booking, world.resident, NOW, django_capture_on_commit_callbacks)
    assert booking.refund_due_fen == FEE + DEPOSIT
    assert booking.refund_status == "done" and booking.refunded_at is not None
    assert prepaid(world.home) == 20000
    assert deposit_held(booking.deposit_id) == 0
    assert unit_account(world.home.pk).owed == 0


def test_cancelling_after_the_cutoff_refunds_the_late_percentage_of_the_fee_and_the_deposit(
    world: Club, django_capture_on_commit_callbacks: Any
) -> None:
    top_up(world.home, 20000)
    booking = book_court(world, start=at(1, "09:00"))
    booking = cancel(booking, world.resident, NOW + dt.timedelta(hours=2), django_capture_on_commit_callbacks)
    assert booking.refund_due_fen == FEE // 2 + DEPOSIT
    assert prepaid(world.home) == 20000 - FEE // 2
    assert BillLine.objects.get(pk=booking.charge_id).outstanding == 0  # the kept half stays paid


def test_cancelling_an_unpaid_hold_leaves_nothing_owed(world: Club, django_capture_on_commit_callbacks: Any) -> None:
    booking = cancel(book_court(world), world.resident, NOW, django_capture_on_commit_callbacks)
    assert booking.refund_due_fen == 0 and booking.refund_status == "done" and booking.refunded_at is None
    account = unit_account(world.home.pk)
    assert (account.owed, account.prepaid) == (0, 0)


def test_a_late_cancel_of_a_booking_on_account_leaves_the_late_fee_owed(
    world: Club, django_capture_on_commit_callbacks: Any
) -> None:
    ClubSettings.objects.update_or_create(singleton=True, defaults={"charge_to_account": True})
    booking = booking_charge_to_account(booking=book_court(world, start=at(1, "09:00")), by=world.resident, now=NOW)
    booking = cancel(booking, world.resident, NOW + dt.timedelta(hours=2), django_capture_on_commit_callbacks)
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (FEE // 2, 0)


def test_settling_a_refund_again_or_sweeping_refunds_nothing_twice(
    world: Club, django_capture_on_commit_callbacks: Any
) -> None:
    top_up(world.home, 20000)
    booking = cancel(book_court(world), world.resident, NOW, django_capture_on_commit_callbacks)
    entries = LedgerEntry.objects.count()
    booking_refund_settle(booking_id=booking.pk)
    booking_refunds_sweep(now=NOW + dt.timedelta(hours=1))
    assert LedgerEntry.objects.count() == entries and prepaid(world.home) == 20000
    with pytest.raises(ApplicationError) as err:
        engine.booking_cancel(booking=booking, by=world.resident, now=NOW)
    assert err.value.code == "invalid_state"


def test_the_sweep_settles_a_cancellation_whose_after_commit_call_never_ran(world: Club) -> None:
    top_up(world.home, 20000)
    booking = book_court(world)
    engine.booking_cancel(booking=booking, by=world.resident, now=NOW)  # on-commit callbacks not run
    assert fresh(booking).refund_status == "" and prepaid(world.home) == 20000 - FEE - DEPOSIT
    booking_refunds_sweep(now=NOW + dt.timedelta(minutes=5))
    assert fresh(booking).refund_status == "done" and prepaid(world.home) == 20000


@pytest.mark.usefixtures("localstripe")
def test_cancelling_a_booking_paid_online_refunds_the_card(
    world: Club, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    booking = book_court(world)
    op, _ = online_payment_start(user=world.resident, unit=world.home, line_ids=booking_payable(booking)["line_ids"])
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, world.resident))
    booking = cancel(fresh(booking), world.resident, NOW, django_capture_on_commit_callbacks)
    assert booking.refund_status == "done" and booking.refunded_at is not None
    refund = Refund.objects.get(payment_id=op.payment_id)
    assert (refund.amount, refund.status, refund.provider) == (FEE + DEPOSIT, "succeeded", "stripe")
    assert refund.provider_refund_id and booking.refund_ids == [refund.pk]
    payment = Payment.objects.get(pk=op.payment_id)
    assert payment_refundable(payment) == 0
    account = unit_account(world.home.pk)
    assert (account.owed, account.prepaid) == (0, 0)  # the line stays settled: the card got the money
    # again: nothing more goes to Stripe
    booking_refund_settle(booking_id=booking.pk)
    assert Refund.objects.filter(payment_id=op.payment_id).count() == 1


def test_a_closure_over_a_paid_booking_refunds_it(world: Club, django_capture_on_commit_callbacks: Any) -> None:
    top_up(world.home, 20000)
    booking = book_court(world)
    with django_capture_on_commit_callbacks(execute=True):
        _closure, cancelled = closure_create(
            facility=world.court,
            by=None,
            kind="one_off",
            reason="场地维修",
            starts_at=at(1, "08:00"),
            ends_at=at(1, "22:00"),
            now=NOW,
        )
    assert [b.pk for b in cancelled] == [booking.pk]
    booking = fresh(booking)
    assert booking.refund_due_fen == FEE + DEPOSIT and booking.refund_status == "done"
    assert prepaid(world.home) == 20000


# --- deposits --------------------------------------------------------------------------------------------------


def test_staff_release_a_deposit_after_use_and_cannot_release_it_twice(world: Club, member: Any, tenant_a: Any) -> None:
    top_up(world.home, 20000)
    booking = book_court(world)
    staff = member(tenant_a, ["company_admin"])
    connection.set_tenant(tenant_a)
    with pytest.raises(ApplicationError) as err:
        booking_deposit_release(booking=booking, by=staff, now=NOW)
    assert err.value.code == "not_used_yet"
    after = at(1, "11:30")
    booking_deposit_release(booking=booking, by=staff, now=after)
    assert deposit_held(booking.deposit_id) == 0
    assert prepaid(world.home) == 20000 - FEE
    assert LedgerEntry.objects.filter(deposit_id=booking.deposit_id, kind="deposit_refunded").count() == 1
    with pytest.raises(ApplicationError) as err:
        booking_deposit_release(booking=booking, by=staff, now=after)
    assert err.value.code == "settled"
    with pytest.raises(ApplicationError):
        booking_deposit_forfeit(booking=booking, by=staff, reason="损坏", now=after)


def test_staff_forfeit_a_deposit_with_a_reason(world: Club, member: Any, tenant_a: Any) -> None:
    top_up(world.home, 20000)
    booking = book_court(world)
    staff = member(tenant_a, ["company_admin"])
    connection.set_tenant(tenant_a)
    after = at(1, "11:30")
    with pytest.raises(ApplicationError) as err:
        booking_deposit_forfeit(booking=booking, by=staff, reason=" ", now=after)
    assert "reason" in err.value.fields
    booking_deposit_forfeit(booking=booking, by=staff, reason="球网损坏", now=after)
    assert deposit_held(booking.deposit_id) == 0
    forfeited = LedgerEntry.objects.get(deposit_id=booking.deposit_id, kind="deposit_forfeited")
    assert (forfeited.amount, forfeited.reason) == (DEPOSIT, "球网损坏")
    assert prepaid(world.home) == 20000 - FEE - DEPOSIT  # the company keeps it
