"""The gate API: a resident issues a pass for their home and security scans it (in, then refused again);
staff log a parcel and hand it over by code with a signature; residents see only their homes' passes and
parcels (a neighbour's and another company's are 404) and may not pick up; the schema documents it all."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from backend.gate import services as gate
from backend.gate.models import Parcel, ParcelStatus
from backend.properties import services as registry
from backend.properties.models import Unit
from tenants.db import connection

from .conftest import EVERYTHING, Gate, signature_png


def _parcel(world: Gate, unit: Unit, tracking: str = "SF0000000001") -> Parcel:
    return gate.parcel_log(
        by=world.guard, scope=EVERYTHING, unit_id=unit.pk, carrier="sf", tracking_number=tracking, shelf="A-1"
    )


def _other_company_parcel(tenant_b: Any, member: Any) -> Parcel:
    guard = member(tenant_b, ["security"])
    connection.set_tenant(tenant_b)
    office = registry.office_create(name="贝塔管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="贝塔苑", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
    )
    parcel = gate.parcel_log(
        by=guard,
        scope=EVERYTHING,
        unit_id=Unit.objects.get(building=building).pk,
        carrier="zto",
        tracking_number="ZT99999999",
        shelf="Z",
    )
    return parcel


def test_resident_issues_a_pass_and_security_lets_the_visitor_in_once(gate_world: Gate, client_for: Any) -> None:
    resident = client_for(gate_world.tenant, gate_world.resident)
    now = timezone.now()
    body = {
        "unit": gate_world.home.pk,
        "visitor_name": "张三",
        "plate": "浙A12345",
        "valid_from": now.isoformat(),
        "valid_until": (now + dt.timedelta(hours=3)).isoformat(),
    }
    created = resident.post("/api/v1/gate/passes/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["free_parking_minutes"] == 120 and data["share_path"].startswith("/v/")
    neighbour = client_for(gate_world.tenant, gate_world.neighbour)
    assert neighbour.get(f"/api/v1/gate/passes/{data['id']}/").status_code == 404
    foreign = neighbour.post("/api/v1/gate/passes/", body, content_type="application/json")
    assert foreign.status_code == 400 and set(foreign.json()["error"]["fields"]) == {"unit"}
    guard = client_for(gate_world.tenant, gate_world.guard)
    entered = guard.post("/api/v1/gate/scan/", {"code": data["code"]}, content_type="application/json")
    assert entered.status_code == 201 and entered.json()["direction"] == "in"
    again = guard.post("/api/v1/gate/scan/", {"code": data["code"].lower()}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "used"
    other_guard = client_for(gate_world.tenant, gate_world.other_guard)
    assert (
        other_guard.post("/api/v1/gate/scan/", {"code": data["code"]}, content_type="application/json").status_code
        == 403
    )
    out = guard.post("/api/v1/gate/scan/", {"code": data["code"], "direction": "out"}, content_type="application/json")
    assert out.status_code == 201 and out.json()["parked_minutes"] == 0 and out.json()["over_minutes"] == 0
    log = resident.get("/api/v1/gate/entries/").json()["results"]
    assert [e["direction"] for e in log] == ["out", "in"]
    assert neighbour.get("/api/v1/gate/entries/").json()["results"] == []
    assert other_guard.get("/api/v1/gate/entries/").json()["results"] == []


def test_parcels_are_seen_by_their_home_only_and_picked_up_once(
    gate_world: Gate, client_for: Any, tenant_b: Any, member: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    guard = client_for(gate_world.tenant, gate_world.guard)
    logged = guard.post(
        "/api/v1/gate/parcels/",
        {"unit": gate_world.home.pk, "carrier": "jd", "tracking_number": "JD0012345678", "shelf": "B-2"},
        content_type="application/json",
    )
    assert logged.status_code == 201, logged.content
    parcel = logged.json()
    connection.set_tenant(gate_world.tenant)
    _parcel(gate_world, gate_world.units[1])  # the neighbour's
    _parcel(gate_world, gate_world.other_units[0], "SF0000000002")  # another office's
    beta = _other_company_parcel(tenant_b, member)
    connection.set_schema_to_public()

    resident = client_for(gate_world.tenant, gate_world.resident)
    mine = resident.get("/api/v1/gate/parcels/?status=waiting").json()["results"]
    assert [p["id"] for p in mine] == [parcel["id"]] and mine[0]["pickup_code"] == parcel["pickup_code"]
    neighbour = client_for(gate_world.tenant, gate_world.neighbour)
    assert neighbour.get(f"/api/v1/gate/parcels/{parcel['id']}/").status_code == 404
    assert parcel["id"] not in [p["id"] for p in neighbour.get("/api/v1/gate/parcels/").json()["results"]]
    scoped = guard.get("/api/v1/gate/parcels/").json()["results"]
    assert len(scoped) == 2  # 西湖's two, not 滨江's
    assert "ZT99999999" not in guard.get(f"/api/v1/gate/parcels/{beta.pk}/").content.decode()

    # Residents never hand parcels over, their own neither; a wrong code is refused.
    pickup = {"code": parcel["pickup_code"], "name": "王业主", "signature": signature_png()}
    assert resident.post("/api/v1/gate/parcels/pickup/", pickup, content_type="application/json").status_code == 403
    wrong = {**pickup, "code": "999999" if parcel["pickup_code"] != "999999" else "888888"}
    assert guard.post("/api/v1/gate/parcels/pickup/", wrong, content_type="application/json").status_code == 404
    blank = {**pickup, "signature": signature_png(ink=False)}
    refused = guard.post("/api/v1/gate/parcels/pickup/", blank, content_type="application/json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"signature"}
    # Another company's code is not found here.
    beta_code = {**pickup, "code": beta.pickup_code}
    if beta.pickup_code != parcel["pickup_code"]:
        assert guard.post("/api/v1/gate/parcels/pickup/", beta_code, content_type="application/json").status_code == 404
    done = guard.post("/api/v1/gate/parcels/pickup/", pickup, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "collected" and done.json()["pickup_code"] == ""
    connection.set_tenant(gate_world.tenant)
    assert Parcel.objects.get(pk=parcel["id"]).status == ParcelStatus.COLLECTED
    connection.set_schema_to_public()
    again = guard.post("/api/v1/gate/parcels/pickup/", pickup, content_type="application/json")
    assert again.status_code == 404


def test_the_schema_documents_the_gate(gate_world: Gate, client_for: Any, member: Any) -> None:
    admin = client_for(gate_world.tenant, member(gate_world.tenant, ["company_admin"]))
    schema = admin.get("/api/schema/?format=json").json()
    for route in (
        "/api/v1/gate/passes/",
        "/api/v1/gate/passes/{id}/",
        "/api/v1/gate/passes/{id}/cancel/",
        "/api/v1/gate/scan/",
        "/api/v1/gate/entries/",
        "/api/v1/gate/parcels/",
        "/api/v1/gate/parcels/{id}/",
        "/api/v1/gate/parcels/pickup/",
    ):
        assert route in schema["paths"], route
