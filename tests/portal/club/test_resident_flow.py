"""The resident's club flow past booking: a held booking's "Pay ¥x" (its bill lines on the pay page), charging
it to the home's account where the company allows it, the hold's time left and the refund state after
cancelling; joining a full slot's waitlist from the grid, my waitlist with the place in line, the offer page
(accept, decline; the offer notification links to it); a weekly series from the facility page and ending it.
A neighbour's or another company's booking, entry or series is a 404; refusals come back as field messages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from backend.billing.models import BillLine
from backend.club import booking as engine
from backend.club.models import Booking, BookingSeries, BookingStatus, ClubSettings, Facility, WaitlistEntry
from backend.notifications.models import Notification
from tenants.db import connection
from tests.backend.club.conftest import Club

from .conftest import book, later


def _charge_to_account(on: bool) -> None:
    settings = ClubSettings.load()
    settings.charge_to_account = on
    settings.save()


def _held_court(world: Club) -> Booking:
    booking = book(world, world.resident, world.court, at=later(2, "10:00"), minutes=60)
    assert booking.status == BookingStatus.HELD
    return booking


# --- paying a held booking ----------------------------------------------------------------------------------


def test_a_held_booking_offers_pay_for_its_lines_and_shows_the_time_left(world: Club, as_user: Any) -> None:
    booking = _held_court(world)
    page = as_user(world.resident).get(f"/resident/bookings/{booking.pk}/").content.decode()
    link = re.search(r'href="([^"]+)" data-pay>([^<]+)<', page)
    assert link, page
    lines = sorted(int(i) for i in re.findall(r"lines=(\d+)", link.group(1).replace("&amp;", "&")))
    posted = BillLine.objects.filter(pk__in=[booking.charge_id, booking.deposit_charge_id])
    assert len(lines) == 2 and lines == sorted(posted.values_list("pk", flat=True))
    assert link.group(1).startswith(f"/resident/pay/?unit={world.home.pk}")
    assert "¥140.00" in link.group(2)  # ¥40 for the hour and the ¥100 deposit
    left = int(re.search(r'data-countdown="(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert 0 < left <= world.court.hold_minutes * 60
    assert "club-countdown.js" in page
    assert "data-charge-form" not in page  # the company does not take bookings on account


def test_charging_to_the_account_confirms_the_booking_where_the_company_allows_it(world: Club, as_user: Any) -> None:
    _charge_to_account(True)
    booking = _held_court(world)
    client = as_user(world.resident)
    assert "data-charge-form" in client.get(f"/resident/bookings/{booking.pk}/").content.decode()
    response = client.post(f"/resident/bookings/{booking.pk}/charge/")
    assert response.status_code == 302 and response["Location"] == f"/resident/bookings/{booking.pk}/"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.charged_to_account_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "data-pay" not in page and "data-charge-form" not in page


def test_charging_to_the_account_where_it_is_off_is_refused_with_the_reason(world: Club, as_user: Any) -> None:
    booking = _held_court(world)
    response = as_user(world.resident).post(f"/resident/bookings/{booking.pk}/charge/")
    assert response.status_code == 409
    assert re.search(r"data-charge-errors><p>[^<]+</p>", response.content.decode())
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD and booking.charged_to_account_at is None


def test_a_neighbours_or_another_companys_booking_cannot_be_charged(
    world: Club, as_user: Any, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    _charge_to_account(True)
    theirs = book(world, world.neighbour, world.court, at=later(2, "12:00"), minutes=60)
    assert as_user(world.resident).post(f"/resident/bookings/{theirs.pk}/charge/").status_code == 404
    outsider = client_for(tenant_b, member(tenant_b, ["resident"]))
    assert outsider.post(f"/resident/bookings/{theirs.pk}/charge/").status_code == 404
    connection.set_tenant(tenant_a)
    assert Booking.objects.get(pk=theirs.pk).status == BookingStatus.HELD


def test_a_cancelled_booking_says_where_its_refund_stands(world: Club, as_user: Any) -> None:
    _charge_to_account(True)
    client = as_user(world.resident)
    paid = _held_court(world)
    client.post(f"/resident/bookings/{paid.pk}/charge/")
    client.post(f"/resident/bookings/{paid.pk}/cancel/")
    page = client.get(f"/resident/bookings/{paid.pk}/").content.decode()
    paid.refresh_from_db()
    assert paid.status == BookingStatus.CANCELLED and paid.refund_due_fen == 14000  # before the cutoff: all
    assert 'data-refund-state="pending"' in page and "¥140.00" in page
    free = book(world, world.resident)
    client.post(f"/resident/bookings/{free.pk}/cancel/")
    assert 'data-refund-state="nothing"' in client.get(f"/resident/bookings/{free.pk}/").content.decode()


# --- the waitlist -------------------------------------------------------------------------------------------


def _fill(world: Club, start: Any) -> Booking:
    return book(world, world.neighbour, at=start, party_size=2)  # both of the gym's places


def _join(client: Any, world: Club, start: Any) -> Any:
    return client.post(
        f"/resident/club/{world.gym.pk}/",
        {"starts_at": start.isoformat(), "party_size": "1", "unit": str(world.home.pk), "action": "waitlist"},
    )


def test_a_full_slot_can_be_chosen_to_join_its_waitlist(world: Club, as_user: Any) -> None:
    start = later(1, "10:00")
    _fill(world, start)
    client = as_user(world.resident)
    html = client.get(f"/resident/club/{world.gym.pk}/?week={start.date().isoformat()}").content.decode()
    ms = int(start.timestamp() * 1000)
    cell = re.search(rf'data-cell="{ms}"[^>]*>\s*<input [^>]*>', html)
    assert cell and "disabled" not in cell.group(0) and 'data-waitlist="on"' in html
    assert "data-join-waitlist" in html
    response = _join(client, world, start)
    entry = WaitlistEntry.objects.get(user=world.resident)
    assert response.status_code == 302 and response["Location"] == f"/resident/waitlist/{entry.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-position="1"' in page and "data-leave-form" in page
    listed = client.get("/resident/waitlist/").content.decode()
    assert f'data-entry="{entry.pk}"' in listed and 'data-position="1"' in listed


def test_joining_a_slot_with_places_left_or_twice_is_refused_on_the_form(world: Club, as_user: Any) -> None:
    client = as_user(world.resident)
    open_slot = _join(client, world, later(1, "15:00"))
    assert open_slot.status_code == 400
    assert re.search(r'data-error-for="starts_at">[^<]+<', open_slot.content.decode())
    start = later(1, "10:00")
    _fill(world, start)
    assert _join(client, world, start).status_code == 302
    twice = _join(client, world, start)
    assert twice.status_code == 400 and "form-errors" in twice.content.decode()
    assert WaitlistEntry.objects.filter(user=world.resident).count() == 1


def test_a_freed_place_is_offered_with_a_link_to_the_offer_page_and_accepting_confirms_it(
    world: Club, as_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = later(1, "10:00")
    taken = _fill(world, start)
    client = as_user(world.resident)
    _join(client, world, start)
    entry = WaitlistEntry.objects.get(user=world.resident)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel(booking=taken, by=world.neighbour)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    note = Notification.objects.get(recipient=world.resident, kind="club.waitlist_offer")
    assert note.url == f"/resident/waitlist/{entry.pk}/"
    page = client.get(note.url).content.decode()
    assert "data-accept" in page and "data-decline" in page
    assert int(re.search(r'data-countdown="(\d+)"', page).group(1)) > 0  # type: ignore[union-attr]
    assert as_user(world.neighbour).get(note.url).status_code == 404  # not theirs
    response = client.post(note.url, {"action": "accept"})
    booking = Booking.objects.get(pk=entry.booking_id)
    assert response.status_code == 302 and response["Location"] == f"/resident/bookings/{booking.pk}/"
    assert booking.status == BookingStatus.CONFIRMED
    again = client.post(note.url, {"action": "accept"})
    assert again.status_code == 409 and "data-entry-error" in again.content.decode()


def test_declining_an_offer_or_leaving_the_line_closes_the_entry(
    world: Club, as_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = later(1, "10:00")
    taken = _fill(world, start)
    client = as_user(world.resident)
    _join(client, world, start)
    entry = WaitlistEntry.objects.get(user=world.resident)
    with django_capture_on_commit_callbacks(execute=True):
        engine.booking_cancel(booking=taken, by=world.neighbour)
    assert client.post(f"/resident/waitlist/{entry.pk}/", {"action": "decline"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CANCELLED
    assert Booking.objects.get(pk=entry.booking_id).status == BookingStatus.CANCELLED
    later_start = later(1, "11:00")
    _fill(world, later_start)
    _join(client, world, later_start)
    waiting = WaitlistEntry.objects.get(user=world.resident, status=WaitlistEntry.Status.WAITING)
    assert client.post(f"/resident/waitlist/{waiting.pk}/", {"action": "leave"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == WaitlistEntry.Status.CANCELLED


def test_another_companys_resident_does_not_find_the_entry(
    world: Club, as_user: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    start = later(1, "10:00")
    _fill(world, start)
    _join(as_user(world.resident), world, start)
    entry = WaitlistEntry.objects.get(user=world.resident)
    outsider = client_for(tenant_b, member(tenant_b, ["resident"]))
    assert outsider.get(f"/resident/waitlist/{entry.pk}/").status_code == 404
    assert outsider.post(f"/resident/waitlist/{entry.pk}/", {"action": "leave"}).status_code == 404


# --- weekly series ----------------------------------------------------------------------------------------


def test_a_weekly_series_is_offered_only_where_residents_may_recur(world: Club, as_user: Any) -> None:
    client = as_user(world.resident)
    assert "data-book-series" not in client.get(f"/resident/club/{world.gym.pk}/").content.decode()
    Facility.objects.filter(pk=world.gym.pk).update(residents_may_recur=True)
    assert "data-book-series" in client.get(f"/resident/club/{world.gym.pk}/").content.decode()
    Facility.objects.filter(pk=world.court.pk).update(residents_may_recur=True)  # paid: staff only
    assert "data-book-series" not in client.get(f"/resident/club/{world.court.pk}/").content.decode()


def test_a_resident_books_every_week_and_ends_the_series_from_my_bookings(world: Club, as_user: Any) -> None:
    Facility.objects.filter(pk=world.gym.pk).update(residents_may_recur=True)
    client = as_user(world.resident)
    start = later(1, "16:00")
    last = start.date() + dt.timedelta(days=7)
    response = client.post(
        f"/resident/club/{world.gym.pk}/",
        {
            "starts_at": start.isoformat(),
            "party_size": "1",
            "unit": str(world.home.pk),
            "last_date": last.isoformat(),
            "action": "series",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/resident/bookings/"
    series = BookingSeries.objects.get(user=world.resident)
    assert Booking.objects.filter(series=series, status=BookingStatus.CONFIRMED).count() == 2  # 2 weeks
    page = client.get("/resident/bookings/").content.decode()
    assert f'data-series="{series.pk}"' in page and "16:00" in page
    assert as_user(world.neighbour).post(f"/resident/series/{series.pk}/end/").status_code == 404
    ended = client.post(f"/resident/series/{series.pk}/end/")
    assert ended.status_code == 302
    series.refresh_from_db()
    assert series.status == BookingSeries.Status.ENDED
    assert not Booking.objects.filter(series=series, status=BookingStatus.CONFIRMED).exists()


def test_a_series_with_its_last_day_before_the_first_is_a_field_error(world: Club, as_user: Any) -> None:
    Facility.objects.filter(pk=world.gym.pk).update(residents_may_recur=True)
    start = later(3, "16:00")
    response = as_user(world.resident).post(
        f"/resident/club/{world.gym.pk}/",
        {
            "starts_at": start.isoformat(),
            "party_size": "1",
            "unit": str(world.home.pk),
            "last_date": later(1, "00:00").date().isoformat(),
            "action": "series",
        },
    )
    assert response.status_code == 400 and 'data-error-for="last_date"' in response.content.decode()
    assert not BookingSeries.objects.exists()


@pytest.mark.parametrize("path", ["/resident/waitlist/", "/resident/bookings/"])
def test_staff_cannot_open_the_residents_pages(world: Club, staff: Any, path: str) -> None:
    assert staff(["security"]).get(path).status_code == 403
