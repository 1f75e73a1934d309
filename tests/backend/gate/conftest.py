"""A small gate in company alpha: office 西湖 (estate 阳光花园, units 101 102 201 202) and office 滨江 (estate
江景苑); a resident (owner of 101), a neighbour (owner of 102) and the resident's household member (also of
101); security and reception scoped to 西湖, security scoped to 滨江.

Times are fixed: NOW is Monday 2030-03-04 09:00 in Shanghai."""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw

from backend.accounts.models import Membership
from backend.properties import services as registry
from backend.properties.models import Estate, ManagementOffice, Person, Unit
from backend.properties.scope import Scope

EVERYTHING = Scope.everything()
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)  # a Monday


def at(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def signature_png(*, ink: bool = True) -> str:
    """A signature as the page's canvas sends it: a PNG data URL (a stroke, or nothing drawn)."""
    image = Image.new("RGBA", (300, 110), (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line([(20, 80), (90, 20), (160, 85), (280, 30)], fill=(10, 10, 10, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def move_in(unit: Unit, user: Any, name: str, role: str = "owner") -> None:
    person = registry.person_create(name=name, phone=f"139{user.pk % 100000000:08d}")
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    registry.occupancy_move_in(
        unit_id=unit.pk, person=person, role=role, start_date=dt.date(2025, 1, 1), scope=EVERYTHING
    )


def scoped(user: Any, tenant: Any, *, office_ids: list[int]) -> None:
    Membership.objects.filter(user=user, tenant=tenant).update(scope_all=False, scope_office_ids=office_ids)


@dataclass
class Gate:
    tenant: Any
    office: ManagementOffice
    estate: Estate
    other_office: ManagementOffice
    units: list[Unit]
    other_units: list[Unit]
    resident: Any
    household: Any
    neighbour: Any
    guard: Any
    reception: Any
    other_guard: Any

    @property
    def home(self) -> Unit:
        return self.units[0]

    @property
    def scope(self) -> Scope:
        return Scope(all_offices=False, office_ids=frozenset({self.office.pk}))

    @property
    def other_scope(self) -> Scope:
        return Scope(all_offices=False, office_ids=frozenset({self.other_office.pk}))


@pytest.fixture
def gate_world(in_tenant_a: Any, member: Any) -> Gate:
    from tenants.db import connection

    office = registry.office_create(name="西湖管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="阳光花园", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=2, units_per_floor=2, area="89.50", scope=EVERYTHING
    )
    other_office = registry.office_create(name="滨江管理处", scope=EVERYTHING)
    other_estate = registry.estate_create(office_id=other_office.pk, name="江景苑", scope=EVERYTHING)
    other_building = registry.building_create(estate_id=other_estate.pk, name="A座", scope=EVERYTHING)
    registry.units_generate(
        building_id=other_building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="120", scope=EVERYTHING
    )
    units = list(Unit.objects.filter(building=building).order_by("floor", "number"))
    other_units = list(Unit.objects.filter(building=other_building).order_by("number"))
    resident, household, neighbour = (member(in_tenant_a, ["resident"]) for _ in range(3))
    guard, other_guard = member(in_tenant_a, ["security"]), member(in_tenant_a, ["security"])
    reception = member(in_tenant_a, ["customer_service"])
    connection.set_tenant(in_tenant_a)
    for user in (guard, reception):
        scoped(user, in_tenant_a, office_ids=[office.pk])
    scoped(other_guard, in_tenant_a, office_ids=[other_office.pk])
    move_in(units[0], resident, "王业主")
    move_in(units[0], household, "王小明", role="member")
    move_in(units[1], neighbour, "李邻居")
    return Gate(
        in_tenant_a,
        office,
        estate,
        other_office,
        units,
        other_units,
        resident,
        household,
        neighbour,
        guard,
        reception,
        other_guard,
    )
