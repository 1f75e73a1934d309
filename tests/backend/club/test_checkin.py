"""Check-in by code (the window's edges, and each clear refusal), the no-show sweep releasing places, and the
suspension after the facility's no-show limit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.club import booking as engine
from backend.club import checkin
from backend.club.models import Booking, BookingStatus, BookingSuspension, SlotCell
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.properties.scope import Scope

from .conftest import EVERYTHING, NOW, Club, at

pytestmark = pytest.mark.django_db


def book(world: Club, start: dt.datetime, facility: Any = None) -> Booking:
    return engine.booking_create(
        facility=facility or world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        now=NOW,
    )


@pytest.fixture
def guard(world: Club, member: Any, in_tenant_a: Any) -> Any:
    from tenants.db import connection

    user = member(in_tenant_a, ["security"])
    connection.set_tenant(in_tenant_a)
    return user


def check_in(booking_or_code: Any, guard: Any, now: dt.datetime, scope: Scope = EVERYTHING) -> Booking:
    code = booking_or_code if isinstance(booking_or_code, str) else booking_or_code.code
    return checkin.booking_check_in(code=code, by=guard, scope=scope, now=now)


def refusal(booking_or_code: Any, guard: Any, now: dt.datetime, scope: Scope = EVERYTHING) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        check_in(booking_or_code, guard, now, scope)
    return caught.value


def test_check_in_opens_30_minutes_before_and_closes_after_the_grace(world: Club, guard: Any):
    booking = book(world, at(0, "10:00"))
    early = refusal(booking, guard, at(0, "09:29"))
    assert (early.code, early.status) == ("too_early", 409) and "09:30" in early.message
    late = refusal(booking, guard, at(0, "10:15") + dt.timedelta(seconds=1))
    assert late.code == "too_late" and "10:15" in late.message
    done = check_in(booking, guard, at(0, "09:30"))
    assert done.status == BookingStatus.CHECKED_IN and done.checked_in_by_id == guard.pk
    assert done.checked_in_at == at(0, "09:30")
    assert Notification.objects.filter(recipient=world.resident, kind="club.checked_in").exists()
    again = refusal(booking, guard, at(0, "09:40"))
    assert again.code == "already_checked_in" and "09:30" in again.message
    other = book(world, at(0, "11:00"))
    assert check_in(other, guard, at(0, "11:15")).status == BookingStatus.CHECKED_IN  # the last moment


def test_typed_codes_may_use_lower_case_spaces_and_dashes(world: Club, guard: Any):
    booking = book(world, at(0, "10:00"))
    typed = f"{booking.code[:4].lower()}-{booking.code[4:8]} {booking.code[8:]}"
    assert check_in(typed, guard, at(0, "10:00")).pk == booking.pk


def test_check_in_refusals_say_why(world: Club, guard: Any):
    tomorrow = book(world, at(1, "10:00"))
    wrong_day = refusal(tomorrow, guard, at(0, "10:00"))
    assert wrong_day.code == "wrong_day" and "2030-03-05" in wrong_day.message
    cancelled = book(world, at(0, "15:00"))
    engine.booking_cancel(booking=cancelled, by=world.resident, now=NOW)
    assert refusal(cancelled, guard, at(0, "15:00")).code == "not_live"
    held = book(world, at(0, "16:00"), facility=world.court)  # a paid booking not paid yet
    assert refusal(held, guard, at(0, "16:00")).code == "not_confirmed"
    assert refusal("ABCDEFGHJKMN", guard, at(0, "10:00")).status == 404
    assert refusal("ABC", guard, at(0, "10:00")).status == 400
    # security of the other office's estates may not check in this estate's bookings
    today = book(world, at(0, "10:00"))
    elsewhere = Scope(all_offices=False, office_ids=frozenset({world.other_office.pk}))
    outside = refusal(today, guard, at(0, "10:00"), scope=elsewhere)
    assert (outside.code, outside.status) == ("out_of_scope", 403)
    today.refresh_from_db()
    assert today.status == BookingStatus.CONFIRMED


def test_the_sweep_marks_no_shows_after_the_grace_and_releases_their_places(world: Club, guard: Any):
    missed, kept = book(world, at(0, "10:00")), book(world, at(0, "14:00"))
    check_in(kept, guard, at(0, "14:00"))
    assert checkin.no_shows_mark(now=at(0, "10:15")) == 0  # still within the grace
    assert checkin.no_shows_mark(now=at(0, "10:16")) == 1
    missed.refresh_from_db()
    assert missed.status == BookingStatus.NO_SHOW and missed.no_show_at == at(0, "10:16")
    assert SlotCell.objects.get(facility=world.gym, starts_at=at(0, "10:00")).taken == 0
    assert Notification.objects.filter(recipient=world.resident, kind="club.no_show").count() == 1
    assert checkin.no_shows_mark(now=at(0, "16:00")) == 0  # the checked-in one is not a no-show
    kept.refresh_from_db()
    assert kept.status == BookingStatus.CHECKED_IN
    assert refusal(missed, guard, at(0, "10:20")).code == "no_show"


def test_a_free_length_no_show_releases_the_cells_not_yet_over(world: Club):
    court = world.court
    booking = engine.booking_create_by_staff(
        facility=court,
        by=world.resident,
        unit=world.home,
        starts_at=at(0, "10:00"),
        ends_at=at(0, "12:00"),
        now=NOW,
    )
    assert checkin.no_shows_mark(now=at(0, "10:31")) == 1
    booking.refresh_from_db()
    cells = dict(SlotCell.objects.filter(facility=court).values_list("starts_at", "taken"))
    assert cells[at(0, "10:00")] == 1  # over: stays taken
    assert {cells[at(0, t)] for t in ("10:30", "11:00", "11:30")} == {0}


def test_reaching_the_no_show_limit_suspends_the_home(world: Club):
    world.gym.no_show_limit, world.gym.no_show_suspend_days = 2, 7
    world.gym.save(update_fields=["no_show_limit", "no_show_suspend_days"])
    book(world, at(0, "10:00"))
    book(world, at(1, "10:00"))
    checkin.no_shows_mark(now=at(0, "10:20"))
    assert not BookingSuspension.objects.filter(unit=world.home).exists()
    checkin.no_shows_mark(now=at(1, "10:20"))
    suspension = BookingSuspension.objects.get(unit=world.home)
    assert suspension.until == at(1, "10:20") + dt.timedelta(days=7)
    titles = list(
        Notification.objects.filter(recipient=world.resident, kind="club.no_show").values_list("title", flat=True)
    )
    assert len(titles) == 3 and any(t.startswith("Bookings suspended") for t in titles)
    with pytest.raises(ApplicationError) as caught:
        engine.booking_create(
            facility=world.gym,
            user=world.resident,
            unit=world.home,
            starts_at=at(3, "10:00"),
            ends_at=at(3, "11:00"),
            now=at(1, "10:30"),
        )
    assert caught.value.code == "suspended"


def test_the_no_show_rule_is_off_by_default(world: Club):
    for day in range(3):
        book(world, at(day, "10:00"))
        checkin.no_shows_mark(now=at(day, "10:20"))
    assert Booking.objects.filter(unit=world.home, status=BookingStatus.NO_SHOW).count() == 3
    assert not BookingSuspension.objects.filter(unit=world.home).exists()


def test_the_sweeps_are_scheduled_and_registered_by_name():
    from django.conf import settings

    from backend.celery import task_named

    beat = settings.CELERY_BEAT_SCHEDULE
    for key, task in {
        "club-waitlist-sweep": "backend.club.tasks.waitlist_sweep",
        "club-no-shows": "backend.club.tasks.no_shows_mark",
        "club-reminders": "backend.club.tasks.reminders_send",
        "club-series-extend": "backend.club.tasks.series_extend",
    }.items():
        assert beat[key]["task"] == task
        assert task_named(task).name == task


def test_check_in_opens_before_midnight_for_a_booking_just_after_it(world: Club, guard: Any):
    from backend.club import services as club

    club.opening_hours_set(facility=world.gym, hours=[(d, 0, 24 * 60) for d in range(7)], now=NOW)
    world.gym.refresh_from_db()
    night = book(world, at(1, "00:00"))
    assert refusal(night, guard, at(0, "23:29")).code == "wrong_day"  # outside the window: another day's booking
    assert check_in(night, guard, at(0, "23:30")).status == BookingStatus.CHECKED_IN
