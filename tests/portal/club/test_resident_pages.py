"""The resident's club pages: the facilities their homes may book, a facility's week grid and booking form
(refusals as field errors), my bookings with the QR code and cancelling with the refund rule, the home card;
another estate's or company's facility is a 404; the week page's queries do not grow with its bookings."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from backend.club.models import Booking, BookingStatus, Facility
from tenants.db import connection
from tests.backend.club.conftest import Club

from .conftest import book, later


def test_the_list_shows_the_facilities_of_the_residents_estate_with_price_and_next_free_slot(
    world: Club, as_user: Any
) -> None:
    page = as_user(world.resident).get("/resident/club/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-facility="{world.gym.pk}"' in html and f'data-facility="{world.court.pk}"' in html
    assert "¥40.00" in html and "¥100.00" in html  # the court: per hour, and its deposit
    assert html.count("data-next-free") == 2


def test_a_resident_of_another_estate_sees_none_of_them_and_gets_404(world: Club, as_user: Any) -> None:
    client = as_user(world.other_resident)
    assert f'data-facility="{world.gym.pk}"' not in client.get("/resident/club/").content.decode()
    assert client.get(f"/resident/club/{world.gym.pk}/").status_code == 404


def test_another_companys_resident_gets_404_for_the_facility(
    world: Club, tenant_b: Any, member: Any, client_for: Any
) -> None:
    outsider = client_for(tenant_b, member(tenant_b, ["resident"]))
    assert outsider.get(f"/resident/club/{world.gym.pk}/").status_code == 404


def _cell(html: str, ms: int) -> str:
    match = re.search(rf'<label class="club-cell lvl-(\w+)" data-cell="{ms}"[^>]*data-left-value="(\d+)"', html)
    assert match, ms
    return f"{match.group(1)}:{match.group(2)}"


def test_the_week_grid_shows_places_left_and_colours_by_fullness(world: Club, as_user: Any) -> None:
    start = later(1, "10:00")
    ms = int(start.timestamp() * 1000)
    client = as_user(world.resident)
    html = client.get(f"/resident/club/{world.gym.pk}/?week={start.date().isoformat()}").content.decode()
    assert _cell(html, ms) == "free:2"
    assert f'data-club-grid="{world.gym.pk}"' in html and "club-grid.js" in html
    book(world, world.neighbour, at=start)
    html = client.get(f"/resident/club/{world.gym.pk}/?week={start.date().isoformat()}").content.decode()
    assert _cell(html, ms) == "some:1"  # half taken
    book(world, world.resident, at=start)
    html = client.get(f"/resident/club/{world.gym.pk}/?week={start.date().isoformat()}").content.decode()
    assert _cell(html, ms) == "full:0"


def test_booking_a_slot_confirms_it_and_shows_its_qr_code(world: Club, as_user: Any) -> None:
    client = as_user(world.resident)
    start = later(1, "15:00")
    response = client.post(
        f"/resident/club/{world.gym.pk}/",
        {
            "starts_at": start.isoformat(),
            "party_size": "2",
            "unit": str(world.home.pk),
            "idempotency_key": "portal-k1-abcdef",
        },
    )
    booking = Booking.objects.get(facility=world.gym, user=world.resident)
    assert response.status_code == 302 and response["Location"] == f"/resident/bookings/{booking.pk}/"
    assert (booking.status, booking.party_size, booking.places) == (BookingStatus.CONFIRMED, 2, 2)
    page = client.get(response["Location"]).content.decode()
    assert "data-qr-code" in page and "<svg" in page and booking.code in page
    # The same form sent twice books once.
    client.post(
        f"/resident/club/{world.gym.pk}/",
        {
            "starts_at": start.isoformat(),
            "party_size": "2",
            "unit": str(world.home.pk),
            "idempotency_key": "portal-k1-abcdef",
        },
    )
    assert Booking.objects.filter(facility=world.gym, user=world.resident).count() == 1


def test_a_free_length_booking_is_priced_and_held_for_payment(world: Club, as_user: Any) -> None:
    client = as_user(world.resident)
    start = later(2, "09:00")
    response = client.post(
        f"/resident/club/{world.court.pk}/",
        {"starts_at": start.isoformat(), "minutes": "90", "party_size": "2", "unit": str(world.home.pk)},
    )
    assert response.status_code == 302
    booking = Booking.objects.get(facility=world.court)
    assert (booking.status, booking.price_fen, booking.deposit_fen) == (BookingStatus.HELD, 6000, 10000)
    page = client.get(response["Location"]).content.decode()
    assert "¥60.00" in page and "¥100.00" in page and "data-hold" in page


def test_refusals_come_back_as_field_errors(world: Club, as_user: Any) -> None:
    start = later(1, "11:00")
    book(world, world.neighbour, at=start, party_size=2)  # the gym's two places
    client = as_user(world.resident)
    full = client.post(
        f"/resident/club/{world.gym.pk}/",
        {"starts_at": start.isoformat(), "party_size": "1", "unit": str(world.home.pk)},
    )
    assert full.status_code == 400
    assert re.search(r'data-error-for="starts_at">[^<]+<', full.content.decode())
    too_many = client.post(
        f"/resident/club/{world.gym.pk}/",
        {"starts_at": later(1, "16:00").isoformat(), "party_size": "5", "unit": str(world.home.pk)},
    )
    assert too_many.status_code == 400
    assert re.search(r'data-error-for="party_size">[^<]*2', too_many.content.decode())
    closed = client.post(
        f"/resident/club/{world.gym.pk}/",
        {"starts_at": later(1, "13:00").isoformat(), "party_size": "1", "unit": str(world.home.pk)},
    )
    assert closed.status_code == 400 and 'data-error-for="starts_at"' in closed.content.decode()
    assert not Booking.objects.filter(user=world.resident).exists()


def test_a_resident_cannot_book_for_a_home_they_do_not_live_in(world: Club, as_user: Any) -> None:
    response = as_user(world.resident).post(
        f"/resident/club/{world.gym.pk}/",
        {"starts_at": later(1, "10:00").isoformat(), "party_size": "1", "unit": str(world.units[1].pk)},
    )
    assert response.status_code == 400 and 'data-error-for="unit"' in response.content.decode()
    assert not Booking.objects.exists()


def test_my_bookings_lists_upcoming_and_cancel_explains_the_refund_rule_first(world: Club, as_user: Any) -> None:
    mine = book(world, world.resident)
    theirs = book(world, world.neighbour, at=later(1, "15:00"))
    client = as_user(world.resident)
    page = client.get("/resident/bookings/").content.decode()
    assert f'data-booking="{mine.pk}"' in page and f'data-booking="{theirs.pk}"' not in page
    assert client.get(f"/resident/bookings/{theirs.pk}/").status_code == 404
    confirm = client.get(f"/resident/bookings/{mine.pk}/cancel/").content.decode()
    assert "data-refund-rule" in confirm and "data-cancel-form" in confirm
    assert Booking.objects.get(pk=mine.pk).status == BookingStatus.CONFIRMED  # nothing happens on GET
    done = client.post(f"/resident/bookings/{mine.pk}/cancel/")
    assert done.status_code == 302 and Booking.objects.get(pk=mine.pk).status == BookingStatus.CANCELLED
    assert client.post(f"/resident/bookings/{theirs.pk}/cancel/").status_code == 404


def test_the_cancel_page_says_what_a_late_cancellation_gives_back(world: Club, as_user: Any) -> None:
    Facility.objects.filter(pk=world.court.pk).update(cancel_cutoff_minutes=5 * 24 * 60)
    world.court.refresh_from_db()
    booking = book(world, world.resident, world.court, at=later(2, "10:00"), minutes=60)
    Booking.objects.filter(pk=booking.pk).update(paid_at=booking.created_at)
    page = as_user(world.resident).get(f"/resident/bookings/{booking.pk}/cancel/").content.decode()
    # Inside the 24-hour cutoff: half the ¥40 fee and the whole ¥100 deposit.
    assert "50%" in page and re.search(r"data-refund-now>¥120.00<", page)


def test_the_home_card_shows_the_next_bookings(world: Club, as_user: Any) -> None:
    booking = book(world, world.resident)
    page = as_user(world.resident).get("/resident/").content.decode()
    assert f'data-home-item="booking-{booking.pk}"' in page
    assert "/resident/club/" in page  # the "book facilities" entry now resolves


def test_the_week_page_costs_the_same_queries_for_one_booking_or_twenty(
    world: Club, as_user: Any, tenant_a: Any
) -> None:
    client = as_user(world.resident)
    path = f"/resident/club/{world.gym.pk}/?week={later(1, '08:00').date().isoformat()}"

    def count() -> int:
        client.get(path)
        connection.set_tenant(tenant_a)
        with CaptureQueriesContext(db_connection) as captured:
            assert client.get(path).status_code == 200
        connection.set_tenant(tenant_a)
        return len(captured.captured_queries)

    book(world, world.resident, at=later(1, "06:00"))
    few = count()
    hours = [f"{h:02d}:00" for h in (*range(7, 12), *range(14, 22))]
    for hour in hours:  # the shown day: every slot of it taken by both homes
        book(world, world.neighbour, at=later(1, hour))
        book(world, world.resident, at=later(1, hour))
    assert Booking.objects.count() == 1 + 2 * len(hours)
    assert count() == few
