"""A demo company's property registry: one office, its estates, every unit, residents with realistic names
and numbers (backend/properties/sample_people.py) and the demo resident bound to their home. 示范物业: two
estates, 1,500 units, about 1,200 residents, 陈业主 in 阳光花园 1栋 1201. A company that has units is left
as it is."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from backend.accounts.models import User
from backend.properties import services
from backend.properties.imports import _refresh_person_offices
from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, ParkingSpace, Person, Unit
from backend.properties.sample_people import sample_people
from backend.properties.scope import Scope

from .progress import Stage


@dataclass(frozen=True)
class EstatePlan:
    name: str
    buildings: int
    floors: int
    per_floor: int
    area: str  # m²
    parking: int = 40


@dataclass(frozen=True)
class RegistryPlan:
    office: str
    phone: str
    address: str
    estates: tuple[EstatePlan, ...]
    residents: int
    home: tuple[str, str, str]  # the demo resident's: estate, building, unit number
    seed: int = 1122


SHIFAN_REGISTRY = RegistryPlan(
    office="示范管理处",
    phone="0571-88886666",
    address="杭州市西湖区文三路 100 号",
    estates=(EstatePlan("阳光花园", 5, 25, 6, "89.50"), EstatePlan("翠湖苑", 6, 25, 5, "118.00")),
    residents=1200,
    home=("阳光花园", "1栋", "1201"),
)


def demo_registry_seed(
    *, resident_email: str, plan: RegistryPlan = SHIFAN_REGISTRY, stage: Stage | None = None
) -> None:
    with transaction.atomic():
        if Unit.objects.exists():
            if stage is not None:
                stage.note("already seeded")
            return
        _seed(plan, resident_email)
    if stage is not None:
        stage.count(ManagementOffice.objects.count(), "office")
        stage.count(Estate.objects.count(), "estate")
        stage.count(Unit.objects.count(), "unit")
        stage.count(Person.objects.count(), "person", "people")


def _seed(plan: RegistryPlan, resident_email: str) -> None:
    everything = Scope.everything()
    office = services.office_create(name=plan.office, phone=plan.phone, address=plan.address, scope=everything)
    for spec in plan.estates:
        estate = services.estate_create(office_id=office.pk, name=spec.name, scope=everything)
        for b in range(1, spec.buildings + 1):
            building = services.building_create(estate_id=estate.pk, name=f"{b}栋", scope=everything)
            services.units_generate(
                building_id=building.pk,
                first_floor=1,
                last_floor=spec.floors,
                units_per_floor=spec.per_floor,
                pattern="{floor}{unit:02d}",
                skip_floors=[],
                area=spec.area,
                scope=everything,
            )
        ParkingSpace.objects.bulk_create(
            [
                ParkingSpace(
                    estate=estate,
                    office=office,
                    number=f"B1-{n:03d}",
                    kind=ParkingSpace.Kind.RENTED if n % 3 else ParkingSpace.Kind.OWNED,
                )
                for n in range(1, spec.parking + 1)
            ]
        )
    rng = random.Random(plan.seed)
    units = list(Unit.objects.order_by("id"))
    rng.shuffle(units)
    # Two thirds of the units have a household (an owner each, some with a second member or a tenant);
    # of the rest, a fifteenth of all units is handed over, a fiftieth in custody, the others vacant.
    households = len(units) * 2 // 3
    handed_over = len(units) // 15
    custody = len(units) // 50
    people = Person.objects.bulk_create(
        [
            Person(
                name=p.name,
                phone=p.phone,
                id_number=p.id_number,
                birthday=p.birthday,
                search_text=f"{p.name} {p.phone} {p.id_number}".lower(),
            )
            for p in sample_people(plan.residents, seed=plan.seed)
        ]
    )
    occupancies, occupied = [], []
    for i, person in enumerate(people):
        unit = units[i] if i < households else units[i - households]
        role = "owner" if i < households else rng.choice(["member", "tenant"])
        start = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 2500))
        occupancies.append(Occupancy(unit=unit, person=person, role=role, start_date=start))
        occupied.append(unit.pk)
    Occupancy.objects.bulk_create(occupancies)
    Unit.objects.filter(pk__in=occupied).update(status="occupied")
    rest = units[households : households + handed_over + custody]
    Unit.objects.filter(pk__in=[u.pk for u in rest[:handed_over]]).update(status="handed_over")
    Unit.objects.filter(pk__in=[u.pk for u in rest[handed_over:]]).update(status="custody")
    _refresh_person_offices({p.pk for p in people})
    user = User.objects.filter(email=resident_email).first()
    if user is not None:
        estate_name, building_name, number = plan.home
        estate = Estate.objects.get(name=estate_name)
        unit = Unit.objects.get(building=Building.objects.get(estate=estate, name=building_name), number=number)
        person = Person.objects.create(
            name=user.name, phone=user.phone or "", user=user, search_text=f"{user.name} {user.phone or ''}".lower()
        )
        Occupancy.objects.create(unit=unit, person=person, role="owner", start_date=dt.date(2021, 6, 1))
        Unit.objects.filter(pk=unit.pk).update(status="occupied")
        _refresh_person_offices({person.pk})
