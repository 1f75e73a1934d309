"""A committed group-buy world in company alpha, for tests whose work runs on other connections (threads, a
Celery worker): its own office and estate with `homes` units, one resident each, a merchant approved there
selling apples; everything it made is removed afterwards."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from backend.properties import services as registry
from backend.properties.models import ManagementOffice, Person, Unit
from backend.properties.scope import Scope
from marketplace.groupbuy.models import Deal, DealJoin
from marketplace.groupbuy.services import deal_create
from marketplace.models import Listing, Merchant
from tenants.db import connection
from tests.factories import MemberFactory
from tests.marketplace.factories import make_application, make_listing, make_merchant, shop_world_purge

EVERYTHING = Scope.everything()


@dataclass
class World:
    tenant: Any
    office: ManagementOffice
    merchant: Merchant
    listing: Listing
    homes: list[tuple[Any, Unit]] = field(default_factory=list)  # (resident, unit)

    def deal(self, *, minimum: int, maximum: int, closes_in: dt.timedelta) -> Deal:
        now = timezone.now()
        # Set up "an hour ago" so that a deadline seconds away passes the service's rules.
        return deal_create(
            merchant_id=self.merchant.pk,
            listing_id=self.listing.pk,
            group_price_fen=990,
            min_participants=minimum,
            max_participants=maximum,
            deadline=now + closes_in,
            now=now - dt.timedelta(hours=1),
        )


@contextlib.contextmanager
def committed_world(homes: int) -> Iterator[World]:
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    since = dt.datetime.now(dt.UTC)
    tag = uuid.uuid4().hex[:6]
    office = registry.office_create(name=f"团购测试{tag}", scope=EVERYTHING)
    users = [MemberFactory(tenant=tenant, roles=["resident"]).user for _ in range(homes)]
    connection.set_tenant(tenant)
    merchant = make_merchant(f"团购果园{tag[:4]}")
    try:
        estate = registry.estate_create(office_id=office.pk, name=f"团购苑{tag}", scope=EVERYTHING)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=homes, area="50", scope=EVERYTHING
        )
        units = list(Unit.objects.filter(building=building).order_by("number"))
        for n, (user, unit) in enumerate(zip(users, units, strict=True)):
            person = registry.person_create(name=f"团购业主{n}")
            Person.objects.filter(pk=person.pk).update(user=user)
            person.refresh_from_db()
            registry.occupancy_move_in(
                unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=EVERYTHING
            )
        make_application(merchant, tenant, status="approved", estates={estate.pk: estate.name}, categories=["fruit"])
        listing = make_listing(merchant, title="团购苹果", price_fen=1280, stock=50)
        yield World(tenant, office, merchant, listing, list(zip(users, units, strict=True)))
    finally:
        connection.set_tenant(tenant)
        DealJoin.objects.filter(deal__merchant_id=merchant.pk).delete()
        Deal.objects.filter(merchant_id=merchant.pk).delete()
        shop_world_purge(tenant=tenant, office=office, merchant=merchant, users=users, since=since)
