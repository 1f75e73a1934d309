"""The booking engine's rules, one behaviour per test: the window (horizon, minimum notice), the facility's
time (hours, breaks, grid, lengths), party size, who may book, quotas, the cutoff and refunds due, staff
bookings for guests, approval, holds that expire, the arrears block and suspensions."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.audit.models import AuditEntry
from backend.club import booking as engine
from backend.club import services as club
from backend.club.errors import Full, QuotaReached
from backend.club.models import Booking, BookingStatus, BookingSuspension, QuotaCounter, SlotCell
from backend.club.suspensions import suspension_after_no_show
from backend.errors import ApplicationError
from backend.notifications.models import Notification

from .conftest import EVERYTHING, NOW, Club, at

pytestmark = pytest.mark.django_db


def book(world: Club, start: dt.datetime, minutes: int = 60, *, facility=None, user=None, unit=None, party=1, now=NOW):
    return engine.booking_create(
        facility=facility or world.gym,
        user=user or world.resident,
        unit=unit or world.home,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        party_size=party,
        now=now,
    )


def taken(world: Club, start: dt.datetime, facility=None) -> int:
    cell = SlotCell.objects.filter(facility=facility or world.gym, starts_at=start).first()
    return cell.taken if cell else 0


def field_error(excinfo: pytest.ExceptionInfo, field: str) -> str:
    assert field in excinfo.value.fields, excinfo.value.fields
    return excinfo.value.fields[field][0]


# --- booking a free slot -----------------------------------------------------------------------------------


def test_a_resident_books_a_free_slot_confirmed_with_a_code_a_notification_and_an_audit_entry(world):
    booking = book(world, at(1, "10:00"))
    assert booking.status == BookingStatus.CONFIRMED and booking.price_fen == 0
    assert len(booking.code) >= 10 and booking.code.isalnum() and not set("01IOL") & set(booking.code)
    assert taken(world, at(1, "10:00")) == 1
    assert Notification.objects.filter(recipient=world.resident, kind="club.booking_confirmed").exists()
    assert AuditEntry.objects.filter(action="club.booking_create", object_id=str(booking.pk)).exists()


def test_a_party_takes_a_place_per_person_and_the_next_booking_finds_the_slot_full(world):
    book(world, at(1, "10:00"), party=2)
    assert taken(world, at(1, "10:00")) == 2
    with pytest.raises(Full) as excinfo:
        book(world, at(1, "10:00"), user=world.neighbour, unit=world.units[1])
    assert excinfo.value.code == "full" and excinfo.value.status == 409
    assert Booking.objects.filter(facility=world.gym).count() == 1


def test_a_court_is_taken_whole_whatever_the_party(world):
    book(world, at(1, "10:00"), facility=world.court, party=4)
    assert taken(world, at(1, "10:00"), world.court) == 1
    with pytest.raises(Full):
        book(world, at(1, "10:30"), facility=world.court, user=world.neighbour, unit=world.units[1])


def test_the_party_size_limit(world):
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:00"), party=3)
    assert "At most 2 people" in field_error(excinfo, "party_size")


# --- the window ---------------------------------------------------------------------------------------------


def test_the_horizon_takes_bookings_up_to_its_last_day_and_refuses_the_day_after(world):
    assert book(world, at(14, "21:00")).status == BookingStatus.CONFIRMED  # horizon 14 days
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(15, "06:00"))
    assert "14 days ahead" in field_error(excinfo, "starts_at")


def test_the_minimum_notice(world):
    club.facility_update(facility=world.gym, min_notice_minutes=120, now=NOW)
    world.gym.refresh_from_db()
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(0, "09:00"))
    assert "120 minutes ahead" in field_error(excinfo, "starts_at")
    assert book(world, at(0, "10:00")).status == BookingStatus.CONFIRMED


def test_the_past_is_not_bookable(world):
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(0, "07:00"))
    assert "passed" in field_error(excinfo, "starts_at")


# --- the facility's time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "field", "message"),
    [
        ("12:00", 60, "starts_at", "not open"),  # the break, 12:00–14:00
        ("11:30", 60, "starts_at", "not open"),  # runs into the break
        ("05:00", 60, "starts_at", "not open"),  # before opening
        ("10:30", 60, "starts_at", "60-minute grid"),  # slots start on the hour
        ("10:00", 120, "ends_at", "one slot"),  # slot mode: one slot
    ],
)
def test_a_booking_must_fit_the_opening_hours_and_the_slots(world, start, minutes, field, message):
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, start), minutes)
    assert message in field_error(excinfo, field)


@pytest.mark.parametrize(
    ("start", "minutes", "ok"),
    [("10:00", 60, True), ("10:30", 90, True), ("10:00", 120, True), ("10:00", 30, False), ("10:00", 150, False)],
)
def test_free_length_bookings_follow_the_minimum_maximum_and_step(world, start, minutes, ok):
    if ok:
        booking = book(world, at(1, start), minutes, facility=world.court)
        assert booking.price_fen == 4000 * minutes // 60 and booking.deposit_fen == 10000
    else:
        with pytest.raises(ApplicationError) as excinfo:
            book(world, at(1, start), minutes, facility=world.court)
        assert "60 to 120 minutes" in field_error(excinfo, "ends_at")


def test_a_free_length_booking_off_the_step_is_refused(world):
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:15"), 60, facility=world.court)
    assert "30-minute grid" in field_error(excinfo, "starts_at")


# --- who may book -------------------------------------------------------------------------------------------


def test_a_resident_books_only_for_a_home_they_live_in(world):
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:00"), user=world.neighbour, unit=world.home)
    assert "home you live in" in field_error(excinfo, "unit")


def test_homes_of_another_estate_may_book_only_when_the_facility_names_it(world):
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:00"), user=world.other_resident, unit=world.other_units[0])
    assert "this estate" in field_error(excinfo, "unit")
    club.facility_update(facility=world.gym, allowed_estate_ids=[world.estate.pk, world.other_estate.pk], now=NOW)
    world.gym.refresh_from_db()
    assert book(world, at(1, "10:00"), user=world.other_resident, unit=world.other_units[0]).status == "confirmed"


def test_the_allowed_roles(world):
    club.facility_update(facility=world.gym, allowed_roles=["tenant"], now=NOW)
    world.gym.refresh_from_db()
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:00"))  # an owner
    assert "owners, tenants or household members" in field_error(excinfo, "unit")


def test_an_inactive_facility_takes_no_bookings(world):
    club.facility_update(facility=world.gym, is_active=False, now=NOW)
    world.gym.refresh_from_db()
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:00"))
    assert "no bookings" in field_error(excinfo, "facility")


# --- quotas -------------------------------------------------------------------------------------------------


def test_a_daily_quota_refuses_the_second_booking_of_the_day_and_not_the_next_day(world):
    club.facility_update(facility=world.gym, quota_bookings_day=1, now=NOW)
    world.gym.refresh_from_db()
    book(world, at(1, "10:00"))
    with pytest.raises(QuotaReached) as excinfo:
        book(world, at(1, "15:00"))
    assert excinfo.value.code == "quota_reached" and "1 bookings" in excinfo.value.message
    assert taken(world, at(1, "15:00")) == 0  # the refused booking took no place
    assert book(world, at(2, "10:00")).status == "confirmed"
    # a neighbour's home has its own quota
    assert book(world, at(1, "15:00"), user=world.neighbour, unit=world.units[1]).status == "confirmed"


def test_a_weekly_quota_in_hours_counts_the_iso_week_of_the_start(world):
    club.facility_update(facility=world.court, quota_minutes_week=120, now=NOW)
    world.court.refresh_from_db()
    book(world, at(1, "10:00"), 90, facility=world.court)  # Tuesday
    with pytest.raises(QuotaReached, match="2 hours"):  # the message names the limit
        book(world, at(2, "10:00"), 60, facility=world.court)  # Wednesday: 150 minutes in the week
    assert book(world, at(7, "10:00"), 120, facility=world.court).status == "held"  # next Monday: a new week


def test_cancelling_gives_the_quota_back(world):
    club.facility_update(facility=world.gym, quota_bookings_week=1, now=NOW)
    world.gym.refresh_from_db()
    first = book(world, at(1, "10:00"))
    engine.booking_cancel(booking=first, by=world.resident, now=NOW)
    assert book(world, at(2, "10:00")).status == "confirmed"
    counter = QuotaCounter.objects.get(facility=world.gym, unit=world.home, period="week")
    assert (counter.bookings, counter.minutes) == (1, 60)


# --- cancelling: the cutoff and what is due back --------------------------------------------------------


def paid(booking: Booking) -> Booking:
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CONFIRMED, paid_at=NOW)
    booking.refresh_from_db()
    return booking


def test_cancelling_before_the_cutoff_is_due_the_fee_and_the_deposit_in_full(world):
    booking = paid(book(world, at(3, "10:00"), facility=world.court))
    cancelled = engine.booking_cancel(booking=booking, by=world.resident, now=at(2, "09:59"))
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.refund_due_fen == 4000 + 10000
    assert taken(world, at(3, "10:00"), world.court) == 0
    assert Notification.objects.filter(recipient=world.resident, kind="club.booking_cancelled").exists()


def test_cancelling_after_the_cutoff_is_due_the_late_percentage_of_the_fee_and_the_deposit(world):
    booking = paid(book(world, at(3, "10:00"), facility=world.court))
    cancelled = engine.booking_cancel(booking=booking, by=world.resident, now=at(2, "10:01"))
    assert cancelled.refund_due_fen == 4000 * 50 // 100 + 10000


def test_an_unpaid_booking_is_due_nothing_and_a_started_one_cannot_be_cancelled_by_the_resident(world):
    booking = book(world, at(1, "10:00"), facility=world.court)
    assert engine.booking_cancel(booking=booking, by=world.resident, now=NOW).refund_due_fen == 0
    started = book(world, at(1, "14:00"))
    with pytest.raises(ApplicationError) as excinfo:
        engine.booking_cancel(booking=started, by=world.resident, now=at(1, "14:10"))
    assert excinfo.value.code == "started"


def test_staff_cancel_with_a_reason_and_the_company_owes_everything_paid(world, member, tenant_a):
    clerk = member(tenant_a, ["customer_service"])
    booking = paid(book(world, at(1, "10:00"), facility=world.court))
    with pytest.raises(ApplicationError) as excinfo:
        engine.booking_cancel_by_staff(booking=booking, by=clerk, reason=" ", now=at(1, "09:00"))
    assert field_error(excinfo, "reason")
    cancelled = engine.booking_cancel_by_staff(booking=booking, by=clerk, reason="场地漏水", now=at(1, "09:00"))
    assert cancelled.refund_due_fen == 14000 and cancelled.cancel_reason == "场地漏水"
    with pytest.raises(ApplicationError) as excinfo:
        engine.booking_cancel_by_staff(booking=cancelled, by=clerk, reason="again", now=at(1, "09:00"))
    assert excinfo.value.code == "invalid_state"


# --- staff bookings for guests ------------------------------------------------------------------------------


def test_staff_book_a_walk_in_guest_at_the_guest_price_without_a_home_or_quota(world, member, tenant_a):
    clerk = member(tenant_a, ["customer_service"])
    club.facility_update(facility=world.court, quota_bookings_day=1, now=NOW)
    world.court.refresh_from_db()
    booking = engine.booking_create_by_staff(
        facility=world.court,
        by=clerk,
        starts_at=at(0, "09:00"),
        ends_at=at(0, "10:00"),
        guest_name="访客张三",
        now=at(0, "08:50"),
    )
    assert booking.status == BookingStatus.CONFIRMED and booking.unit is None and booking.price_fen == 6000
    assert booking.quota_periods == [] and booking.source == "staff"
    with pytest.raises(ApplicationError) as excinfo:
        engine.booking_create_by_staff(facility=world.court, by=clerk, starts_at=at(0, "11:00"), ends_at=at(0, "12:00"))
    assert field_error(excinfo, "guest_name")


# --- approval -----------------------------------------------------------------------------------------------


def test_a_booking_that_needs_approval_holds_its_place_until_approved_or_rejected(world, member, tenant_a):
    admin = member(tenant_a, ["company_admin"])
    club.facility_update(facility=world.gym, requires_approval=True, now=NOW)
    world.gym.refresh_from_db()
    pending = book(world, at(1, "10:00"), party=2)
    assert pending.status == BookingStatus.PENDING and taken(world, at(1, "10:00")) == 2
    approved = engine.booking_approve(booking=pending, by=admin, now=NOW)
    assert approved.status == BookingStatus.CONFIRMED and approved.approved_by == admin
    assert Notification.objects.filter(recipient=world.resident, kind="club.booking_approved").exists()
    other = book(world, at(2, "10:00"))
    rejected = engine.booking_reject(booking=other, by=admin, reason="当天有活动", now=NOW)
    assert rejected.status == BookingStatus.REJECTED and taken(world, at(2, "10:00")) == 0
    with pytest.raises(ApplicationError):
        engine.booking_approve(booking=rejected, by=admin, now=NOW)


def test_an_approved_paid_booking_is_held_for_payment_from_the_approval(world, member, tenant_a):
    admin = member(tenant_a, ["company_admin"])
    club.facility_update(facility=world.court, requires_approval=True, now=NOW)
    world.court.refresh_from_db()
    approved = engine.booking_approve(
        booking=book(world, at(1, "10:00"), facility=world.court), by=admin, now=at(0, "09:00")
    )
    assert approved.status == BookingStatus.HELD
    assert approved.hold_expires_at == at(0, "09:00") + dt.timedelta(minutes=world.court.hold_minutes)


# --- holds --------------------------------------------------------------------------------------------------


def test_a_hold_not_paid_in_time_expires_and_frees_the_place_for_the_next(world):
    held = book(world, at(1, "10:00"), facility=world.court)
    assert held.status == BookingStatus.HELD and held.hold_expires_at == NOW + dt.timedelta(minutes=15)
    with pytest.raises(Full):
        book(world, at(1, "10:00"), facility=world.court, user=world.neighbour, unit=world.units[1])
    assert engine.holds_expire(now=NOW + dt.timedelta(minutes=14)) == 0
    assert engine.holds_expire(now=NOW + dt.timedelta(minutes=15)) == 1
    held.refresh_from_db()
    assert held.status == BookingStatus.EXPIRED and taken(world, at(1, "10:00"), world.court) == 0
    later = NOW + dt.timedelta(minutes=16)
    assert book(world, at(1, "10:00"), facility=world.court, user=world.neighbour, unit=world.units[1], now=later)
    assert engine.holds_expire(now=later) == 0  # an expired hold is not expired twice


# --- the arrears block and suspensions ----------------------------------------------------------------------


def test_a_home_in_arrears_cannot_book_a_paid_facility_when_the_company_sanction_is_on(world):
    from backend.billing import ledger, services
    from backend.billing.models import BillingSettings

    item = services.fee_item_create(
        office=world.office,
        scope=EVERYTHING,
        code="g",
        name="垃圾费",
        category="garbage",
        method="fixed",
        cycle="monthly",
    )
    ledger.adhoc_charge_post(
        unit=world.home, fee_item=item, amount=1000, description="旧账", today=dt.date(2029, 12, 1)
    )
    assert book(world, at(1, "10:00"), facility=world.court).status == "held"  # the sanction is off
    BillingSettings.objects.update(sanctions=["no_paid_booking"])
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(2, "10:00"), facility=world.court)
    assert excinfo.value.code == "arrears" and "overdue fees" in field_error(excinfo, "unit")
    assert book(world, at(2, "10:00")).status == "confirmed"  # the gym is free: no block
    assert book(world, at(2, "10:00"), facility=world.court, user=world.neighbour, unit=world.units[1])


def test_a_suspended_home_cannot_book_until_the_suspension_ends(world):
    BookingSuspension.objects.create(unit=world.home, until=at(3, "00:00"), reason="3 次爽约")
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:00"))
    assert excinfo.value.code == "suspended" and "3 次爽约" in excinfo.value.message
    assert book(world, at(4, "10:00"), now=at(3, "00:00")).status == "confirmed"


def test_no_shows_suspend_a_home_only_when_the_facility_switches_the_rule_on(world):
    for n in range(3):
        b = book(world, at(1 + n, "10:00"))
        Booking.objects.filter(pk=b.pk).update(status=BookingStatus.NO_SHOW, no_show_at=at(1 + n, "10:20"))
    assert suspension_after_no_show(facility=world.gym, unit_id=world.home.pk, now=at(4, "09:00")) is None  # off
    club.facility_update(facility=world.gym, no_show_limit=3, no_show_suspend_days=7, now=NOW)
    world.gym.refresh_from_db()
    suspension = suspension_after_no_show(facility=world.gym, unit_id=world.home.pk, now=at(4, "09:00"))
    assert suspension is not None and suspension.until == at(11, "09:00")
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(5, "10:00"), now=at(4, "09:00"))
    assert excinfo.value.code == "suspended"
    # the rule counts 30 days back: a month later the old no-shows no longer count
    assert suspension_after_no_show(facility=world.gym, unit_id=world.home.pk, now=at(40, "09:00")) is None


# --- idempotency --------------------------------------------------------------------------------------------


def test_a_repeated_request_with_the_same_key_returns_the_same_booking(world):
    kwargs = dict(
        facility=world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=at(1, "10:00"),
        ends_at=at(1, "11:00"),
        now=NOW,
    )
    first = engine.booking_create(**kwargs, idempotency_key="k1")
    again = engine.booking_create(**kwargs, idempotency_key="k1")
    assert first.pk == again.pk and taken(world, at(1, "10:00")) == 1
    with pytest.raises(ApplicationError) as excinfo:
        engine.booking_create(
            **{**kwargs, "starts_at": at(1, "15:00"), "ends_at": at(1, "16:00")}, idempotency_key="k1"
        )
    assert excinfo.value.code == "idempotency_conflict"
