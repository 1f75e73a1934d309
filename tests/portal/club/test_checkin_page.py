"""The door's check-in page: security types the booking's code (any case, with spaces) or the camera reads it
(the same form: the QR code carries the code); the page shows the booking and the result, or the refusal as
the code field's message with the booking it names. Another office's or company's booking is not shown."""

from __future__ import annotations

import datetime as dt
import re
import types
from typing import Any

import pytest

from backend.club import booking as engine
from backend.club import checkin
from backend.club.models import Booking, BookingStatus
from tests.backend.club.conftest import Club

from .conftest import book, later


@pytest.fixture
def at_the_door(monkeypatch: Any) -> dt.datetime:
    """The door's clock for the page (booking_check_in reads timezone.now): tomorrow at 10:00, company time."""
    now = later(1, "10:00")
    monkeypatch.setattr(checkin, "timezone", types.SimpleNamespace(now=lambda: now))
    return now


def _check(client: Any, code: str) -> tuple[int, str]:
    response = client.post("/staff/club/check-in/", {"code": code})
    return response.status_code, response.content.decode()


def test_the_page_has_the_camera_and_the_code_field(world: Club, staff: Any) -> None:
    html = staff(["security"]).get("/staff/club/check-in/").content.decode()
    assert "data-qr-scan" in html and "data-qr-target" in html and "qr-scan.js" in html and "jsQR.js" in html
    assert 'name="code"' in html


def test_security_checks_a_booking_in_by_its_typed_code(world: Club, staff: Any, at_the_door: Any) -> None:
    booking = book(world, world.resident, at=later(1, "10:00"), party_size=2)
    typed = " ".join(booking.code[i : i + 4] for i in range(0, len(booking.code), 4)).lower()
    status, html = _check(staff(["security"]), typed)
    assert status == 200 and "data-checkin-ok" in html
    assert f'data-booking="{booking.pk}"' in html and world.gym.name in html
    assert re.search(rf"data-checkin-who>{re.escape(world.home.label)}<", html)
    assert "data-checkin-party>2<" in html
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN and booking.checked_in_at == at_the_door


def test_a_walk_in_guests_booking_shows_the_guest(world: Club, staff: Any, member: Any, tenant_a: Any) -> None:
    desk = member(tenant_a, ["customer_service"])
    guest = engine.booking_create_by_staff(
        facility=world.gym,
        by=desk,
        guest_name="访客张",
        starts_at=later(1, "10:00"),
        ends_at=later(1, "11:00"),
    )
    Booking.objects.filter(pk=guest.pk).update(starts_at=later(2, "10:00"), ends_at=later(2, "11:00"))
    status, html = _check(staff(["security"]), guest.code)
    assert status == 409 and "访客张" in html and "data-checkin-refused" in html


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        ("11:00", "too_early"),  # check-in opens 30 minutes before
        ("09:30", "too_late"),  # the gym's grace is 15 minutes
    ],
)
def test_a_booking_outside_its_check_in_window_is_refused_with_the_reason(
    world: Club, staff: Any, at_the_door: Any, start: str, reason: str
) -> None:
    booking = book(world, world.resident, at=later(1, "11:00"))
    hour, minute = (int(x) for x in start.split(":"))
    moved = at_the_door.replace(hour=hour, minute=minute)
    Booking.objects.filter(pk=booking.pk).update(starts_at=moved, ends_at=moved + dt.timedelta(hours=1))
    status, html = _check(staff(["security"]), booking.code)
    assert status == 409 and "data-checkin-refused" in html
    assert re.search(r'data-error-for="code">[^<]+<', html)
    assert f'data-booking="{booking.pk}"' in html  # the booking refused, shown
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_another_days_a_cancelled_and_a_second_check_in_are_refused(world: Club, staff: Any, at_the_door: Any) -> None:
    client = staff(["security"])
    tomorrow = book(world, world.resident, at=later(2, "10:00"))
    status, html = _check(client, tomorrow.code)
    assert status == 409 and re.search(rf'data-error-for="code">[^<]*{later(2, "10:00"):%Y-%m-%d}', html)
    cancelled = book(world, world.neighbour, at=later(1, "10:00"))
    engine.booking_cancel(booking=cancelled, by=world.neighbour, now=later(0, "08:00"))
    status, html = _check(client, cancelled.code)
    assert status == 409 and "data-checkin-refused" in html
    mine = book(world, world.resident, at=later(1, "10:00"))
    assert _check(client, mine.code)[0] == 200
    status, html = _check(client, mine.code)
    assert status == 409 and re.search(r'data-error-for="code">[^<]*10:00', html)  # checked in at 10:00


def test_a_mistyped_or_unknown_code_is_a_field_error(world: Club, staff: Any) -> None:
    client = staff(["security"])
    short, html = _check(client, "ABC")
    assert short == 400 and re.search(r'data-error-for="code">[^<]+<', html)
    unknown, html = _check(client, "ZZZZZZZZZZZZ")
    assert unknown == 404 and re.search(r'data-error-for="code">[^<]+<', html)
    empty, html = _check(client, "")
    assert empty == 400 and 'data-error-for="code"' in html


def test_staff_of_another_office_are_refused_and_do_not_see_the_booking(
    world: Club, staff: Any, at_the_door: Any
) -> None:
    booking = book(world, world.resident, at=later(1, "10:00"))
    status, html = _check(staff(["security"], office_ids=[world.other_office.pk]), booking.code)
    assert status == 403 and "data-checkin-result" not in html and world.home.label not in html
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_another_companys_security_does_not_find_the_code(
    world: Club, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any, at_the_door: Any
) -> None:
    from tenants.db import connection

    booking = book(world, world.resident, at=later(1, "10:00"))
    outsider = client_for(tenant_b, member(tenant_b, ["security"]))
    status, html = _check(outsider, booking.code)
    assert status == 404 and world.gym.name not in html
    connection.set_tenant(tenant_a)
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


@pytest.mark.parametrize(
    ("roles", "code"), [(["security"], 200), (["customer_service"], 200), (["engineer"], 403), (["finance"], 403)]
)
def test_who_may_open_the_check_in_page(world: Club, staff: Any, roles: list[str], code: int) -> None:
    assert staff(roles).get("/staff/club/check-in/").status_code == code


def test_a_resident_may_not_open_it(world: Club, as_user: Any) -> None:
    assert as_user(world.resident).get("/staff/club/check-in/").status_code == 403


def test_the_staff_club_menu_leads_to_it(world: Club, staff: Any) -> None:
    html = staff(["security"]).get("/staff/club/calendar/").content.decode()
    assert "data-nav-checkin" in html and html.count('href="/staff/club/check-in/"') >= 2  # the menu and the nav
