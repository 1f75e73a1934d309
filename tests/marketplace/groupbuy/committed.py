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

from backend.accounts.models import Membership, User
from backend.audit.models import AuditEntry
from backend.billing.models import BillLine, FeeItem, LedgerEntry, Payment
from backend.notifications.models import Notification
from backend.payments.models import Receipt, Refund
from backend.properties import services as registry
from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
from backend.properties.scope import Scope
from marketplace.groupbuy.models import Deal, DealJoin
from marketplace.groupbuy.services import deal_create
from marketplace.models import Listing, Merchant
from marketplace.orders.models import Order, OrderLine
from tenants.db import connection
from tests.factories import MemberFactory
from tests.marketplace.factories import make_application, make_listing, make_merchant, payables_purge

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
        orders = list(Order.objects.filter(unit__estate__office=office))
        deals = Deal.objects.filter(merchant_id=merchant.pk)
        DealJoin.objects.filter(deal__in=deals).delete()
        deals.delete()
        payables_purge(orders)
        OrderLine.objects.filter(order__in=orders).delete()
        units_qs = Unit.objects.filter(building__estate__office=office)
        Refund.objects.filter(payment__unit__in=units_qs).delete()
        Order.objects.filter(pk__in=[o.pk for o in orders]).delete()
        LedgerEntry.objects.filter(unit__in=units_qs).delete()
        BillLine.objects.filter(unit__in=units_qs).delete()
        Receipt.objects.filter(payment__unit__in=units_qs).delete()
        Payment.objects.filter(unit__in=units_qs).delete()
        FeeItem.objects.filter(office=office).delete()
        Occupancy.objects.filter(unit__in=units_qs).delete()
        Person.objects.filter(user__in=users).delete()
        units_qs.delete()
        Building.objects.filter(estate__office=office).delete()
        Estate.objects.filter(office=office).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        Notification.objects.filter(created_at__gte=since).delete()
        AuditEntry.objects.filter(created_at__gte=since).delete()
        connection.set_schema_to_public()
        Merchant.objects.filter(pk=merchant.pk).delete()  # its listings, index rows and notices go with it
        Membership.objects.filter(user__in=users).delete()
        User.objects.filter(pk__in=[u.pk for u in users]).delete()
