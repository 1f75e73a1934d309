"""A small billed world in company alpha: one office, one estate, two buildings of 2 floors × 2 units
(89.50 m² and 120 m²), a management fee (rate × area), a garbage fee (fixed) and water (meter)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from backend.billing import services
from backend.billing.models import FeeItem, LateFeeMode
from backend.properties import services as registry
from backend.properties.models import Building, Estate, ManagementOffice, Unit
from backend.properties.scope import Scope

EVERYTHING = Scope.everything()
JAN = dt.date(2026, 1, 1)


@dataclass
class World:
    office: ManagementOffice
    estate: Estate
    building: Building
    building2: Building
    units: list[Unit]  # building 1: 101, 102, 201, 202 (89.50 m²)
    units2: list[Unit]  # building 2: 101, 102, 201, 202 (120 m²)
    management: FeeItem  # 2.50 ¥/m²/month
    garbage: FeeItem  # ¥10 per unit per month
    water: FeeItem  # 2.80 ¥/t

    @property
    def all_units(self) -> list[Unit]:
        return self.units + self.units2


def make_item(office: ManagementOffice, code: str, method: str, rate: str, **extra: Any) -> FeeItem:
    names = {"mgmt": "物业费", "garbage": "垃圾清运费", "water": "水费"}
    category = {"mgmt": "management", "garbage": "garbage", "water": "water"}.get(code, "other")
    item = services.fee_item_create(
        office=office,
        scope=EVERYTHING,
        code=code,
        name=names.get(code, code),
        category=category,
        method=method,
        cycle=extra.pop("cycle", "monthly"),
        late_fee_mode=extra.pop("late_fee_mode", LateFeeMode.OFF),
        **extra,
    )
    services.fee_standard_create(item=item, effective_from=JAN, rate=Decimal(rate))
    return item


@pytest.fixture
def world(in_tenant_a: Any) -> World:
    office = registry.office_create(name="计费管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="金色家园", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    building2 = registry.building_create(estate_id=estate.pk, name="2栋", scope=EVERYTHING)
    for b, area in ((building, "89.50"), (building2, "120")):
        registry.units_generate(
            building_id=b.pk, first_floor=1, last_floor=2, units_per_floor=2, area=area, scope=EVERYTHING
        )
    management = make_item(office, "mgmt", "area", "2.50")
    garbage = make_item(office, "garbage", "fixed", "10")
    water = make_item(office, "water", "meter", "2.80", meter_kind="water")
    for item in (management, garbage, water):
        services.fee_assign(item=item, scope=EVERYTHING, start_date=JAN, estate_id=estate.pk)
    units = list(Unit.objects.filter(building=building).order_by("number"))
    units2 = list(Unit.objects.filter(building=building2).order_by("number"))
    return World(office, estate, building, building2, units, units2, management, garbage, water)
