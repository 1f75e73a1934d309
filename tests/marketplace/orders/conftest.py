"""A shop in company alpha: estate 阳光花园 (units 101 102 of 1栋) with a resident (owner of 101) and a neighbour
(owner of 102), estate 江景苑 in another office with its resident; two merchants approved for 阳光花园: 鲜果坊
(fruit: apples ¥12.80 with 5 left, a limit of 10 per order; grapes in two variants) and 好帮手家政 (a cleaning
service with a slot of 2 places). Fruit's commission is 8%."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from backend.properties import services as registry
from backend.properties.models import Estate, Unit
from marketplace.company.models import CategorySetting
from marketplace.models import Listing, ListingVariant, Merchant, ServiceSlot
from tests.backend.club.conftest import EVERYTHING, move_in
from tests.marketplace.factories import make_application, make_listing, make_merchant


@dataclass
class Shop:
    tenant: Any
    estate: Estate
    other_estate: Estate
    home: Unit
    neighbour_home: Unit
    other_home: Unit
    resident: Any
    neighbour: Any
    other_resident: Any
    fruit: Merchant
    cleaner: Merchant
    apple: Listing
    grapes: Listing
    green: ListingVariant
    red: ListingVariant
    cleaning: Listing
    slot: ServiceSlot


@pytest.fixture
def shop(in_tenant_a: Any, member: Any) -> Shop:
    office = registry.office_create(name="西湖管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="阳光花园", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="89.50", scope=EVERYTHING
    )
    other_office = registry.office_create(name="滨江管理处", scope=EVERYTHING)
    other_estate = registry.estate_create(office_id=other_office.pk, name="江景苑", scope=EVERYTHING)
    other_building = registry.building_create(estate_id=other_estate.pk, name="A座", scope=EVERYTHING)
    registry.units_generate(
        building_id=other_building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="120", scope=EVERYTHING
    )
    units = list(Unit.objects.filter(building=building).order_by("number"))
    other_home = Unit.objects.get(building=other_building)
    resident, neighbour, other_resident = (member(in_tenant_a, ["resident"]) for _ in range(3))
    from tenants.db import connection

    connection.set_tenant(in_tenant_a)
    move_in(units[0], resident, "王业主")
    move_in(units[1], neighbour, "李邻居")
    move_in(other_home, other_resident, "赵江景")
    fruit = make_merchant("鲜果坊", owner=True)
    cleaner = make_merchant("好帮手家政", owner=True)
    make_application(fruit, in_tenant_a, status="approved", estates={estate.pk: estate.name}, categories=["fruit"])
    make_application(
        cleaner, in_tenant_a, status="approved", estates={estate.pk: estate.name}, categories=["housekeeping"]
    )
    CategorySetting.objects.create(category_code="fruit", commission_bp=800)
    apple = make_listing(fruit, title="新鲜苹果", price_fen=1280, stock=5, per_order_limit=10)
    grapes = make_listing(fruit, title="葡萄", price_fen=2000)
    green = ListingVariant.objects.create(listing=grapes, name="青提", price_fen=1990, stock=3)
    red = ListingVariant.objects.create(listing=grapes, name="红提", price_fen=2590, stock=None)
    cleaning = make_listing(cleaner, kind="service", category="housekeeping", title="上门保洁", price_fen=15000)
    start = timezone.now() + dt.timedelta(days=2)
    slot = ServiceSlot.objects.create(
        listing=cleaning, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=2
    )
    return Shop(
        in_tenant_a,
        estate,
        other_estate,
        units[0],
        units[1],
        other_home,
        resident,
        neighbour,
        other_resident,
        fruit,
        cleaner,
        apple,
        grapes,
        green,
        red,
        cleaning,
        slot,
    )
