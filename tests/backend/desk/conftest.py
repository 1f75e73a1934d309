"""A small service desk in company alpha: office 西湖 (estate 阳光花园, units 101 102 201 202) and office 滨江
(estate 江景苑); a resident (owner of 101) and a neighbour (owner of 102); an engineer and a customer-service
supervisor scoped to 西湖, an engineer scoped to 滨江; categories plumbing (free, normal) and electrical in-unit
paid (有偿), and leaks (revisit after the leak test).

Times are fixed: NOW is Monday 2030-03-04 09:00 in Shanghai; business hours are the default (Mon–Sat
08:30–12:00, 13:30–17:30)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from backend.accounts.models import Membership
from backend.desk import services as desk
from backend.desk.models import RepairCategory, RevisitRule
from backend.properties import services as registry
from backend.properties.models import Estate, ManagementOffice, Person, Unit
from backend.properties.scope import Scope
from backend.uploads.kinds import REPAIR_PHOTO
from backend.uploads.validation import AcceptedUpload, upload_accept

EVERYTHING = Scope.everything()
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)  # a Monday


def at(days: int, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    day = NOW.date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def photo(colour: str = "red") -> AcceptedUpload:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "p.png"  # type: ignore[attr-defined]
    return upload_accept(kind=REPAIR_PHOTO, upload=buffer)


def move_in(unit: Unit, user: Any, name: str) -> None:
    person = registry.person_create(name=name, phone=f"139{user.pk % 100000000:08d}")
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    registry.occupancy_move_in(
        unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=EVERYTHING
    )


def scoped(user: Any, tenant: Any, *, office_ids: list[int]) -> None:
    Membership.objects.filter(user=user, tenant=tenant).update(scope_all=False, scope_office_ids=office_ids)


@dataclass
class Desk:
    tenant: Any
    office: ManagementOffice
    estate: Estate
    other_office: ManagementOffice
    other_estate: Estate
    units: list[Unit]
    other_units: list[Unit]
    resident: Any
    neighbour: Any
    engineer: Any
    engineer2: Any
    other_engineer: Any
    supervisor: Any
    other_supervisor: Any
    plumbing: RepairCategory
    electrical: RepairCategory
    leak: RepairCategory

    @property
    def home(self) -> Unit:
        return self.units[0]

    @property
    def scope(self) -> Scope:
        return Scope(all_offices=False, office_ids=frozenset({self.office.pk}))


@pytest.fixture
def world(in_tenant_a: Any, member: Any) -> Desk:
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
    resident, neighbour = member(in_tenant_a, ["resident"]), member(in_tenant_a, ["resident"])
    engineer, engineer2, other_engineer = (member(in_tenant_a, ["engineer"]) for _ in range(3))
    supervisor, other_supervisor = member(in_tenant_a, ["customer_service"]), member(in_tenant_a, ["customer_service"])
    connection.set_tenant(in_tenant_a)
    for user in (engineer, engineer2, supervisor):
        scoped(user, in_tenant_a, office_ids=[office.pk])
    for user in (other_engineer, other_supervisor):
        scoped(user, in_tenant_a, office_ids=[other_office.pk])
    move_in(units[0], resident, "王业主")
    move_in(units[1], neighbour, "李邻居")
    plumbing = desk.category_save(code="plumbing", name="水管", targets={"normal": (60, 480)})
    electrical = desk.category_save(code="electrical", name="电路(有偿)", paid=True, default_priority="high")
    leak = desk.category_save(code="leak", name="渗漏", revisit_rule=RevisitRule.LEAK)
    return Desk(
        in_tenant_a,
        office,
        estate,
        other_office,
        other_estate,
        units,
        other_units,
        resident,
        neighbour,
        engineer,
        engineer2,
        other_engineer,
        supervisor,
        other_supervisor,
        plumbing,
        electrical,
        leak,
    )
