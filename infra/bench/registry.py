"""Registry benchmarks on a dedicated company in the benchmark database.

- unit-generation-10k: 批量生成 of 10,000 units (100 floors × 100 units) by units_generate(), vs. the same
  units created one row at a time with the ORM; both in the same run, both rolled back.
- unit-search-p95: the staff search box (registry_search) over 100,000 units and 100,000 people, p95 of a
  mix of unit numbers, estate/building text, names, phones and ID-number fragments; baseline: the same
  queries with the trigram indexes dropped (in a transaction that is rolled back).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from django.db import transaction

from tenants.db import connection

BENCH_SLUG = "bench-registry"
SEARCH_UNITS = 100_000
QUERIES = 300


def _company():
    from tenants.models import Tenant
    from tenants.services import company_onboard

    tenant = Tenant.objects.filter(slug=BENCH_SLUG).first()
    if tenant is None:
        tenant = company_onboard(
            company_name="基准物业",
            subdomain=BENCH_SLUG,
            admin_name="基准",
            admin_email="bench-registry@bench.test",
            admin_phone="16600000001",
            admin_password="Bench-registry-2026",
        ).tenant
    return tenant


def _fresh_building(name: str):
    from backend.properties import services
    from backend.properties.models import ManagementOffice
    from backend.properties.scope import Scope

    everything = Scope.everything()
    office = ManagementOffice.objects.filter(name="基准管理处").first() or services.office_create(
        name="基准管理处", scope=everything
    )
    estate = services.estate_create(office_id=office.pk, name=name, scope=everything)
    return services.building_create(estate_id=estate.pk, name="1栋", scope=everything)


def run_generation() -> str:
    from backend.properties import services
    from backend.properties.models import Unit
    from backend.properties.scope import Scope

    connection.set_tenant(_company())
    fast, slow = [], []
    for i in range(3):
        with transaction.atomic():
            building = _fresh_building(f"生成基准{i}")
            started = time.perf_counter()
            result = services.units_generate(
                building_id=building.pk,
                first_floor=1,
                last_floor=100,
                units_per_floor=100,
                pattern="{floor}{unit:02d}",
                area="88.00",
                scope=Scope.everything(),
            )
            fast.append(time.perf_counter() - started)
            assert result["created"] == 10_000
            transaction.set_rollback(True)
    with transaction.atomic():
        building = _fresh_building("生成基准逐行")
        estate = building.estate
        started = time.perf_counter()
        for floor in range(1, 101):
            for unit in range(1, 101):
                number = f"{floor}{unit:02d}"
                label = f"{estate.name} {building.name} {number}"
                Unit.objects.create(
                    building=building,
                    estate_id=estate.pk,
                    office_id=estate.office_id,
                    number=number,
                    floor=floor,
                    area=Decimal("88.00"),
                    label=label,
                    search_text=label.lower(),
                )
        slow.append(time.perf_counter() - started)
        transaction.set_rollback(True)
    connection.set_schema_to_public()
    value, baseline = statistics.median(fast), statistics.median(slow)
    return f"bench unit-generation-10k: {value:.3f} s; baseline {baseline:.3f} s; ratio {baseline / value:.1f}x"


def _seed_search_data() -> None:
    """100 buildings × 1,000 units and one person per unit (resumable: whatever exists is kept)."""
    from backend.properties import services
    from backend.properties.imports import _refresh_person_offices
    from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
    from backend.properties.sample_people import sample_people
    from backend.properties.scope import Scope

    if (
        Unit.objects.filter(estate__name__startswith="搜索小区").count() >= SEARCH_UNITS
        and Occupancy.objects.filter(unit__estate__name__startswith="搜索小区").count() >= SEARCH_UNITS
    ):
        return
    everything = Scope.everything()
    office, _ = ManagementOffice.objects.get_or_create(name="搜索管理处")
    for e in range(10):
        estate, _ = Estate.objects.get_or_create(office=office, name=f"搜索小区{e:02d}")
        for b in range(10):
            building, _ = Building.objects.get_or_create(estate=estate, name=f"{b + 1}栋")
            services.units_generate(
                building_id=building.pk,
                first_floor=1,
                last_floor=25,
                units_per_floor=40,
                pattern="{floor}{unit:02d}",
                area="90",
                scope=everything,
            )
    units = list(
        Unit.objects.filter(estate__name__startswith="搜索小区", occupancies__isnull=True).values_list("pk", flat=True)
    )
    people = [
        Person(
            name=p.name,
            phone=p.phone,
            id_number=p.id_number,
            birthday=p.birthday,
            search_text=f"{p.name} {p.phone} {p.id_number}".lower(),
        )
        for p in sample_people(len(units), seed=Person.objects.count() + 1)
    ]
    created = Person.objects.bulk_create(people, batch_size=5000)
    Occupancy.objects.bulk_create(
        [
            Occupancy(unit_id=u, person_id=p.pk, role="owner", start_date=dt.date(2024, 1, 1))
            for u, p in zip(units, created, strict=True)
        ],
        batch_size=5000,
    )
    _refresh_person_offices({p.pk for p in created})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE properties_unit; ANALYZE properties_person; ANALYZE properties_occupancy")


def _queries() -> list[str]:
    from backend.properties.models import Person, Unit

    rng = random.Random(7)
    unit_rows = list(Unit.objects.order_by("?").values_list("number", "label")[:100])
    person_rows = list(Person.objects.order_by("?").values_list("name", "phone", "id_number")[:100])
    queries = []
    for i in range(QUERIES):
        kind = i % 6
        if kind == 0:
            queries.append(rng.choice(unit_rows)[0])  # "1203"
        elif kind == 1:
            queries.append(" ".join(rng.choice(unit_rows)[1].split()[1:]))  # "3栋 1203"
        elif kind == 2:
            queries.append(rng.choice(person_rows)[0])  # a full name
        elif kind == 3:
            queries.append(rng.choice(person_rows)[1])  # a phone
        elif kind == 4:
            queries.append(rng.choice(person_rows)[1][-4:])  # last four of a phone
        else:
            queries.append(rng.choice(person_rows)[2][-6:])  # last six of an ID number
    return queries


def _p95(queries: list[str]) -> float:
    from backend.accounts.models import Membership
    from backend.properties.scope import Scope
    from backend.properties.selectors import registry_search

    scope = Scope.of(Membership(roles=["customer_service"], scope_all=True))
    for q in queries[:20]:
        registry_search(scope=scope, q=q)  # warm
    times = []
    for q in queries:
        started = time.perf_counter()
        registry_search(scope=scope, q=q)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(times, n=20)[-1]


def run_search() -> str:
    connection.set_tenant(_company())
    _seed_search_data()
    queries = _queries()
    value = _p95(queries)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS unit_search_trgm; DROP INDEX IF EXISTS person_search_trgm")
        baseline = _p95(queries)
        transaction.set_rollback(True)
    connection.set_schema_to_public()
    return f"bench unit-search-p95: {value:.1f} ms; baseline {baseline:.1f} ms; ratio {baseline / value:.1f}x"
