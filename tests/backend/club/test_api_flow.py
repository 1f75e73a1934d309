"""The API of the waitlist, check-in, no-shows and weekly series, against the clock: join a full slot, get
the offer when the place frees and accept it; security check a booking in by its code; staff list no-shows,
set up and end a series. Company B sees none of it and cannot check A's codes in; a neighbour cannot see or
act on another resident's entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.club import booking as engine
from backend.club import checkin
from backend.club import services as club
from backend.club.models import Booking, BookingStatus
from tenants.db import connection

from .conftest import EVERYTHING, SHANGHAI, Club
from .test_api import post, soon

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world: Club, tenant_a: Any, client_for: Any) -> Any:
    def make(user: Any) -> Any:
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return client

    return make


@pytest.fixture
def beta(member: Any, tenant_b: Any, client_for: Any, tenant_a: Any) -> Any:
    """Company B's admin and security, on B's domain."""
    clients = [client_for(tenant_b, member(tenant_b, [role])) for role in ("company_admin", "security")]
    connection.set_tenant(tenant_a)
    return clients


def full_gym(world: Club) -> dt.datetime:
    start = soon(1, "10:00")
    engine.booking_create(
        facility=world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        party_size=2,
    )
    return start


def test_join_get_the_offer_and_accept_it(
    world: Club, api: Any, beta: Any, tenant_a: Any, django_capture_on_commit_callbacks: Any
):
    start = full_gym(world)
    body = {
        "facility": world.gym.pk,
        "unit": world.units[1].pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
    }
    joined = post(api(world.neighbour), "/api/v1/club/waitlist/", body)
    assert joined.status_code == 201, joined.content
    entry = joined.json()
    assert (entry["status"], entry["position"], entry["booking"]) == ("waiting", 1, None)
    again = post(api(world.neighbour), "/api/v1/club/waitlist/", body)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_waiting")
    # someone else's home is not one to join for
    assert post(api(world.neighbour), "/api/v1/club/waitlist/", {**body, "unit": world.home.pk}).status_code == 404
    mine = api(world.neighbour).get("/api/v1/club/waitlist/").json()["results"]
    assert [e["id"] for e in mine] == [entry["id"]]
    # the resident holding the places sees no one else's entry, nor may act on it; company B sees nothing
    assert api(world.resident).get("/api/v1/club/waitlist/").json()["results"] == []
    assert api(world.resident).get(f"/api/v1/club/waitlist/{entry['id']}/").status_code == 404
    assert post(api(world.resident), f"/api/v1/club/waitlist/{entry['id']}/leave/", {}).status_code == 404
    assert beta[0].get("/api/v1/club/waitlist/").json()["results"] == []
    assert beta[0].get(f"/api/v1/club/waitlist/{entry['id']}/").status_code == 404
    connection.set_tenant(tenant_a)
    # a place frees up: the offer
    booking = Booking.objects.get(facility=world.gym, user=world.resident)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(api(world.resident), f"/api/v1/club/bookings/{booking.pk}/cancel/", {}).status_code == 200
    offered = api(world.neighbour).get(f"/api/v1/club/waitlist/{entry['id']}/").json()
    assert offered["status"] == "offered" and offered["booking"] and offered["offered_until"]
    accepted = post(api(world.neighbour), f"/api/v1/club/waitlist/{entry['id']}/accept/", {})
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["source"]) == ("confirmed", "waitlist")
    declined = post(api(world.neighbour), f"/api/v1/club/waitlist/{entry['id']}/decline/", {})
    assert declined.status_code == 409


def test_security_check_a_booking_in_by_its_code(world: Club, api: Any, member: Any, tenant_a: Any, beta: Any):
    # a hall open all day, so a booking of the current hour exists whatever the clock says
    hall = club.facility_create(
        estate_id=world.estate.pk, scope=EVERYTHING, name="活动室", kind="function_room", checkin_grace_minutes=60
    )
    club.opening_hours_set(facility=hall, hours=[(d, 0, 24 * 60) for d in range(7)])
    now = timezone.now().astimezone(SHANGHAI)
    start = now.replace(minute=0, second=0, microsecond=0)
    booking = engine.booking_create_by_staff(
        facility=hall, by=world.resident, unit=world.home, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    guard = member(tenant_a, ["security"])
    connection.set_tenant(tenant_a)
    # company B's security: not found there
    assert post(beta[1], "/api/v1/club/check-in/", {"code": booking.code}).status_code == 404
    # a resident may not check in
    assert post(api(world.resident), "/api/v1/club/check-in/", {"code": booking.code}).status_code == 403
    done = post(api(guard), "/api/v1/club/check-in/", {"code": booking.code.lower()})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "checked_in" and done.json()["checked_in_at"]
    again = post(api(guard), "/api/v1/club/check-in/", {"code": booking.code})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_checked_in")
    unknown = post(api(guard), "/api/v1/club/check-in/", {"code": "ABCDEFGHJKMN"})
    assert unknown.status_code == 404


def test_staff_list_no_shows_of_their_scope(world: Club, api: Any, member: Any, tenant_a: Any, beta: Any):
    start = full_gym(world)
    checkin.no_shows_mark(now=start + dt.timedelta(minutes=20))
    admin = member(tenant_a, ["company_admin"])
    connection.set_tenant(tenant_a)
    rows = api(admin).get("/api/v1/club/no-shows/").json()["results"]
    assert [(r["status"], r["unit"]) for r in rows] == [("no_show", world.home.pk)]
    assert beta[0].get("/api/v1/club/no-shows/").json()["results"] == []
    assert api(world.resident).get("/api/v1/club/no-shows/").status_code == 403


def test_staff_set_up_list_and_end_a_series(world: Club, api: Any, member: Any, tenant_a: Any, beta: Any):
    admin = member(tenant_a, ["company_admin"])
    connection.set_tenant(tenant_a)
    start = soon(1, "10:00")
    made = post(
        api(admin),
        "/api/v1/club/series/",
        {
            "facility": world.gym.pk,
            "unit": world.home.pk,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert len(body["booked"]) == 2 and body["skipped"] == []  # this week and next, inside 14 days
    sid = body["series"]["id"]
    assert [s["id"] for s in api(admin).get("/api/v1/club/series/").json()["results"]] == [sid]
    assert [s["id"] for s in api(world.resident).get("/api/v1/club/series/").json()["results"]] == [sid]  # their home
    assert api(world.neighbour).get(f"/api/v1/club/series/{sid}/").status_code == 404
    assert beta[0].get("/api/v1/club/series/").json()["results"] == []
    # a resident may not set one up where the facility does not allow it
    refused = post(
        api(world.neighbour),
        "/api/v1/club/series/",
        {
            "facility": world.gym.pk,
            "unit": world.units[1].pk,
            "starts_at": soon(1, "15:00").isoformat(),
            "ends_at": soon(1, "16:00").isoformat(),
        },
    )
    assert refused.status_code == 403
    ended = post(api(admin), f"/api/v1/club/series/{sid}/end/", {})
    assert ended.status_code == 200 and ended.json()["cancelled"] == 2
    assert ended.json()["series"]["status"] == "ended"
    assert not Booking.objects.filter(series_id=sid, status=BookingStatus.CONFIRMED).exists()
