from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

from backend.properties import services
from backend.properties.models import Building, Estate, ManagementOffice, Person
from backend.properties.scope import Scope

EVERYTHING = Scope.everything()
# Valid mainland ID numbers (check digits computed per GB 11643).
ID_A = "110101199003074258"
ID_B = "440305198512120011"


def valid_id(prefix17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return prefix17 + "10X98765432"[sum(int(d) * w for d, w in zip(prefix17, weights, strict=True)) % 11]


@dataclass
class Registry:
    office: ManagementOffice
    estate: Estate
    building: Building
    other_office: ManagementOffice
    other_estate: Estate
    other_building: Building


@pytest.fixture
def registry(in_tenant_a: Any) -> Registry:
    """Two offices in company alpha, each with an estate, a building and 2 floors × 2 units."""
    office = services.office_create(name="西湖管理处", scope=EVERYTHING)
    estate = services.estate_create(office_id=office.pk, name="阳光花园", scope=EVERYTHING)
    building = services.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    services.units_generate(
        building_id=building.pk, first_floor=1, last_floor=2, units_per_floor=2, area="89.50", scope=EVERYTHING
    )
    other_office = services.office_create(name="滨江管理处", scope=EVERYTHING)
    other_estate = services.estate_create(office_id=other_office.pk, name="江景苑", scope=EVERYTHING)
    other_building = services.building_create(estate_id=other_estate.pk, name="A座", scope=EVERYTHING)
    services.units_generate(
        building_id=other_building.pk, first_floor=1, last_floor=2, units_per_floor=2, area="120", scope=EVERYTHING
    )
    return Registry(office, estate, building, other_office, other_estate, other_building)


@pytest.fixture
def person_factory(in_tenant_a: Any):  # type: ignore[no-untyped-def]
    def make(name: str = "张伟", phone: str = "13812345678", id_number: str = "") -> Person:
        return services.person_create(name=name, phone=phone, id_number=id_number)

    return make


def scoped_member(member: Any, tenant: Any, roles: list[str], office_ids: list[int]) -> Any:
    from backend.accounts.models import Membership

    user = member(tenant, roles)
    Membership.objects.filter(user=user, tenant=tenant).update(scope_all=False, scope_office_ids=office_ids)
    connection.set_tenant(tenant)
    return user
