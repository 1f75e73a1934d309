"""Renovation in company alpha: office 西湖 (estate 阳光花园, units 101 102 201 202) and office 滨江 (estate
江景苑). The resident owns 101, the neighbour owns 102, a tenant (租户, not an owner) rents 201. Customer
service, an engineer, finance and security are scoped to 西湖; another customer-service member to 滨江. The
company asks a ¥2,000 deposit and a ¥300 debris fee. Dates are the company's today onwards (an application
cannot start in the past)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from backend.accounts.models import Membership
from backend.properties import services as registry
from backend.properties.models import Estate, ManagementOffice, Person, Unit
from backend.properties.scope import Scope
from backend.renovation import services as renovation
from backend.renovation.models import Application
from backend.uploads.kinds import RENOVATION_DOCUMENT, RENOVATION_PHOTO
from backend.uploads.validation import AcceptedUpload, upload_accept

EVERYTHING = Scope.everything()
DEPOSIT, DEBRIS = 200000, 30000
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def today() -> dt.date:
    return timezone.localdate()


def png(colour: str = "red") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "p.png"  # type: ignore[attr-defined]
    return buffer


def pdf_file() -> io.BytesIO:
    buffer = io.BytesIO(PDF)
    buffer.name = "plan.pdf"  # type: ignore[attr-defined]
    return buffer


def plan() -> AcceptedUpload:
    return upload_accept(kind=RENOVATION_DOCUMENT, upload=pdf_file())


def photo(colour: str = "red") -> AcceptedUpload:
    return upload_accept(kind=RENOVATION_PHOTO, upload=png(colour))


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
class World:
    tenant: Any
    office: ManagementOffice
    estate: Estate
    other_office: ManagementOffice
    units: list[Unit]
    other_units: list[Unit]
    resident: Any
    neighbour: Any
    renter: Any
    desk: Any
    engineer: Any
    finance: Any
    security: Any
    admin: Any
    other_desk: Any

    @property
    def home(self) -> Unit:
        return self.units[0]

    def apply(self, *, unit: Unit | None = None, user: Any = None, starts: int = 0, **extra: Any) -> Application:
        return renovation.application_submit(
            user=user or self.resident,
            unit_id=(unit or self.home).pk,
            scope=extra.pop("scope", "厨房卫生间翻新，更换地砖"),
            starts_on=today() + dt.timedelta(days=starts),
            ends_on=today() + dt.timedelta(days=starts + 30),
            contractor_company="美家装饰有限公司",
            contractor_contact="张工",
            contractor_phone="13800000001",
            workers=["李师傅 13800000002", "王师傅 13800000003"],
            documents=[("plan", plan())],
            **extra,
        )

    def approve(self, application: Application) -> Application:
        renovation.application_review(application=application, by=self.desk, side="desk", approve=True)
        return renovation.application_review(
            application=application, by=self.engineer, side="engineering", approve=True
        )


@pytest.fixture
def world(in_tenant_a: Any, member: Any) -> World:
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
    resident, neighbour, renter = (member(in_tenant_a, ["resident"]) for _ in range(3))
    desk, engineer = member(in_tenant_a, ["customer_service"]), member(in_tenant_a, ["engineer"])
    finance, security = member(in_tenant_a, ["finance"]), member(in_tenant_a, ["security"])
    admin, other_desk = member(in_tenant_a, ["company_admin"]), member(in_tenant_a, ["customer_service"])
    connection.set_tenant(in_tenant_a)
    for user in (desk, engineer, finance, security):
        scoped(user, in_tenant_a, office_ids=[office.pk])
    scoped(other_desk, in_tenant_a, office_ids=[other_office.pk])
    move_in(units[0], resident, "王业主")
    move_in(units[1], neighbour, "李邻居")
    move_in(units[2], renter, "赵租户", role="tenant")
    renovation.settings_update(deposit_fen=DEPOSIT, debris_fee_fen=DEBRIS)
    return World(
        in_tenant_a,
        office,
        estate,
        other_office,
        units,
        other_units,
        resident,
        neighbour,
        renter,
        desk,
        engineer,
        finance,
        security,
        admin,
        other_desk,
    )
