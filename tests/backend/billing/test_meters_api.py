"""The meters and readings API: roles, scope, tenant isolation, field errors, review and import."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection

from backend.accounts.models import Membership
from backend.billing import meters
from backend.billing.models import Meter, MeterReading
from backend.properties import services as registry
from backend.properties.models import Unit

from .conftest import EVERYTHING, World
from .test_meters import history, month, rec, shared_item
from .test_meters_import import xlsx


@pytest.fixture
def api(world: World, tenant_a: Any, member: Any, client_for: Any) -> Any:
    """api(roles, office_ids=None) -> a client on alpha signed in with those roles (optionally office-scoped);
    leaves the connection on alpha for ORM use."""

    def make(roles: list[str], office_ids: list[int] | None = None) -> Any:
        user = member(tenant_a, roles)
        if office_ids is not None:
            Membership.objects.filter(user=user, tenant=tenant_a).update(scope_all=False, scope_office_ids=office_ids)
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        client.user = user
        return client

    return make


def errors_of(response: Any) -> dict[str, list[str]]:
    return response.json()["error"]["fields"]


def test_finance_sets_up_a_unit_meter_and_engineers_may_not(world: World, api: Any) -> None:
    finance = api(["finance"])
    response = finance.post(
        "/api/v1/meters/",
        {"kind": "water", "number": "W-101", "unit": world.units[0].pk, "multiplier": "1"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["unit"], body["estate"], body["shared"], body["unit_label"]) == (
        world.units[0].pk,
        world.estate.pk,
        False,
        world.units[0].label,
    )
    engineer = api(["engineer"])
    denied = engineer.post(
        "/api/v1/meters/",
        {"kind": "water", "number": "W-102", "unit": world.units[1].pk},
        content_type="application/json",
    )
    assert denied.status_code == 403
    assert (
        engineer.patch(
            f"/api/v1/meters/{body['id']}/", {"multiplier": "2"}, content_type="application/json"
        ).status_code
        == 403
    )
    # security reads meters
    listed = api(["security"]).get("/api/v1/meters/?kind=water").json()
    assert [m["number"] for m in listed["results"]] == ["W-101"]


def test_meter_field_errors(world: World, api: Any) -> None:
    finance = api(["finance"])
    meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W-101")
    response = finance.post(
        "/api/v1/meters/",
        {"kind": "water", "number": "W-101", "unit": world.units[1].pk, "multiplier": "0"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(errors_of(response)) == {"number", "multiplier"}
    response = finance.post("/api/v1/meters/", {"kind": "steam", "number": "X"}, content_type="application/json")
    assert response.status_code == 400 and "kind" in errors_of(response)
    response = finance.post(
        "/api/v1/meters/",
        {
            "kind": "electricity",
            "number": "E-1",
            "estate": world.estate.pk,
            "fee_item": world.water.pk,
            "building_ids": [world.building.pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "fee_item" in errors_of(response)
    assert finance.get("/api/v1/meters/?shared=maybe").status_code == 400


def test_a_shared_meter_through_the_api(world: World, api: Any) -> None:
    item = shared_item(world)
    finance = api(["company_admin"])
    response = finance.post(
        "/api/v1/meters/",
        {
            "kind": "electricity",
            "number": "E-LIFT",
            "estate": world.estate.pk,
            "fee_item": item.pk,
            "building_ids": [world.building2.pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["shared"] and body["shared_units"] == sorted(u.pk for u in world.units2)
    patched = finance.patch(
        f"/api/v1/meters/{body['id']}/", {"unit_ids": [world.units[0].pk]}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["shared_units"] == [world.units[0].pk]
    # a building's meters: its units' own and the shared ones covering it
    own = meters.meter_create(scope=EVERYTHING, unit_id=world.units[1].pk, kind="water", number="W-102")
    listed = finance.get(f"/api/v1/meters/?building={world.building.pk}").json()["results"]
    assert sorted(m["id"] for m in listed) == sorted([own.pk, body["id"]])
    assert finance.get(f"/api/v1/meters/?building={world.building2.pk}").json()["results"] == []
    assert [m["id"] for m in finance.get("/api/v1/meters/?shared=true").json()["results"]] == [body["id"]]


def test_engineers_record_readings_and_finance_reviews_them(world: World, api: Any) -> None:
    meter = meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W-101")
    last = history(meter, usages=(10, 10, 10))
    engineer = api(["engineer"])
    response = engineer.post(
        "/api/v1/readings/",
        {"meter": meter.pk, "period": "2026-05", "reading": str(last + 100), "read_on": "2026-05-30"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    reading = response.json()
    assert (reading["status"], reading["usage"], reading["period"]) == ("flagged", "100.00", "2026-05")
    assert reading["flag_reason"]
    assert MeterReading.objects.get(pk=reading["id"]).entered_by_id == engineer.user.pk
    # security reads but does not record
    security = api(["security"])
    assert security.get(f"/api/v1/readings/?meter={meter.pk}").status_code == 200
    assert (
        security.post(
            "/api/v1/readings/",
            {"meter": meter.pk, "period": "2026-06", "reading": "1"},
            content_type="application/json",
        ).status_code
        == 403
    )
    # the engineer cannot confirm
    assert engineer.post(f"/api/v1/readings/{reading['id']}/confirm/").status_code == 403
    finance = api(["finance"])
    queue = finance.get("/api/v1/readings/?status=flagged&period=2026-05").json()["results"]
    assert [r["id"] for r in queue] == [reading["id"]]
    confirmed = finance.post(f"/api/v1/readings/{reading['id']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["reviewed_by"] == finance.user.pk
    again = finance.post(f"/api/v1/readings/{reading['id']}/confirm/")
    assert again.status_code == 400


def test_rejecting_needs_a_reason(world: World, api: Any) -> None:
    meter = meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W-101")
    rec(meter, month(1), 100)
    low = rec(meter, month(2), 50)
    finance = api(["finance"])
    response = finance.post(f"/api/v1/readings/{low.pk}/reject/", {"reason": ""}, content_type="application/json")
    assert response.status_code == 400 and "reason" in errors_of(response)
    response = finance.post(f"/api/v1/readings/{low.pk}/reject/", {"reason": "看错"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_reading_field_errors(world: World, api: Any) -> None:
    meter = meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W-101")
    engineer = api(["engineer"])

    def post(body: dict[str, Any]) -> Any:
        return engineer.post("/api/v1/readings/", {"meter": meter.pk, **body}, content_type="application/json")

    assert "reading" in errors_of(post({"period": "2026-05", "reading": "abc"}))
    assert "period" in errors_of(post({"period": "2026-13", "reading": "1"}))
    assert "period" in errors_of(post({"period": "2099-01", "reading": "1"}))
    assert "read_on" in errors_of(post({"period": "2026-05", "reading": "1", "read_on": "2026-04-30"}))
    response = engineer.post(
        "/api/v1/readings/", {"meter": 999999, "period": "2026-05", "reading": "1"}, content_type="application/json"
    )
    assert response.status_code == 400 and "meter" in errors_of(response)
    assert engineer.get("/api/v1/readings/?status=odd").status_code == 400
    assert engineer.get("/api/v1/readings/?period=July").status_code == 400
    assert not MeterReading.objects.exists()


def test_staff_see_and_touch_only_meters_of_their_offices(world: World, api: Any) -> None:
    office = registry.office_create(name="第二管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="银色家园", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="9栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="70", scope=EVERYTHING
    )
    there = meters.meter_create(
        scope=EVERYTHING, unit_id=Unit.objects.get(building=building).pk, kind="water", number="W-THERE"
    )
    here = meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W-HERE")
    rec(there, month(1), 10)
    flagged = rec(there, month(2), 5)
    client = api(["finance"], office_ids=[world.office.pk])
    assert [m["number"] for m in client.get("/api/v1/meters/").json()["results"]] == ["W-HERE"]
    assert client.get(f"/api/v1/meters/{there.pk}/").status_code == 404
    assert client.get(f"/api/v1/meters/{here.pk}/").status_code == 200
    assert client.get("/api/v1/readings/").json()["results"] == []
    assert client.post(f"/api/v1/readings/{flagged.pk}/confirm/").status_code == 404
    response = client.post(
        "/api/v1/readings/", {"meter": there.pk, "period": "2026-03", "reading": "20"}, content_type="application/json"
    )
    assert response.status_code == 400 and "meter" in errors_of(response)
    assert (
        client.patch(f"/api/v1/meters/{there.pk}/", {"number": "X"}, content_type="application/json").status_code == 404
    )


def test_residents_and_other_companies_get_nothing(
    world: World, api: Any, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    meter = meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W-101")
    reading = rec(meter, month(1), 10)
    resident = api(["resident"])
    assert resident.get("/api/v1/meters/").status_code == 403
    assert resident.get(f"/api/v1/readings/?meter={meter.pk}").status_code == 403
    # beta's finance on beta's domain: alpha's meter and reading do not exist there
    beta = client_for(tenant_b, member(tenant_b, ["finance"]))
    assert beta.get(f"/api/v1/meters/{meter.pk}/").status_code == 404
    assert beta.post(f"/api/v1/readings/{reading.pk}/confirm/").status_code == 404
    assert beta.get("/api/v1/meters/").json()["results"] == []
    # beta's session presented on alpha's domain is no sign-in at all
    stranger = client_for(tenant_a)
    stranger.cookies["sessionid"] = client_for(tenant_b, member(tenant_b, ["finance"])).cookies["sessionid"].value
    assert stranger.get(f"/api/v1/meters/{meter.pk}/").status_code == 401


def test_import_through_the_api(world: World, api: Any) -> None:
    meters.meter_create(scope=EVERYTHING, unit_id=world.units[0].pk, kind="water", number="W-1")
    client = api(["engineer"])
    data = xlsx([[world.estate.name, "W-1", "2026-01", 100, ""], [world.estate.name, "W-1", "2026-02", 112, ""]])
    response = client.post("/api/v1/readings/import/", {"file": io.BytesIO(data)})
    assert response.status_code == 200, response.content
    assert response.json() | {"errors": []} == {
        "rows": 2,
        "created": 2,
        "replaced": 0,
        "unchanged": 0,
        "flagged": 0,
        "errors": [],
    }
    bad = xlsx([[world.estate.name, "W-404", "2026-03", 1, ""]])
    response = client.post("/api/v1/readings/import/", {"file": io.BytesIO(bad)})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "import_failed"
    assert [(r["row"], r["column"]) for r in body["rows"]] == [(2, "表号")]
    response = client.post("/api/v1/readings/import/", {})
    assert response.status_code == 400 and "file" in errors_of(response)
    assert api(["security"]).post("/api/v1/readings/import/", {"file": io.BytesIO(data)}).status_code == 403
    assert Meter.objects.get().readings.count() == 2
