"""The company the API fuzzer works in: onboarded for the run, seeded through the real services with a few
rows of everything the API reads (offices, estates, units, people, bills, payments, deposits, waivers,
meters, announcements, invitations), and dropped afterwards with every account it gave a membership.

Its own company, not alpha or beta: the fuzzer posts and patches at random, and what it commits must not
reach the companies other tests share."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

SLUG = "fuzzco"
PASSWORD = "Fuzz-pass-2026!"
ADMIN_EMAIL = "admin@fuzzco.test"
RESIDENT_EMAIL = "resident@fuzzco.test"
JAN = dt.date(2026, 1, 1)


@dataclass(frozen=True)
class FuzzCompany:
    slug: str
    host: str
    logins: dict[str, str]  # role → e-mail (the password is PASSWORD)
    home_unit_id: int  # the resident's home


def fuzz_company_drop() -> None:
    """Remove the fuzz company (its schema) and the accounts that belonged to it only; also what a run that
    crashed left behind."""
    from backend.accounts.models import Membership, User
    from tenants.models import Tenant

    connection.set_schema_to_public()
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        return
    user_ids = list(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
    tenant.delete(force_drop=True)
    User.objects.filter(pk__in=user_ids, memberships__isnull=True).delete()
    with contextlib.suppress(Exception):
        from django.core.cache import cache

        cache.clear()  # a cached host → company lookup must not outlive the company


def fuzz_company_create() -> FuzzCompany:
    from backend.accounts.models import Membership, User
    from tenants.services import company_domain, company_onboard

    fuzz_company_drop()
    tenant = company_onboard(
        company_name="模糊测试物业",
        subdomain=SLUG,
        admin_name="模糊管理员",
        admin_email=ADMIN_EMAIL,
        admin_phone="13700000001",
        admin_password=PASSWORD,
    ).tenant
    resident = User.objects.create_user(email=RESIDENT_EMAIL, password=PASSWORD, name="模糊业主", phone="13700000002")
    Membership.objects.create(user=resident, tenant=tenant, roles=["resident"])
    finance = User.objects.create_user(email="finance@fuzzco.test", password=PASSWORD, name="模糊会计")
    Membership.objects.create(user=finance, tenant=tenant, roles=["finance"])
    admin = User.objects.get(email=ADMIN_EMAIL)
    connection.set_tenant(tenant)
    try:
        home = _seed(admin=admin, finance=finance, resident=resident)
    finally:
        connection.set_schema_to_public()
    return FuzzCompany(
        slug=SLUG,
        host=company_domain(SLUG),
        logins={"company_admin": ADMIN_EMAIL, "resident": RESIDENT_EMAIL},
        home_unit_id=home,
    )


def _seed(*, admin: Any, finance: Any, resident: Any) -> int:
    """Two estates of a few units each, a month billed, a counter payment with its receipt, a deposit, a
    waiver waiting for a decision, a meter with a reading, a dunning contact, an announcement, an invitation,
    a binding request; the resident owns the first unit (returned)."""
    from backend.access.services import invitation_create
    from backend.billing import ledger, services
    from backend.billing.dunning import dunning_contact_record
    from backend.billing.meter_readings import reading_record
    from backend.billing.meters import meter_create
    from backend.billing.models import BillLine, FeeItem, LateFeeMode
    from backend.billing.runs import bill_run_create, bill_run_execute
    from backend.notifications.announcements import announcement_create
    from backend.payments.counter import counter_collect
    from backend.properties import services as registry
    from backend.properties.models import Person, Unit
    from backend.properties.scope import Scope

    everything = Scope.everything()
    office = registry.office_create(name="模糊管理处", phone="0571-88880000", scope=everything)
    units: list[Unit] = []
    estates = []
    for estate_name in ("模糊花园", "模糊苑"):
        estate = registry.estate_create(office_id=office.pk, name=estate_name, scope=everything)
        estates.append(estate)
        for building_name in ("1栋", "2栋"):
            building = registry.building_create(estate_id=estate.pk, name=building_name, scope=everything)
            registry.units_generate(
                building_id=building.pk, first_floor=1, last_floor=2, units_per_floor=2, area="89.50", scope=everything
            )
            units += list(Unit.objects.filter(building=building).order_by("number"))
        registry.parking_space_create(estate_id=estate.pk, number="B1-001", kind="rented", scope=everything)

    items: list[FeeItem] = []
    for code, name, category, method, rate in (
        ("mgmt", "物业费", "management", "area", "2.50"),
        ("garbage", "垃圾清运费", "garbage", "fixed", "10"),
    ):
        item = services.fee_item_create(
            office=office,
            scope=everything,
            code=code,
            name=name,
            category=category,
            method=method,
            cycle="monthly",
            late_fee_mode=LateFeeMode.OFF,
        )
        services.fee_standard_create(item=item, effective_from=JAN, rate=Decimal(rate))
        for estate in estates:
            services.fee_assign(item=item, scope=everything, start_date=JAN, estate_id=estate.pk)
        items.append(item)
    bill_run_execute(bill_run_create(period=JAN, scope=everything, by=admin).pk)

    home = units[0]
    person = registry.person_create(name="模糊业主", phone="13700000002", id_number="")
    Person.objects.filter(pk=person.pk).update(user=resident)
    person.refresh_from_db()
    registry.occupancy_move_in(unit_id=home.pk, person=person, role="owner", start_date=JAN, scope=everything)
    neighbour = registry.person_create(name="模糊邻居", phone="13700000003", id_number="")
    registry.occupancy_move_in(unit_id=units[1].pk, person=neighbour, role="tenant", start_date=JAN, scope=everything)

    counter_collect(unit=units[1], amount=23375, method="cash", by=finance)
    ledger.deposit_hold(unit=units[2], amount=200000, purpose="装修押金", method="cash", by=finance)
    line = BillLine.objects.filter(unit=units[3]).order_by("pk").first()
    assert line is not None
    ledger.waiver_request(line=line, amount=1000, reason="维修期间减免", by=finance)
    meter = meter_create(scope=everything, kind="water", number="W-0001", unit_id=home.pk)
    reading_record(meter=meter, period=JAN, reading="12.5", initial="0", by=finance)
    dunning_contact_record(
        unit=units[3], staff=finance, channel="phone", summary="电话无人接听", category="unreachable"
    )
    announcement_create(title="停水通知", body="<p>周三上午停水。</p>", by=admin, scope=everything, target_all=True)
    invitation_create(
        email="engineer@fuzzco.test", name="模糊师傅", roles=["engineer"], invited_by=admin, portal_base_url=""
    )
    registry.binding_request_create(user=resident, unit_id=units[4].pk, relation="tenant")
    _seed_club(estate=estates[0], home=home, resident=resident)
    return home.pk


def _seed_club(*, estate: Any, home: Any, resident: Any) -> None:
    """A gym (open all day, free) and a tennis court (paid, free length), with a booking of the resident."""
    from django.utils import timezone

    from backend.club import services as club
    from backend.club.booking import booking_create
    from backend.properties.scope import Scope

    all_day = [(d, 0, 24 * 60) for d in range(7)]
    gym = club.facility_create(
        estate_id=estate.pk, scope=Scope.everything(), name="模糊健身房", kind="gym", hours=all_day
    )
    club.facility_create(
        estate_id=estate.pk,
        scope=Scope.everything(),
        name="模糊网球场",
        kind="tennis_court",
        booking_mode="free",
        price_mode="per_hour",
        resident_price_fen=4000,
        hours=all_day,
    )
    start = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    booking_create(facility=gym, user=resident, unit=home, starts_at=start, ends_at=start + dt.timedelta(hours=1))
