"""Closures: one over live bookings cancels them with its reason, records what each is owed back (in full:
the company closed) and notifies the bookers; its cells are blocked so even a booking that raced past the
rules finds them closed; weekly closures refuse every occurrence, also beyond the window; lifting one
unblocks exactly what it blocked."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.audit.models import AuditEntry
from backend.club import booking as engine
from backend.club.cells import cells_take
from backend.club.closures import closure_create, closure_delete
from backend.club.errors import Full
from backend.club.models import Booking, BookingStatus, Closure, SlotCell
from backend.errors import ApplicationError
from backend.notifications.models import Notification

from .conftest import NOW, Club, at

pytestmark = pytest.mark.django_db


def book(world: Club, start: dt.datetime, *, facility=None, user=None, unit=None, minutes: int = 60) -> Booking:
    return engine.booking_create(
        facility=facility or world.gym,
        user=user or world.resident,
        unit=unit or world.home,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        now=NOW,
    )


def test_a_closure_over_bookings_cancels_them_records_the_refunds_due_and_notifies(world, member, tenant_a):
    admin = member(tenant_a, ["company_admin"])
    under_paid = book(world, at(2, "10:00"), facility=world.court)
    Booking.objects.filter(pk=under_paid.pk).update(status=BookingStatus.CONFIRMED, paid_at=NOW)
    under_free = book(world, at(2, "15:00"), user=world.neighbour, unit=world.units[1])
    outside = book(world, at(3, "10:00"))
    gym_closure, cancelled_gym = closure_create(
        facility=world.gym,
        by=admin,
        kind="one_off",
        reason="设备检修",
        starts_at=at(2, "06:00"),
        ends_at=at(3, "00:00"),
        now=NOW,
    )
    court_closure, cancelled_court = closure_create(
        facility=world.court,
        by=admin,
        kind="one_off",
        reason="设备检修",
        starts_at=at(2, "06:00"),
        ends_at=at(3, "00:00"),
        now=NOW,
    )
    assert [b.pk for b in cancelled_gym] == [under_free.pk] and [b.pk for b in cancelled_court] == [under_paid.pk]
    under_paid.refresh_from_db()
    under_free.refresh_from_db()
    outside.refresh_from_db()
    assert under_paid.status == under_free.status == BookingStatus.CANCELLED
    assert under_paid.refund_due_fen == 4000 + 10000 and under_free.refund_due_fen == 0
    assert under_paid.cancel_reason == "设备检修" and outside.status == BookingStatus.CONFIRMED
    assert Notification.objects.filter(recipient=world.resident, kind="club.facility_closed").count() == 1
    assert Notification.objects.filter(recipient=world.neighbour, kind="club.facility_closed").count() == 1
    # the closure's cells are blocked, and none of the cancelled places is held any more
    cells = SlotCell.objects.filter(facility=world.gym, starts_at__in=gym_closure.blocked_cells)
    assert len(gym_closure.blocked_cells) == 14 and {(c.blocks, c.taken) for c in cells} == {(1, 0)}
    entry = AuditEntry.objects.get(action="club.closure_create", object_id=str(court_closure.pk))
    assert entry.changes["cancelled"] == [under_paid.pk] and entry.changes["refund_due_fen"] == 14000


def test_nothing_is_bookable_in_a_closure_and_lifting_it_opens_the_cells_again(world):
    closure, _ = closure_create(
        facility=world.gym,
        by=None,
        kind="one_off",
        reason="消毒",
        starts_at=at(1, "09:00"),
        ends_at=at(1, "11:00"),
        now=NOW,
    )
    with pytest.raises(ApplicationError) as excinfo:
        book(world, at(1, "10:00"))
    assert "消毒" in excinfo.value.fields["starts_at"][0]
    assert book(world, at(1, "11:00")).status == "confirmed"
    closure_delete(closure=closure, by=None)
    assert not Closure.objects.filter(pk=closure.pk).exists()
    assert set(
        SlotCell.objects.filter(facility=world.gym, starts_at__in=[at(1, "09:00"), at(1, "10:00")]).values_list(
            "blocks", flat=True
        )
    ) == {0}
    assert book(world, at(1, "10:00")).status == "confirmed"


def test_a_blocked_cell_refuses_a_take_even_past_the_rules(world):
    closure_create(
        facility=world.gym,
        by=None,
        kind="one_off",
        reason="活动",
        starts_at=at(1, "10:00"),
        ends_at=at(1, "11:00"),
        now=NOW,
    )
    # what a booking that read the closures before this one committed would do next
    with pytest.raises(Full, match="closed"):
        cells_take(facility_id=world.gym.pk, capacity=2, cells=[at(1, "10:00")], places=1)


def test_a_weekly_closure_refuses_every_occurrence_even_beyond_the_window(world, member, tenant_a):
    clerk = member(tenant_a, ["customer_service"])
    monday_morning = {"weekday": 0, "start_minute": 6 * 60, "end_minute": 9 * 60, "first_date": NOW.date()}
    closure, _ = closure_create(
        facility=world.gym, by=clerk, kind="weekly", reason="周一保洁", now=NOW, **monday_morning
    )
    # today 08:00 (06:00 and 07:00 are over), and 06:00, 07:00, 08:00 on the two Mondays in the window
    assert len(closure.blocked_cells) == 1 + 3 + 3
    with pytest.raises(ApplicationError, match="Please correct"):
        book(world, at(7, "07:00"))  # next Monday
    assert book(world, at(8, "07:00")).status == "confirmed"  # Tuesday
    with pytest.raises(ApplicationError) as excinfo:  # staff are not bound by the window, the closure binds them
        engine.booking_create_by_staff(
            facility=world.gym, by=clerk, starts_at=at(28, "07:00"), ends_at=at(28, "08:00"), guest_name="访客", now=NOW
        )
    assert "周一保洁" in excinfo.value.fields["starts_at"][0]


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("one_off", {"starts_at": None, "ends_at": None}, "starts_at"),
        ("one_off", {"starts_at": "tomorrow", "ends_at": "later"}, "starts_at"),
        ("weekly", {"weekday": 7, "start_minute": 60, "end_minute": 120, "first_date": dt.date(2030, 3, 4)}, "weekday"),
        (
            "weekly",
            {"weekday": 1, "start_minute": 120, "end_minute": 60, "first_date": dt.date(2030, 3, 4)},
            "end_minute",
        ),
        ("sometimes", {}, "kind"),
    ],
)
def test_a_closure_with_bad_times_is_refused_on_its_field(world, kind, fields, field):
    with pytest.raises(ApplicationError) as excinfo:
        closure_create(facility=world.gym, by=None, kind=kind, reason="x", now=NOW, **fields)
    assert field in excinfo.value.fields


def test_a_closure_in_the_past_or_without_a_reason_is_refused(world):
    with pytest.raises(ApplicationError) as excinfo:
        closure_create(
            facility=world.gym,
            by=None,
            kind="one_off",
            reason="",
            starts_at=at(-2, "10:00"),
            ends_at=at(-1, "10:00"),
            now=NOW,
        )
    assert set(excinfo.value.fields) == {"reason", "ends_at"}
