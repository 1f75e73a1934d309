"""The club API: who sees which facilities (residents their homes', estate-scoped staff their estates', another
company nothing), setting a facility up with field errors for bad input, the availability grid, and bookings
(create, full, quota, replay, cancel, guests, approval) with their error codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import Membership
from backend.club import services as club
from backend.club.models import Booking
from tenants.db import connection

from .conftest import EVERYTHING, SHANGHAI, Club

pytestmark = pytest.mark.django_db


def soon(days: int, hhmm: str) -> dt.datetime:
    """A real day ahead (the API books against the clock), at hh:mm in Shanghai."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    day = timezone.localdate(timezone=SHANGHAI) + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def api(world: Club, tenant_a: Any, client_for: Any, member: Any):
    def make(user: Any) -> Any:
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return client

    return make


def scoped(member: Any, tenant: Any, roles: list[str], **scope: Any) -> Any:
    user = member(tenant, roles)
    Membership.objects.filter(user=user, tenant=tenant).update(scope_all=False, **scope)
    connection.set_tenant(tenant)
    return user


def names(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {f["name"] for f in response.json()["results"]}


def post(client: Any, path: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(path, body, content_type="application/json", **headers)


# --- who sees which facilities --------------------------------------------------------------------------------


def test_residents_see_the_facilities_their_homes_may_book(world: Club, api):
    pool = club.facility_create(estate_id=world.other_estate.pk, scope=EVERYTHING, name="江景泳池", kind="pool")
    assert names(api(world.resident).get("/api/v1/club/facilities/")) == {"健身房", "网球场1"}
    assert names(api(world.other_resident).get("/api/v1/club/facilities/")) == {"江景泳池"}
    assert api(world.resident).get(f"/api/v1/club/facilities/{pool.pk}/").status_code == 404
    assert api(world.resident).get(f"/api/v1/club/facilities/{pool.pk}/availability/").status_code == 404


def test_estate_scoped_staff_see_only_their_estates_facilities(world: Club, api, member, tenant_a):
    pool = club.facility_create(estate_id=world.other_estate.pk, scope=EVERYTHING, name="江景泳池", kind="pool")
    by_estate = scoped(member, tenant_a, ["customer_service"], scope_estate_ids=[world.estate.pk])
    by_office = scoped(member, tenant_a, ["security"], scope_office_ids=[world.other_office.pk])
    assert names(api(by_estate).get("/api/v1/club/facilities/")) == {"健身房", "网球场1"}
    assert names(api(by_office).get("/api/v1/club/facilities/")) == {"江景泳池"}
    assert api(by_estate).get(f"/api/v1/club/facilities/{pool.pk}/").status_code == 404
    assert (
        api(by_estate).patch(f"/api/v1/club/facilities/{pool.pk}/", {}, content_type="application/json").status_code
        == 404
    )
    # nor create one in an estate outside the scope, nor see its bookings
    created = post(
        api(by_estate), "/api/v1/club/facilities/", {"estate": world.other_estate.pk, "name": "x", "kind": "gym"}
    )
    assert created.status_code == 404


def test_company_b_sees_none_of_company_a_facilities_or_bookings(world: Club, api, member, tenant_b, client_for):
    booked = post(
        api(world.resident),
        "/api/v1/club/bookings/",
        {
            "facility": world.gym.pk,
            "unit": world.home.pk,
            "starts_at": soon(1, "10:00").isoformat(),
            "ends_at": soon(1, "11:00").isoformat(),
        },
    )
    assert booked.status_code == 201, booked.content
    beta_admin = member(tenant_b, ["company_admin"])
    beta = client_for(tenant_b, beta_admin)
    assert beta.get("/api/v1/club/facilities/").json()["results"] == []
    assert beta.get("/api/v1/club/bookings/").json()["results"] == []
    assert beta.get(f"/api/v1/club/facilities/{world.gym.pk}/").status_code == 404
    assert beta.get(f"/api/v1/club/bookings/{booked.json()['id']}/").status_code == 404
    # alpha's session means nothing on beta's domain
    alpha_cookie = api(world.resident).cookies["sessionid"].value
    beta.cookies["sessionid"] = alpha_cookie
    assert beta.get("/api/v1/club/facilities/").status_code == 401


# --- setting a facility up ---------------------------------------------------------------------------------------


def test_a_club_manager_creates_a_facility_with_its_hours_and_rules(world: Club, api, member, tenant_a):
    admin = member(tenant_a, ["company_admin"])
    body = {
        "estate": world.estate.pk,
        "name": "多功能厅",
        "kind": "function_room",
        "requires_approval": True,
        "price_mode": "per_slot",
        "resident_price_fen": 20000,
        "slot_minutes": 240,
        "hours": [{"weekday": 5, "opens": 9 * 60, "closes": 21 * 60}],
    }
    response = post(api(admin), "/api/v1/club/facilities/", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["requires_approval"] is True and data["cell_minutes"] == 240 and data["office"] == world.office.pk
    assert data["opening_hours"] == [{"weekday": 5, "opens": 540, "closes": 1260}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"kind": "spaceship"}, "kind"),
        ({"booking_mode": "free", "step_minutes": 30, "min_minutes": 45}, "min_minutes"),
        (
            {"hours": [{"weekday": 0, "opens": 600, "closes": 700}, {"weekday": 0, "opens": 650, "closes": 800}]},
            "hours",
        ),
        ({"hours": [{"weekday": 0, "opens": 700, "closes": 600}]}, "hours"),
        ({"allowed_roles": ["landlord"]}, "allowed_roles.0"),
        ({"allowed_estate_ids": [999999]}, "allowed_estate_ids"),
        ({"fee_item": 999999}, "fee_item"),
        ({"late_cancel_refund_percent": 101}, "late_cancel_refund_percent"),
    ],
)
def test_bad_rules_are_refused_on_their_field(world: Club, api, member, tenant_a, body, field):
    admin = member(tenant_a, ["company_admin"])
    response = api(admin).patch(f"/api/v1/club/facilities/{world.gym.pk}/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


def test_capacity_below_what_a_future_slot_holds_is_refused(world: Club, api, member, tenant_a):
    admin = member(tenant_a, ["company_admin"])
    body = {"facility": world.gym.pk, "unit": world.home.pk, "party_size": 2}
    body |= {"starts_at": soon(1, "10:00").isoformat(), "ends_at": soon(1, "11:00").isoformat()}
    assert post(api(world.resident), "/api/v1/club/bookings/", body).status_code == 201
    response = api(admin).patch(
        f"/api/v1/club/facilities/{world.gym.pk}/", {"capacity": 1}, content_type="application/json"
    )
    assert response.status_code == 400 and "capacity" in response.json()["error"]["fields"]
    grain = api(admin).patch(
        f"/api/v1/club/facilities/{world.gym.pk}/", {"slot_minutes": 30}, content_type="application/json"
    )
    assert grain.status_code == 400 and "slot_minutes" in grain.json()["error"]["fields"]


# --- availability -------------------------------------------------------------------------------------------------


def test_the_availability_of_a_day_and_a_week(world: Club, api):
    day = soon(1, "00:00").date().isoformat()
    one = api(world.resident).get(f"/api/v1/club/facilities/{world.gym.pk}/availability/?date={day}")
    week = api(world.resident).get(f"/api/v1/club/facilities/{world.gym.pk}/availability/?date={day}&days=7")
    assert one.status_code == week.status_code == 200
    assert len(one.json()["days"]) == 1 and len(one.json()["days"][0]["cells"]) == 14
    assert len(week.json()["days"]) == 7 and week.json()["days"][0]["cells"][0]["left"] == 2


@pytest.mark.parametrize(
    ("query", "field"), [("days=0", "days"), ("days=x", "days"), ("date=31-12", "date"), ("date=1800-01-01", "date")]
)
def test_bad_availability_queries_are_field_errors(world: Club, api, query, field):
    response = api(world.resident).get(f"/api/v1/club/facilities/{world.gym.pk}/availability/?{query}")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


# --- bookings --------------------------------------------------------------------------------------------------------


def booking_body(
    world: Club, facility: Any = None, start: str = "10:00", minutes: int = 60, **extra: Any
) -> dict[str, Any]:
    starts = soon(1, start)
    return {
        "facility": (facility or world.gym).pk,
        "unit": world.home.pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(minutes=minutes)).isoformat(),
        **extra,
    }


def test_a_resident_books_until_the_slot_is_full_and_is_told_so(world: Club, api):
    first = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world, party_size=2))
    assert first.status_code == 201 and first.json()["status"] == "confirmed" and first.json()["places"] == 2
    full = post(api(world.neighbour), "/api/v1/club/bookings/", {**booking_body(world), "unit": world.units[1].pk})
    assert full.status_code == 409 and full.json()["error"]["code"] == "full"
    assert "starts_at" in full.json()["error"]["fields"]


def test_a_resident_books_only_for_their_own_home(world: Club, api):
    response = post(api(world.neighbour), "/api/v1/club/bookings/", booking_body(world))
    assert response.status_code == 404
    missing = post(
        api(world.resident), "/api/v1/club/bookings/", {k: v for k, v in booking_body(world).items() if k != "unit"}
    )
    assert missing.status_code == 400 and "unit" in missing.json()["error"]["fields"]


def test_the_quota_answer_and_an_idempotent_replay(world: Club, api):
    club.facility_update(facility=world.gym, quota_bookings_day=1)
    first = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world), HTTP_IDEMPOTENCY_KEY="b-1")
    replay = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world), HTTP_IDEMPOTENCY_KEY="b-1")
    assert first.status_code == 201 and replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    quota = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world, start="15:00"))
    assert quota.status_code == 409 and quota.json()["error"]["code"] == "quota_reached"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"party_size": 0}, "party_size"),
        ({"party_size": 3}, "party_size"),
        ({"facility": "x"}, "facility"),
        ({"ends_at": None}, "ends_at"),
        ({"starts_at": "9999-12-31T23:00:00Z", "ends_at": "9999-12-31T23:59:00Z"}, "starts_at"),
    ],
)
def test_bad_booking_input_is_a_field_error(world: Club, api, change, field):
    response = post(api(world.resident), "/api/v1/club/bookings/", {**booking_body(world), **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_a_paid_booking_is_held_for_payment_and_lists_among_mine(world: Club, api):
    held = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world, facility=world.court, minutes=90))
    assert held.status_code == 201
    data = held.json()
    assert data["status"] == "held" and data["price_fen"] == 6000 and data["deposit_fen"] == 10000
    assert data["hold_expires_at"]
    mine = api(world.resident).get("/api/v1/club/bookings/")
    assert [b["id"] for b in mine.json()["results"]] == [data["id"]]
    assert api(world.neighbour).get("/api/v1/club/bookings/").json()["results"] == []
    assert api(world.neighbour).get(f"/api/v1/club/bookings/{data['id']}/").status_code == 404


def test_cancel_by_the_resident_and_by_staff_with_a_reason(world: Club, api, member, tenant_a):
    clerk = member(tenant_a, ["customer_service"])
    mine = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world)).json()
    cancelled = post(api(world.resident), f"/api/v1/club/bookings/{mine['id']}/cancel/", {})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = post(api(world.resident), f"/api/v1/club/bookings/{mine['id']}/cancel/", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    other = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world, start="15:00")).json()
    no_reason = post(api(clerk), f"/api/v1/club/bookings/{other['id']}/cancel/", {})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    by_staff = post(api(clerk), f"/api/v1/club/bookings/{other['id']}/cancel/", {"reason": "场地维修"})
    assert by_staff.status_code == 200 and by_staff.json()["cancel_reason"] == "场地维修"


def test_staff_book_a_guest_and_approve_or_reject_what_needs_approval(world: Club, api, member, tenant_a):
    clerk = member(tenant_a, ["customer_service"])
    guest = post(
        api(clerk),
        "/api/v1/club/bookings/",
        {**booking_body(world, facility=world.court), "unit": None, "guest_name": "访客"},
    )
    # "unit": null is not a home: DRF refuses it on its field; without it the guest booking goes through
    assert guest.status_code == 400 and "unit" in guest.json()["error"]["fields"]
    body = {k: v for k, v in booking_body(world, facility=world.court).items() if k != "unit"} | {"guest_name": "访客"}
    guest = post(api(clerk), "/api/v1/club/bookings/", body)
    assert guest.status_code == 201 and guest.json()["price_fen"] == 6000 and guest.json()["unit"] is None
    club.facility_update(facility=world.gym, requires_approval=True)
    pending = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world)).json()
    assert pending["status"] == "pending"
    assert post(api(world.resident), f"/api/v1/club/bookings/{pending['id']}/approve/", {}).status_code == 403
    approved = post(api(clerk), f"/api/v1/club/bookings/{pending['id']}/approve/", {})
    assert approved.status_code == 200 and approved.json()["status"] == "confirmed"
    other = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world, start="15:00")).json()
    rejected = post(api(clerk), f"/api/v1/club/bookings/{other['id']}/reject/", {"reason": "有活动"})
    assert rejected.status_code == 200 and rejected.json()["rejected_reason"] == "有活动"
    assert Booking.objects.get(pk=other["id"]).status == "rejected"


def test_a_closure_over_a_booking_through_the_api(world: Club, api, member, tenant_a):
    clerk = member(tenant_a, ["customer_service"])
    mine = post(api(world.resident), "/api/v1/club/bookings/", booking_body(world)).json()
    body = {
        "kind": "one_off",
        "reason": "消防检查",
        "starts_at": soon(1, "09:00").isoformat(),
        "ends_at": soon(1, "12:00").isoformat(),
    }
    closed = post(api(clerk), f"/api/v1/club/facilities/{world.gym.pk}/closures/", body)
    assert closed.status_code == 201 and closed.json()["cancelled_bookings"] == [mine["id"]]
    assert api(world.resident).get(f"/api/v1/club/bookings/{mine['id']}/").json()["status"] == "cancelled"
    listed = api(world.resident).get(f"/api/v1/club/facilities/{world.gym.pk}/closures/").json()["results"]
    assert [c["reason"] for c in listed] == ["消防检查"]
    assert api(clerk).delete(f"/api/v1/club/closures/{closed.json()['id']}/").status_code == 204


def test_the_grid_written_directly_is_what_its_serializer_documents(world: Club):
    from backend.club.api_facilities import GridSerializer, grid_data
    from backend.club.availability import availability
    from backend.club.closures import closure_create

    closure_create(
        facility=world.gym, by=None, kind="one_off", reason="检修", starts_at=soon(1, "10:00"), ends_at=soon(1, "12:00")
    )
    grid = availability(facility=world.gym, first=soon(0, "00:00").date(), days_count=3)
    assert grid_data(grid) == GridSerializer(grid).data
