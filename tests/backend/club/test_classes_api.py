"""The classes API: staff set up a teacher, a class and its sessions and publish it; a resident enrols for
their home, pays the charge line, withdraws; staff read the teacher's statement as JSON, PDF and xlsx. Company
B and another office's staff see none of it (404 by id, empty lists); residents cannot manage classes."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from backend.billing import ledger
from backend.club.models import Enrolment
from tenants.db import connection

from . import test_api
from .conftest import Club
from .test_api import post, scoped, soon
from .test_classes import fee_item

pytestmark = pytest.mark.django_db

api = test_api.api  # the fixture: a signed-in client for a user


@pytest.fixture
def staff(world: Club, member: Any, tenant_a: Any) -> Any:
    user = member(tenant_a, ["customer_service"])
    connection.set_tenant(tenant_a)
    return user


def setup_class(world: Club, client: Any, seats: int = 5) -> dict[str, Any]:
    teacher = post(client, "/api/v1/club/teachers/", {"name": "林老师", "phone": "13900000000", "share_percent": 60})
    assert teacher.status_code == 201, teacher.content
    item = fee_item(world.office)
    made = post(
        client,
        "/api/v1/club/classes/",
        {
            "facility": world.gym.pk,
            "teacher": teacher.json()["id"],
            "title": "瑜伽班",
            "seats": seats,
            "price_fen": 60000,
            "fee_item": item.pk,
        },
    )
    assert made.status_code == 201, made.content
    klass = made.json()
    assert klass["status"] == "draft" and klass["seats_left"] == seats
    for days in (2, 9):
        session = post(
            client,
            f"/api/v1/club/classes/{klass['id']}/sessions/",
            {"starts_at": soon(days, "19:00").isoformat(), "ends_at": soon(days, "20:00").isoformat()},
        )
        assert session.status_code == 201, session.content
    published = post(client, f"/api/v1/club/classes/{klass['id']}/publish/", {})
    assert published.status_code == 200 and published.json()["status"] == "open"
    return {"teacher": teacher.json()["id"], "class": klass["id"]}


def test_staff_set_up_a_class_and_a_resident_enrols_pays_and_withdraws(world: Club, api, staff):
    staff_client = api(staff)
    ids = setup_class(world, staff_client)
    resident = api(world.resident)
    listed = resident.get("/api/v1/club/classes/")
    assert [c["id"] for c in listed.json()["results"]] == [ids["class"]]
    enrolled = post(resident, f"/api/v1/club/classes/{ids['class']}/enrol/", {"unit": world.home.pk})
    assert enrolled.status_code == 201, enrolled.content
    body = enrolled.json()
    assert body["charge"] and body["paid_at"] is None and body["price_fen"] == 60000
    ledger.payment_record(unit=world.home, amount=60000, method="card", channel="online", line_ids=[body["charge"]])
    mine = resident.get("/api/v1/club/enrolments/").json()["results"]
    assert [e["id"] for e in mine] == [body["id"]] and mine[0]["paid_at"]
    # staff see the class's enrolments; the neighbour sees none of the resident's
    assert len(staff_client.get(f"/api/v1/club/enrolments/?class={ids['class']}").json()["results"]) == 1
    assert api(world.neighbour).get("/api/v1/club/enrolments/").json()["results"] == []
    assert post(api(world.neighbour), f"/api/v1/club/enrolments/{body['id']}/withdraw/", {}).status_code == 404
    withdrawn = post(resident, f"/api/v1/club/enrolments/{body['id']}/withdraw/", {})
    assert withdrawn.status_code == 200 and withdrawn.json()["refunded_fen"] == 60000
    again = post(resident, f"/api/v1/club/enrolments/{body['id']}/withdraw/", {})
    assert again.status_code == 409


def test_a_session_over_a_booking_is_a_409_naming_it(world: Club, api, staff):
    staff_client = api(staff)
    ids = setup_class(world, staff_client)
    booked = post(
        api(world.resident),
        "/api/v1/club/bookings/",
        {
            "facility": world.gym.pk,
            "unit": world.home.pk,
            "starts_at": soon(3, "10:00").isoformat(),
            "ends_at": soon(3, "11:00").isoformat(),
        },
    )
    assert booked.status_code == 201, booked.content
    refused = post(
        staff_client,
        f"/api/v1/club/classes/{ids['class']}/sessions/",
        {"starts_at": soon(3, "10:00").isoformat(), "ends_at": soon(3, "11:00").isoformat()},
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "bookings_in_the_way"
    assert booked.json()["code"] in refused.json()["error"]["message"]
    # and a booking in a session's hour is refused
    blocked = post(
        api(world.neighbour),
        "/api/v1/club/bookings/",
        {
            "facility": world.gym.pk,
            "unit": world.units[1].pk,
            "starts_at": soon(2, "19:00").isoformat(),
            "ends_at": soon(2, "20:00").isoformat(),
        },
    )
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "full"


def test_the_statement_as_json_pdf_and_xlsx(world: Club, api, staff, member, tenant_a):
    staff_client = api(staff)
    ids = setup_class(world, staff_client)
    finance = api(member(tenant_a, ["finance"]))
    month = soon(2, "19:00").strftime("%Y-%m")
    url = f"/api/v1/club/teachers/{ids['teacher']}/statement/?month={month}"
    data = finance.get(url)
    assert data.status_code == 200, data.content
    assert data.json()["teacher"]["name"] == "林老师" and data.json()["share_percent"] == 60
    pdf = finance.get(url + "&output=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = finance.get(url + "&output=xlsx")
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).active["B1"].value == "林老师"
    assert finance.get(f"/api/v1/club/teachers/{ids['teacher']}/statement/?month=2030-13").status_code == 400
    assert api(world.resident).get(url).status_code == 403


def test_residents_cannot_manage_and_other_companies_and_offices_see_nothing(
    world: Club, api, staff, member, tenant_a, tenant_b, client_for
):
    ids = setup_class(world, api(staff))
    resident = api(world.resident)
    assert post(resident, "/api/v1/club/teachers/", {"name": "x", "share_percent": 1}).status_code == 403
    assert post(resident, f"/api/v1/club/classes/{ids['class']}/cancel/", {"reason": "x"}).status_code == 403
    # another office's staff: not found
    other = api(scoped(member, tenant_a, ["customer_service"], scope_office_ids=[world.other_office.pk]))
    assert other.get(f"/api/v1/club/classes/{ids['class']}/").status_code == 404
    assert other.get("/api/v1/club/classes/").json()["results"] == []
    assert post(other, f"/api/v1/club/classes/{ids['class']}/cancel/", {"reason": "x"}).status_code == 404
    # a resident of the other estate does not see the class
    assert api(world.other_resident).get(f"/api/v1/club/classes/{ids['class']}/").status_code == 404
    # company B: nothing at all
    admin_b = member(tenant_b, ["company_admin"])
    b = client_for(tenant_b, admin_b)
    assert b.get(f"/api/v1/club/classes/{ids['class']}/").status_code == 404
    assert b.get("/api/v1/club/classes/").json()["results"] == []
    assert b.get("/api/v1/club/teachers/").json()["results"] == []
    assert b.get(f"/api/v1/club/teachers/{ids['teacher']}/statement/?month=2030-01").status_code == 404
    assert post(b, f"/api/v1/club/classes/{ids['class']}/cancel/", {"reason": "x"}).status_code == 404
    connection.set_tenant(tenant_a)
    assert not Enrolment.objects.exists()
