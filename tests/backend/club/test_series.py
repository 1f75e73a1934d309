"""Weekly series: booked week by week through the horizon with a closed week skipped and reported, extended as
the horizon moves (once per week), ending cancels the rest, cancelling one occurrence leaves the others; who
may set one up; and the reminder an hour before, sent once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.club import booking as engine
from backend.club import reminders, series
from backend.club.closures import closure_create
from backend.club.models import Booking, BookingSeries, BookingStatus
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.properties.models import Occupancy

from .conftest import NOW, Club, at

pytestmark = pytest.mark.django_db


def staff_series(world: Club, **kw: Any) -> series.SeriesResult:
    values = {
        "facility": world.gym,
        "by": world.resident,
        "starts_at": at(1, "10:00"),
        "ends_at": at(1, "11:00"),
        "as_staff": True,
        "unit": world.home,
        "now": NOW,
        **kw,
    }
    return series.series_create(**values)


def days_of(bookings: Any) -> list[str]:
    return [f"{b.starts_at.astimezone(NOW.tzinfo):%m-%d %H:%M}" for b in bookings]


def test_a_series_books_each_week_of_the_horizon_and_skips_a_closed_week(world: Club):
    world.gym.horizon_days = 28  # NOW is 03-04: the horizon's last day is 04-01
    world.gym.save(update_fields=["horizon_days"])
    closure_create(
        facility=world.gym,
        by=None,
        kind="one_off",
        reason="泳池检修",
        starts_at=at(8, "09:00"),
        ends_at=at(8, "12:00"),
        now=NOW,
    )
    result = staff_series(world)
    assert days_of(result.booked) == ["03-05 10:00", "03-19 10:00", "03-26 10:00"]
    assert [(f"{d:%m-%d}", "泳池检修" in why) for d, why in result.skipped] == [("03-12", True)]
    assert {b.status for b in result.booked} == {BookingStatus.CONFIRMED}
    assert {(b.source, b.series_id, b.unit_id) for b in result.booked} == {("series", result.series.pk, world.home.pk)}
    s = result.series
    assert (s.weekday, s.start_minute, s.minutes, s.booked_through) == (1, 600, 60, dt.date(2030, 3, 26))
    # a week later the horizon reaches 04-08: one more week, once; the skipped week is not tried again
    assert series.series_extend(now=NOW + dt.timedelta(days=7)) == 1
    assert series.series_extend(now=NOW + dt.timedelta(days=7)) == 0
    assert days_of(Booking.objects.filter(series=s))[-1] == "04-02 10:00"
    assert Booking.objects.filter(series=s).count() == 4


def test_a_full_week_is_skipped_not_fatal(world: Club):
    engine.booking_create(
        facility=world.gym,
        user=world.neighbour,
        unit=world.units[1],
        starts_at=at(8, "10:00"),
        ends_at=at(8, "11:00"),
        party_size=2,
        now=NOW,
    )
    result = staff_series(world)
    assert days_of(result.booked) == ["03-05 10:00"]
    assert [f"{d:%m-%d}" for d, _ in result.skipped] == ["03-12"]


def test_cancelling_one_occurrence_leaves_the_rest_and_ending_cancels_the_future(world: Club):
    result = staff_series(world)
    first, second = result.booked
    engine.booking_cancel_by_staff(booking=first, by=world.resident, reason="这周不来", now=NOW)
    second.refresh_from_db()
    assert second.status == BookingStatus.CONFIRMED
    assert series.series_end(series=result.series, by=world.resident, as_staff=True, now=NOW) == 1
    second.refresh_from_db()
    result.series.refresh_from_db()
    assert second.status == BookingStatus.CANCELLED and second.cancel_reason
    assert result.series.status == BookingSeries.Status.ENDED
    assert series.series_extend(now=NOW + dt.timedelta(days=14)) == 0  # an ended series books nothing
    with pytest.raises(ApplicationError):
        series.series_end(series=result.series, by=world.resident, as_staff=True, now=NOW)


def test_staff_series_for_a_guest_at_the_guest_price(world: Club):
    result = staff_series(
        world,
        facility=world.court,
        unit=None,
        guest_name="网球教练",
        starts_at=at(1, "10:00"),
        ends_at=at(1, "11:30"),
    )
    assert {(b.guest_name, b.price_fen, b.status) for b in result.booked} == {("网球教练", 9000, "confirmed")}


def test_who_may_set_up_a_series(world: Club):
    def as_resident(facility: Any) -> series.SeriesResult:
        return series.series_create(
            facility=facility,
            by=world.resident,
            unit=world.home,
            starts_at=at(1, "10:00"),
            ends_at=at(1, "11:00"),
            as_staff=False,
            now=NOW,
        )

    with pytest.raises(ApplicationError) as caught:
        as_resident(world.gym)
    assert caught.value.status == 403
    world.gym.residents_may_recur = True
    world.gym.save(update_fields=["residents_may_recur"])
    mine = as_resident(world.gym)
    assert mine.series.user_id == world.resident.pk and len(mine.booked) == 2
    assert {b.user_id for b in mine.booked} == {world.resident.pk}
    # moved out: the weeks that come into the horizon are skipped, not booked
    Occupancy.objects.filter(unit=world.home, person__user=world.resident).update(end_date=dt.date(2030, 3, 4))
    assert series.series_extend(now=NOW + dt.timedelta(days=7)) == 0
    mine.series.refresh_from_db()
    assert mine.series.booked_through == dt.date(2030, 3, 19)
    world.court.residents_may_recur = True
    world.court.save(update_fields=["residents_may_recur"])
    with pytest.raises(ApplicationError) as caught:  # paid: staff set it up
        as_resident(world.court)
    assert caught.value.code == "no_series"
    with pytest.raises(ApplicationError) as caught:  # off the grid is a field error, not a skipped week
        staff_series(world, starts_at=at(1, "10:15"), ends_at=at(1, "11:15"))
    assert "starts_at" in caught.value.fields


def test_the_reminder_goes_out_once_an_hour_before(world: Club):
    soon, later = (
        engine.booking_create(
            facility=world.gym,
            user=world.resident,
            unit=world.home,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            now=NOW,
        )
        for start in (at(1, "10:00"), at(1, "11:00"))
    )
    assert reminders.reminders_send(now=at(1, "08:59")) == 0
    assert reminders.reminders_send(now=at(1, "09:05")) == 1
    assert reminders.reminders_send(now=at(1, "09:10")) == 0
    notes = Notification.objects.filter(recipient=world.resident, kind="club.booking_reminder")
    assert notes.count() == 1 and soon.code in notes.get().body
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminded_at == at(1, "09:05") and later.reminded_at is None
    assert reminders.reminders_send(now=at(1, "10:01")) == 1  # the 11:00 one, once
    assert notes.count() == 2
