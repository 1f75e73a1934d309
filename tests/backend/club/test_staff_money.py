"""The money of what staff book: for a home, the fee and the deposit are lines on its ledger left owed on its
bills (as a charge to the account), so the cutoff, refunds, deposits and the report treat them as any paid
booking; for a walk-in guest, the desk records the payment (cash / POS / transfer), hands back the refund of a
cancellation and the deposit after use (or keeps it with a reason). Also: a staff series posts its weeks'
lines, lifting a suspension and the club settings are audited. The court: ¥40 an hour resident, ¥60 guest,
¥100 deposit, cutoff 24 h, 50% late."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.billing import ledger
from backend.billing.models import BillLine
from backend.billing.selectors import deposit_held, unit_account
from backend.club import booking as engine
from backend.club import series as series_service
from backend.club.club_settings import club_settings_update
from backend.club.desk import booking_guest_paid
from backend.club.models import Booking, BookingSuspension, ClubSettings
from backend.club.refunds import booking_deposit_forfeit, booking_deposit_release
from backend.club.reports import ReportQuery, club_report
from backend.club.suspensions import suspension_check, suspension_lift
from backend.errors import ApplicationError
from tenants.db import connection

from .conftest import EVERYTHING, NOW, Club, at

pytestmark = pytest.mark.django_db

FEE, GUEST_FEE, DEPOSIT = 4000, 6000, 10000


@pytest.fixture
def clerk(world: Club, member: Any, tenant_a: Any) -> Any:
    user = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    return user


def staff_book(
    world: Club, clerk: Any, *, unit: Any = None, guest: str = "", start: dt.datetime | None = None
) -> Booking:
    start = start or at(1, "10:00")
    return engine.booking_create_by_staff(
        facility=world.court,
        by=clerk,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        unit=unit,
        guest_name=guest,
        now=NOW,
    )


def owed(line_id: int | None) -> int:
    return BillLine.objects.get(pk=line_id).outstanding


def fresh(booking: Booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


def audited(action: str, booking: Any) -> AuditEntry:
    return AuditEntry.objects.get(action=action, object_id=str(booking.pk))


# --- a home's booking by staff: on the home's bills -----------------------------------------------------------


def test_a_staff_booking_for_a_home_puts_its_fee_and_deposit_on_the_homes_bills_owed(world: Club, clerk: Any) -> None:
    booking = staff_book(world, clerk, unit=world.home)
    assert booking.status == "confirmed" and booking.source == "staff"
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (FEE, DEPOSIT)
    assert booking.paid_at == NOW and booking.charged_to_account_at == NOW and booking.deposit_id is None
    assert unit_account(world.home.pk).owed == FEE + DEPOSIT
    entry = audited("club.booking_staff_on_account", booking)
    assert entry.changes["owed"] is True and entry.changes["fen"] == FEE + DEPOSIT
    # Counted as the home's fees, like any bill.
    line = BillLine.objects.get(pk=booking.charge_id)
    assert line.unit_id == world.home.pk and line.fee_item.code == "club"


def test_prepaid_money_pays_a_staff_booking_at_once_and_its_deposit_is_held(world: Club, clerk: Any) -> None:
    ledger.payment_record(unit=world.home, amount=20000, method="cash", to_prepaid=True)
    booking = staff_book(world, clerk, unit=world.home)
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (0, 0)
    assert booking.paid_at == NOW and booking.charged_to_account_at is None and booking.payment_id is not None
    assert deposit_held(booking.deposit_id) == DEPOSIT


def test_a_free_staff_booking_posts_nothing(world: Club, clerk: Any) -> None:
    start = at(1, "10:00")
    booking = engine.booking_create_by_staff(
        facility=world.gym, by=clerk, starts_at=start, ends_at=start + dt.timedelta(hours=1), unit=world.home, now=NOW
    )
    assert booking.charge_id is None and booking.deposit_charge_id is None and booking.paid_at is None
    assert unit_account(world.home.pk).owed == 0


def test_cancelling_a_staff_booking_leaves_nothing_owed(
    world: Club, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booking = staff_book(world, clerk, unit=world.home)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel_by_staff(booking=booking, by=clerk, reason="场地维修", now=NOW)
    booking = fresh(booking)
    assert booking.refund_due_fen == FEE + DEPOSIT and booking.refund_status == "done"
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (0, 0)
    assert unit_account(world.home.pk).owed == 0


def test_the_cutoff_applies_when_the_resident_cancels_a_staff_booking_late(
    world: Club, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booking = staff_book(world, clerk, unit=world.home, start=at(1, "09:00"))
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel(booking=booking, by=world.resident, now=NOW + dt.timedelta(hours=2))
    booking = fresh(booking)
    assert booking.refund_due_fen == FEE // 2 + DEPOSIT
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (FEE // 2, 0)  # the late half stays owed


def test_a_deposit_left_owed_is_released_after_use_and_cannot_be_forfeited(world: Club, clerk: Any) -> None:
    booking = staff_book(world, clerk, unit=world.home)
    with pytest.raises(ApplicationError) as err:
        booking_deposit_forfeit(booking=booking, by=clerk, reason="损坏", now=at(1, "11:30"))
    assert err.value.code == "not_paid"
    booking_deposit_release(booking=booking, by=clerk, reason="", now=at(1, "11:30"))
    assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (FEE, 0)
    with pytest.raises(ApplicationError) as err:
        booking_deposit_release(booking=booking, by=clerk, now=at(1, "11:30"))
    assert err.value.code == "settled"


def test_a_staff_series_for_a_home_posts_each_weeks_lines(world: Club, clerk: Any) -> None:
    result = series_service.series_create(
        facility=world.court,
        by=clerk,
        starts_at=at(1, "10:00"),
        ends_at=at(1, "11:00"),
        as_staff=True,
        unit=world.home,
        last_date=(at(1, "10:00") + dt.timedelta(days=7)).date(),
        now=NOW,
    )
    assert len(result.booked) == 2
    for booking in result.booked:
        assert booking.status == "confirmed" and booking.paid_at is not None
        assert (owed(booking.charge_id), owed(booking.deposit_charge_id)) == (FEE, DEPOSIT)
    assert unit_account(world.home.pk).owed == 2 * (FEE + DEPOSIT)


# --- a guest pays at the desk ---------------------------------------------------------------------------------


def test_a_guest_pays_at_the_desk_once_and_the_report_counts_it(world: Club, clerk: Any) -> None:
    booking = staff_book(world, clerk, guest="访客张三")
    assert booking.paid_at is None and booking.price_fen == GUEST_FEE and booking.charge_id is None
    with pytest.raises(ApplicationError) as err:
        booking_guest_paid(booking=booking, method="bitcoin", by=clerk, now=NOW)
    assert "method" in err.value.fields
    paid = booking_guest_paid(booking=booking, method="pos", by=clerk, now=NOW)
    assert (paid.paid_at, paid.desk_method, paid.desk_paid_by_id) == (NOW, "pos", clerk.pk)
    entry = audited("club.booking_guest_paid", booking)
    assert entry.changes == {"method": "pos", "fen": GUEST_FEE + DEPOSIT, "price_fen": GUEST_FEE}
    with pytest.raises(ApplicationError) as err:
        booking_guest_paid(booking=booking, method="cash", by=clerk, now=NOW)
    assert err.value.code == "paid"
    report = club_report(scope=EVERYTHING, query=ReportQuery(first_month=NOW.date().replace(day=1), months=1), now=NOW)
    assert report.total.fees == GUEST_FEE


def test_a_homes_booking_or_a_free_one_is_not_paid_at_the_desk(world: Club, clerk: Any) -> None:
    home = staff_book(world, clerk, unit=world.home)
    with pytest.raises(ApplicationError) as err:
        booking_guest_paid(booking=home, method="cash", by=clerk, now=NOW)
    assert err.value.code == "not_a_guest"
    start = at(1, "10:00")
    free = engine.booking_create_by_staff(
        facility=world.gym, by=clerk, starts_at=start, ends_at=start + dt.timedelta(hours=1), guest_name="访客", now=NOW
    )
    with pytest.raises(ApplicationError) as err:
        booking_guest_paid(booking=free, method="cash", by=clerk, now=NOW)
    assert err.value.code == "free"


def test_a_paid_guest_cancelled_is_owed_everything_back_at_the_desk(
    world: Club, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booking = booking_guest_paid(booking=staff_book(world, clerk, guest="访客"), method="cash", by=clerk, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel_by_staff(booking=booking, by=clerk, reason="客人改期", now=NOW)
    booking = fresh(booking)
    assert booking.refund_due_fen == GUEST_FEE + DEPOSIT
    assert booking.refund_status == "done" and booking.refunded_at is not None
    entry = audited("club.booking_refund_desk", booking)
    assert entry.changes == {"refund_due_fen": GUEST_FEE + DEPOSIT, "method": "cash"}


def test_an_unpaid_guest_cancelled_is_owed_nothing(
    world: Club, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booking = staff_book(world, clerk, guest="访客")
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel_by_staff(booking=booking, by=clerk, reason="客人改期", now=NOW)
    booking = fresh(booking)
    assert booking.refund_due_fen == 0 and booking.refunded_at is None
    assert not AuditEntry.objects.filter(action="club.booking_refund_desk", object_id=str(booking.pk)).exists()


def test_a_guests_deposit_is_handed_back_or_kept_after_the_booking(world: Club, clerk: Any) -> None:
    first = booking_guest_paid(booking=staff_book(world, clerk, guest="访客甲"), method="cash", by=clerk, now=NOW)
    with pytest.raises(ApplicationError) as err:
        booking_deposit_release(booking=first, by=clerk, now=NOW)
    assert err.value.code == "not_used_yet"
    released = booking_deposit_release(booking=first, by=clerk, now=at(1, "11:30"))
    assert released.desk_deposit == "released" and released.desk_deposit_at == at(1, "11:30")
    with pytest.raises(ApplicationError) as err:
        booking_deposit_forfeit(booking=first, by=clerk, reason="损坏", now=at(1, "11:30"))
    assert err.value.code == "settled"
    second = staff_book(world, clerk, guest="访客乙", start=at(1, "14:00"))
    with pytest.raises(ApplicationError) as err:
        booking_deposit_forfeit(booking=second, by=clerk, reason="损坏", now=at(1, "15:30"))
    assert err.value.code == "not_paid"
    booking_guest_paid(booking=second, method="bank_transfer", by=clerk, now=NOW)
    kept = booking_deposit_forfeit(booking=second, by=clerk, reason="球拍损坏", now=at(1, "15:30"))
    assert (kept.desk_deposit, kept.desk_deposit_reason) == ("forfeited", "球拍损坏")
    assert audited("club.deposit_forfeit", second).changes["at_desk"] is True


# --- suspensions and settings ---------------------------------------------------------------------------------


def test_staff_lift_a_suspension_with_a_reason_once(world: Club, clerk: Any) -> None:
    suspension = BookingSuspension.objects.create(unit=world.home, until=NOW + dt.timedelta(days=7), reason="爽约3次")
    with pytest.raises(ApplicationError):
        suspension_check(unit_id=world.home.pk, now=NOW)
    lifted = suspension_lift(suspension=suspension, now=NOW, by=clerk, reason="业主说明情况")
    assert (lifted.lifted_at, lifted.lifted_by_id, lifted.lift_reason) == (NOW, clerk.pk, "业主说明情况")
    suspension_check(unit_id=world.home.pk, now=NOW)  # may book again
    entry = AuditEntry.objects.get(action="club.suspension_lift", object_id=str(suspension.pk))
    assert entry.changes["reason"] == "业主说明情况"
    with pytest.raises(ApplicationError) as err:
        suspension_lift(suspension=suspension, now=NOW, by=clerk)
    assert err.value.code == "invalid_state"


def test_the_club_settings_change_through_the_service_audited(world: Club) -> None:
    assert ClubSettings.load().charge_to_account is False
    assert club_settings_update(charge_to_account=True).charge_to_account is True
    assert ClubSettings.load().charge_to_account is True
    entry = AuditEntry.objects.get(action="club.settings_update")
    assert entry.changes == {"charge_to_account": [False, True]}
    club_settings_update(charge_to_account=True)  # no change, no entry
    assert AuditEntry.objects.filter(action="club.settings_update").count() == 1
    with pytest.raises(ApplicationError):
        club_settings_update(charge_to_account="yes")  # type: ignore[arg-type]
