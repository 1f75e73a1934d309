"""The demo company's property registry: one office, two estates, about 1,500 units, about 1,200 residents
with realistic names and numbers, and the demo resident 陈业主 bound to 阳光花园 1栋 1201."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from backend.accounts.models import User
from backend.properties import services
from backend.properties.imports import _refresh_person_offices
from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, ParkingSpace, Person, Unit
from backend.properties.sample_people import sample_people
from backend.properties.scope import Scope

# (estate, buildings, floors, units per floor, area m²)
ESTATES = [("阳光花园", 5, 25, 6, "89.50"), ("翠湖苑", 6, 25, 5, "118.00")]
RESIDENTS = 1200


@transaction.atomic
def demo_registry_seed(*, resident_email: str) -> None:
    if Unit.objects.exists():
        return
    everything = Scope.everything()
    office = services.office_create(
        name="示范管理处", phone="0571-88886666", address="杭州市西湖区文三路 100 号", scope=everything
    )
    for estate_name, buildings, floors, per_floor, area in ESTATES:
        estate = services.estate_create(office_id=office.pk, name=estate_name, scope=everything)
        for b in range(1, buildings + 1):
            building = services.building_create(estate_id=estate.pk, name=f"{b}栋", scope=everything)
            services.units_generate(
                building_id=building.pk,
                first_floor=1,
                last_floor=floors,
                units_per_floor=per_floor,
                pattern="{floor}{unit:02d}",
                skip_floors=[],
                area=area,
                scope=everything,
            )
        for n in range(1, 41):
            ParkingSpace.objects.create(
                estate=estate,
                office=office,
                number=f"B1-{n:03d}",
                kind=ParkingSpace.Kind.RENTED if n % 3 else ParkingSpace.Kind.OWNED,
            )
    rng = random.Random(1122)
    units = list(Unit.objects.order_by("id"))
    rng.shuffle(units)
    people = Person.objects.bulk_create(
        [
            Person(
                name=p.name,
                phone=p.phone,
                id_number=p.id_number,
                birthday=p.birthday,
                search_text=f"{p.name} {p.phone} {p.id_number}".lower(),
            )
            for p in sample_people(RESIDENTS, seed=1122)
        ]
    )
    occupancies, occupied = [], []
    # ~1,000 households: an owner each, some with a second household member or a tenant
    for i, person in enumerate(people):
        unit = units[i] if i < 1000 else units[i - 1000]
        role = "owner" if i < 1000 else rng.choice(["member", "tenant"])
        start = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 2500))
        occupancies.append(Occupancy(unit=unit, person=person, role=role, start_date=start))
        occupied.append(unit.pk)
    Occupancy.objects.bulk_create(occupancies)
    Unit.objects.filter(pk__in=occupied).update(status="occupied")
    Unit.objects.filter(pk__in=[u.pk for u in units[1000:1100]]).update(status="handed_over")
    Unit.objects.filter(pk__in=[u.pk for u in units[1100:1130]]).update(status="custody")
    _refresh_person_offices({p.pk for p in people})
    # The demo resident owns 阳光花园 1栋 1201.
    user = User.objects.filter(email=resident_email).first()
    if user is not None:
        estate = Estate.objects.get(name="阳光花园")
        unit = Unit.objects.get(building=Building.objects.get(estate=estate, name="1栋"), number="1201")
        person = Person.objects.create(
            name=user.name, phone=user.phone or "", user=user, search_text=f"{user.name} {user.phone or ''}".lower()
        )
        Occupancy.objects.create(unit=unit, person=person, role="owner", start_date=dt.date(2021, 6, 1))
        Unit.objects.filter(pk=unit.pk).update(status="occupied")
        _refresh_person_offices({person.pk})
    assert ManagementOffice.objects.count() == 1
