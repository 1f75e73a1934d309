"""The staff's club pages: facility setup (rules grouped, hours with breaks, photos through the upload module),
closures with the bookings they cancel, the day calendar, bookings with approve / reject / cancel with a
reason, and booking for a home or a walk-in guest. Staff of another office and another company get 404s;
residents get 403."""

from __future__ import annotations

import io
import re
from typing import Any

from backend.club import services as club
from backend.club.models import Booking, BookingStatus, Closure, Facility, FacilityPhoto, OpeningHours
from tests.backend.club.conftest import EVERYTHING, Club

from .conftest import book, later

FORM = {
    "name": "乒乓球室",
    "kind": "other",
    "is_active": "on",
    "capacity": "4",
    "counts_people": "on",
    "booking_mode": "slot",
    "slot_minutes": "60",
    "horizon_days": "7",
    "price_mode": "per_person",
    "resident_price_fen": "5.50",
    "guest_price_fen": "12",
    "deposit_fen": "",
    "max_party_size": "4",
    "allowed_roles": ["owner", "tenant"],
    "hours_0": "09:00-12:00, 14:00-21:00",
    "hours_5": "08:00-22:00",
}


def test_staff_see_their_facilities_and_a_resident_is_refused(world: Club, staff: Any, as_user: Any) -> None:
    page = staff().get("/staff/club/")
    assert page.status_code == 200 and f'data-facility="{world.gym.pk}"' in page.content.decode()
    assert as_user(world.resident).get("/staff/club/").status_code == 403


def test_staff_of_another_office_neither_see_nor_edit_the_facility(world: Club, staff: Any) -> None:
    other = staff(office_ids=[world.other_office.pk])
    assert f'data-facility="{world.gym.pk}"' not in other.get("/staff/club/").content.decode()
    for path in (
        f"/staff/club/{world.gym.pk}/",
        f"/staff/club/{world.gym.pk}/closures/",
        f"/staff/club/{world.gym.pk}/book/",
    ):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/staff/club/{world.gym.pk}/", {**FORM, "name": "改名"}).status_code == 404
    booking = book(world, world.resident)
    assert other.get(f"/staff/club/bookings/{booking.pk}/").status_code == 404
    assert f'data-booking="{booking.pk}"' not in other.get("/staff/club/bookings/").content.decode()
    assert f'data-cal-booking="{booking.pk}"' not in other.get("/staff/club/calendar/").content.decode()
    # Nor may they create one in an estate outside their scope.
    other.post("/staff/club/new/", {**FORM, "estate": str(world.estate.pk)})
    assert not Facility.objects.filter(name="乒乓球室").exists()


def test_another_company_gets_404(world: Club, tenant_b: Any, member: Any, client_for: Any) -> None:
    outsider = client_for(tenant_b, member(tenant_b, ["company_admin"]))
    assert outsider.get(f"/staff/club/{world.gym.pk}/").status_code == 404
    assert outsider.get(f"/club/photos/{world.gym.pk}/").status_code == 404


def test_creating_a_facility_takes_every_rule_group_and_hours_with_a_break(world: Club, staff: Any) -> None:
    client = staff()
    form = client.get("/staff/club/new/").content.decode()
    assert form.count('<fieldset class="group">') == 8
    response = client.post("/staff/club/new/", {**FORM, "estate": str(world.estate.pk)})
    facility = Facility.objects.get(name="乒乓球室")
    assert response.status_code == 302 and response["Location"] == f"/staff/club/{facility.pk}/"
    assert (facility.capacity, facility.price_mode, facility.resident_price_fen, facility.guest_price_fen) == (
        4,
        "per_person",
        550,
        1200,
    )
    assert sorted(facility.allowed_roles) == ["owner", "tenant"]
    hours = list(OpeningHours.objects.filter(facility=facility).values_list("weekday", "opens", "closes"))
    assert sorted(hours) == [(0, 540, 720), (0, 840, 1260), (5, 480, 1320)]
    edit = client.get(f"/staff/club/{facility.pk}/").content.decode()
    assert 'value="09:00-12:00, 14:00-21:00"' in edit and 'value="5.50"' in edit


def test_service_refusals_show_on_their_fields(world: Club, staff: Any) -> None:
    client = staff()
    bad = client.post(
        f"/staff/club/{world.court.pk}/",
        {**FORM, "booking_mode": "free", "step_minutes": "30", "min_minutes": "45", "max_minutes": "120"},
    )
    assert bad.status_code == 400 and re.search(r'data-error-for="min_minutes">[^<]+<', bad.content.decode())
    overlap = client.post(f"/staff/club/{world.gym.pk}/", {**FORM, "hours_2": "08:00-12:00, 11:00-13:00"})
    assert overlap.status_code == 400 and re.search(r'data-error-for="hours">[^<]+<', overlap.content.decode())
    typo = client.post(f"/staff/club/{world.gym.pk}/", {**FORM, "hours_3": "9 to 5"})
    assert typo.status_code == 400 and 'data-error-for="hours_3"' in typo.content.decode()
    world.gym.refresh_from_db()
    assert world.gym.name == "健身房"


def _png() -> io.BytesIO:
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(data, "PNG")
    data.seek(0)
    data.name = "gym.png"
    return data


def test_photos_are_uploaded_through_the_upload_module_and_served_to_residents(
    world: Club, staff: Any, as_user: Any
) -> None:
    client = staff()
    response = client.post(f"/staff/club/{world.gym.pk}/photos/", {"image": _png(), "caption": "器械区"})
    assert response.status_code == 302
    photo = FacilityPhoto.objects.get(facility=world.gym)
    served = as_user(world.resident).get(f"/club/photos/{photo.pk}/")
    assert (
        served.status_code == 200
        and served["Content-Type"] == "image/png"
        and served["X-Content-Type-Options"] == "nosniff"
    )
    assert f"/club/photos/{photo.pk}/" in as_user(world.resident).get("/resident/club/").content.decode()
    assert as_user(world.other_resident).get(f"/club/photos/{photo.pk}/").status_code == 404
    not_image = io.BytesIO(b"<html><script>alert(1)</script></html>")
    not_image.name = "x.png"
    refused = client.post(f"/staff/club/{world.gym.pk}/photos/", {"image": not_image})
    assert refused.status_code == 400 and 'data-error-for="image"' in refused.content.decode()
    assert client.post(f"/staff/club/photos/{photo.pk}/remove/").status_code == 302
    assert not FacilityPhoto.objects.filter(pk=photo.pk).exists()


def test_a_closure_lists_the_bookings_it_will_cancel_before_it_is_confirmed(world: Club, staff: Any) -> None:
    booking = book(world, world.resident, at=later(1, "10:00"))
    spared = book(world, world.neighbour, at=later(1, "15:00"))
    client = staff()
    values = {
        "kind": "one_off",
        "reason": "设备检修",
        "starts_at": later(1, "09:00").strftime("%Y-%m-%dT%H:%M"),
        "ends_at": later(1, "12:00").strftime("%Y-%m-%dT%H:%M"),
        "confirm": "0",
    }
    preview = client.post(f"/staff/club/{world.gym.pk}/closures/", values)
    html = preview.content.decode()
    assert preview.status_code == 200 and f'data-affected-booking="{booking.pk}"' in html
    assert f'data-affected-booking="{spared.pk}"' not in html
    assert not Closure.objects.exists() and Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    done = client.post(f"/staff/club/{world.gym.pk}/closures/", {**values, "confirm": "1"})
    assert done.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    assert Booking.objects.get(pk=spared.pk).status == BookingStatus.CONFIRMED
    closure = Closure.objects.get(facility=world.gym)
    assert client.post(f"/staff/club/closures/{closure.pk}/lift/").status_code == 302
    assert not Closure.objects.exists()


def test_a_weekly_closure_without_a_reason_is_refused_on_its_field(world: Club, staff: Any) -> None:
    response = staff().post(
        f"/staff/club/{world.gym.pk}/closures/",
        {
            "kind": "weekly",
            "weekday": "2",
            "start_minute": "06:00",
            "end_minute": "08:00",
            "first_date": later(1, "00:00").date().isoformat(),
        },
    )
    assert response.status_code == 400 and re.search(r'data-error-for="reason">[^<]+<', response.content.decode())


def test_the_day_calendar_shows_each_facilitys_bookings_per_slot(world: Club, staff: Any) -> None:
    booking = book(world, world.resident, at=later(1, "10:00"), party_size=2)
    page = staff().get(f"/staff/club/calendar/?date={later(1, '10:00').date().isoformat()}").content.decode()
    assert f'data-calendar-facility="{world.gym.pk}"' in page and f'data-calendar-facility="{world.court.pk}"' in page
    gym = page.split(f'data-calendar-facility="{world.gym.pk}"', 1)[1].split("</section>", 1)[0]
    cell = re.escape(later(1, "10:00").isoformat())
    row = re.search(rf'data-cal-cell="{cell}">(.*?)</tr>', gym, re.S)
    assert row and "2/2" in row.group(1) and f'data-cal-booking="{booking.pk}"' in row.group(1)


def test_bookings_are_filtered_and_approved_or_rejected_with_a_reason(world: Club, staff: Any) -> None:
    room = club.facility_create(
        estate_id=world.estate.pk, scope=EVERYTHING, name="多功能厅", kind="function_room", requires_approval=True
    )
    club.opening_hours_set(facility=room, hours=[(d, 8 * 60, 22 * 60) for d in range(7)])
    first = book(world, world.resident, room, at=later(2, "10:00"))
    second = book(world, world.neighbour, room, at=later(2, "14:00"))
    book(world, world.resident, at=later(1, "10:00"))
    client = staff()
    listed = client.get(f"/staff/club/bookings/?facility={room.pk}&status=pending").content.decode()
    assert f'data-booking="{first.pk}"' in listed and f'data-booking="{second.pk}"' in listed
    assert listed.count("data-booking=") == 2
    assert client.post(f"/staff/club/bookings/{first.pk}/", {"action": "approve"}).status_code == 302
    assert Booking.objects.get(pk=first.pk).status == BookingStatus.CONFIRMED
    no_reason = client.post(f"/staff/club/bookings/{second.pk}/", {"action": "reject", "reason": ""})
    assert no_reason.status_code == 400 and re.search(r'data-error-for="reason">[^<]+<', no_reason.content.decode())
    assert (
        client.post(f"/staff/club/bookings/{second.pk}/", {"action": "reject", "reason": "当天有活动"}).status_code
        == 302
    )
    rejected = Booking.objects.get(pk=second.pk)
    assert (rejected.status, rejected.rejected_reason) == (BookingStatus.REJECTED, "当天有活动")


def test_staff_cancel_with_a_reason_and_security_may_only_look(world: Club, staff: Any) -> None:
    booking = book(world, world.resident)
    guard = staff(["security"])
    assert guard.get(f"/staff/club/bookings/{booking.pk}/").status_code == 200
    assert guard.post(f"/staff/club/bookings/{booking.pk}/", {"action": "cancel", "reason": "x"}).status_code == 403
    client = staff()
    assert (
        client.post(f"/staff/club/bookings/{booking.pk}/", {"action": "cancel", "reason": "泳池换水"}).status_code
        == 302
    )
    cancelled = Booking.objects.get(pk=booking.pk)
    assert (cancelled.status, cancelled.cancel_reason) == (BookingStatus.CANCELLED, "泳池换水")


def test_staff_book_a_walk_in_guest_at_the_guest_price_and_a_home_at_the_residents(world: Club, staff: Any) -> None:
    client = staff()
    start = later(3, "10:00").strftime("%Y-%m-%dT%H:%M")
    guest = client.post(
        f"/staff/club/{world.court.pk}/book/",
        {"starts_at": start, "minutes": "60", "party_size": "2", "guest_name": "张先生"},
    )
    assert guest.status_code == 302
    made = Booking.objects.get(facility=world.court, guest_name="张先生")
    assert (made.unit_id, made.price_fen, made.status) == (None, 6000, BookingStatus.CONFIRMED)
    home = client.post(
        f"/staff/club/{world.court.pk}/book/",
        {
            "starts_at": later(3, "14:00").strftime("%Y-%m-%dT%H:%M"),
            "minutes": "60",
            "party_size": "1",
            "unit": world.home.label,
        },
    )
    assert home.status_code == 302
    assert Booking.objects.get(facility=world.court, unit=world.home).price_fen == 4000
    taken = client.post(
        f"/staff/club/{world.court.pk}/book/",
        {"starts_at": start, "minutes": "60", "party_size": "1", "guest_name": "李女士"},
    )
    assert taken.status_code == 400 and re.search(r'data-error-for="starts_at">[^<]+<', taken.content.decode())
    nobody = client.post(
        f"/staff/club/{world.court.pk}/book/", {"starts_at": start, "minutes": "60", "party_size": "1"}
    )
    assert nobody.status_code == 400 and re.search(r'data-error-for="guest_name">[^<]+<', nobody.content.decode())
    elsewhere = client.post(
        f"/staff/club/{world.court.pk}/book/",
        {
            "starts_at": later(4, "14:00").strftime("%Y-%m-%dT%H:%M"),
            "minutes": "60",
            "party_size": "1",
            "unit": world.other_units[0].label,
        },
    )
    assert elsewhere.status_code == 400 and 'data-error-for="unit"' in elsewhere.content.decode()


def test_the_nav_shows_the_club_to_staff_and_residents_by_permission(world: Club, staff: Any, as_user: Any) -> None:
    staff_page = staff().get("/staff/").content.decode()
    assert "/staff/club/" in staff_page and "/staff/club/calendar/" in staff_page
    guard_page = staff(["security"]).get("/staff/club/calendar/").content.decode()
    assert 'href="/staff/club/"' not in guard_page and "/staff/club/bookings/" in guard_page
    resident_page = as_user(world.resident).get("/resident/").content.decode()
    assert 'href="/resident/club/"' in resident_page and 'href="/resident/bookings/"' in resident_page
    assert "/staff/club/" not in resident_page
