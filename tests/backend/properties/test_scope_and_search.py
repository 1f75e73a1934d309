"""Data scope (数据权限): staff scoped to one office see only that office in pages, API, search and exports.
The search box finds units and people by number, name, phone or part of an ID number."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from openpyxl import load_workbook

from backend.properties import services
from backend.properties.models import Unit

from .conftest import EVERYTHING, ID_A, ID_B, scoped_member


@pytest.fixture
def people(registry, person_factory):
    here = Unit.objects.filter(building=registry.building).order_by("number").first()
    there = Unit.objects.filter(building=registry.other_building).order_by("number").first()
    west = person_factory(name="西湖业主", phone="13911110000", id_number=ID_A)
    east = person_factory(name="滨江业主", phone="13922220000", id_number=ID_B)
    services.occupancy_move_in(
        unit_id=here.pk, person=west, role="owner", start_date=dt.date(2024, 1, 1), scope=EVERYTHING
    )
    services.occupancy_move_in(
        unit_id=there.pk, person=east, role="owner", start_date=dt.date(2024, 1, 1), scope=EVERYTHING
    )
    return {"here": here, "there": there, "west": west, "east": east}


def test_scoped_staff_see_only_their_office(tenant_a, member, client_for, registry, people):
    user = scoped_member(member, tenant_a, ["customer_service"], [registry.office.pk])
    client = client_for(tenant_a, user)
    office_ids = {o["id"] for o in client.get("/api/v1/offices/").json()["results"]}
    assert office_ids == {registry.office.pk}
    assert {e["id"] for e in client.get("/api/v1/estates/").json()["results"]} == {registry.estate.pk}
    units = client.get("/api/v1/units/?page_size=200").json()["results"]
    assert units and {u["office"] for u in units} == {registry.office.pk}
    assert client.get(f"/api/v1/units/{people['there'].pk}/").status_code == 404
    assert [p["name"] for p in client.get("/api/v1/people/").json()["results"]] == ["西湖业主"]
    assert client.get(f"/api/v1/people/{people['east'].pk}/").status_code == 404
    # pages
    page = client.get("/staff/units/").content.decode()
    assert "阳光花园" in page and "江景苑" not in page
    assert client.get(f"/staff/units/{people['there'].pk}/").status_code == 404
    tree = client.get("/staff/registry/").content.decode()
    assert "西湖管理处" in tree and "滨江管理处" not in tree
    # search
    hits = client.get("/api/v1/search/?q=业主").json()["results"]
    assert [h["title"] for h in hits] == ["西湖业主"]
    assert client.get("/api/v1/search/?q=江景").json()["results"] == []
    # exports
    wb = load_workbook(io.BytesIO(client.get("/staff/units/export.xlsx").content))
    estates = {row[0] for row in wb.active.iter_rows(min_row=2, values_only=True)}
    assert estates == {"阳光花园"}
    wb = load_workbook(io.BytesIO(client.get("/staff/units/residents.xlsx").content))
    names = {row[3] for row in wb.active.iter_rows(min_row=2, values_only=True)}
    assert names == {"西湖业主"}


def test_scoped_staff_cannot_write_outside_their_office(tenant_a, member, client_for, registry, people):
    user = scoped_member(member, tenant_a, ["customer_service"], [registry.office.pk])
    client = client_for(tenant_a, user)
    assert (
        client.post(
            "/api/v1/units/bulk-update/",
            {"unit_ids": [people["there"].pk], "status": "custody"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/buildings/{registry.other_building.pk}/generate-units/",
            {"last_floor": 3, "units_per_floor": 2, "area": "50"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/buildings/", {"estate": registry.other_estate.pk, "name": "X"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.post("/api/v1/offices/", {"name": "新管理处"}, content_type="application/json").status_code == 403
    connection.set_tenant(tenant_a)
    assert Unit.objects.get(pk=people["there"].pk).status == "occupied"


def test_estate_scope_limits_to_that_estate(tenant_a, member, client_for, registry, people):
    from backend.accounts.models import Membership

    user = member(tenant_a, ["finance"])
    Membership.objects.filter(user=user, tenant=tenant_a).update(
        scope_all=False, scope_estate_ids=[registry.other_estate.pk]
    )
    units = client_for(tenant_a, user).get("/api/v1/units/?page_size=200").json()["results"]
    assert {u["estate"] for u in units} == {registry.other_estate.pk}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("1201", None),  # no such unit in this fixture
        ("101", "阳光花园 1栋 101"),
        ("阳光花园 1栋 2", "阳光花园 1栋 201"),
        ("西湖业主", "西湖业主"),
        ("西湖", "西湖业主"),  # two characters: name prefix
        ("13911110000", "西湖业主"),
        ("1111", "西湖业主"),  # part of a phone
        ("4258", "西湖业主"),  # last digits of an ID number
        ("19900307", "西湖业主"),  # birth date inside an ID number
    ],
)
def test_one_box_finds_units_and_people(tenant_a, member, client_for, registry, people, q, expected):
    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    titles = [h["title"] for h in client.get(f"/api/v1/search/?q={q}").json()["results"]]
    if expected is None:
        assert titles == []
    else:
        assert expected in titles


def test_search_results_never_show_a_full_phone(tenant_a, member, client_for, people):
    hits = client_for(tenant_a, member(tenant_a, ["security"])).get("/api/v1/search/?q=13911110000").json()
    assert all("13911110000" not in h["subtitle"] for h in hits["results"])


def test_trigram_indexes_exist_where_pg_trgm_is_installed(in_tenant_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            pytest.fail("this server has pg_trgm available; accounts migration 0002 should have installed it")
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'alpha' AND indexname LIKE '%%_trgm'")
        assert {r[0] for r in cursor.fetchall()} == {"unit_search_trgm", "person_search_trgm"}


def test_company_admin_sets_a_members_scope_and_it_takes_effect(tenant_a, member, client_for, registry, people):
    from backend.accounts.models import Membership
    from backend.audit.models import AuditEntry

    admin_client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    staff = member(tenant_a, ["finance"])
    membership = Membership.objects.get(user=staff, tenant=tenant_a)
    response = admin_client.post(
        f"/staff/members/{membership.pk}/",
        {
            "roles": ["finance"],
            "scope_office_ids": [str(registry.other_office.pk)],
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.scope_all, membership.scope_office_ids) == (False, [registry.other_office.pk])
    units = client_for(tenant_a, staff).get("/api/v1/units/?page_size=200").json()["results"]
    assert {u["office"] for u in units} == {registry.other_office.pk}
    connection.set_tenant(tenant_a)
    assert AuditEntry.objects.filter(action="membership.scope_set", object_id=str(membership.pk)).exists()

    empty = admin_client.post(f"/staff/members/{membership.pk}/", {"roles": ["finance"]})
    assert empty.status_code == 400 and 'data-error-for="scope_office_ids"' in empty.content.decode()
    api = admin_client.patch(f"/api/v1/members/{membership.pk}/", {"scope_all": True}, content_type="application/json")
    assert api.status_code == 200 and api.json()["scope_all"] is True


def test_exporting_residents_in_full_is_audited(tenant_a, member, client_for, registry, people):
    from backend.audit.models import AuditEntry

    full = client_for(tenant_a, member(tenant_a, ["finance"]))
    masked = client_for(tenant_a, member(tenant_a, ["engineer"]))
    rows = list(
        load_workbook(io.BytesIO(full.get("/staff/units/residents.xlsx").content)).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    assert ID_A in {r[5] for r in rows}
    rows = list(
        load_workbook(io.BytesIO(masked.get("/staff/units/residents.xlsx").content)).active.iter_rows(
            min_row=2, values_only=True
        )
    )
    assert ID_A not in {r[5] for r in rows} and "1101**********4258" in {r[5] for r in rows}
    connection.set_tenant(tenant_a)
    [entry] = AuditEntry.objects.filter(action="person.export_full")
    assert len(rows) >= 2 and str(len(rows)) in entry.object_repr  # the count of rows actually written


def test_parking_spaces_are_added_from_the_tree_page(tenant_a, member, client_for, registry):
    from backend.properties.models import ParkingSpace

    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    response = client.post(
        "/staff/registry/",
        {"add": "parking", "parking-estate": registry.estate.pk, "parking-number": "B1-001", "parking-kind": "owned"},
    )
    assert response.status_code == 302
    again = client.post(
        "/staff/registry/",
        {"add": "parking", "parking-estate": registry.estate.pk, "parking-number": "B1-001", "parking-kind": "owned"},
    )
    assert again.status_code == 400
    connection.set_tenant(tenant_a)
    assert ParkingSpace.objects.get(number="B1-001").office_id == registry.office.pk
