"""A small club in company alpha: office 西湖 with estate 阳光花园 (building 1栋, units 101 102 201 202) and office
滨江 with estate 江景苑 (units of A座); a resident (owner of 101) and a neighbour (owner of 102) with accounts;
a gym (2 places an hour, a place per person, free; 06:00–12:00 and 14:00–22:00 every day, a break between) and
a tennis court (exclusive, free length 60–120 min in 30-min steps, ¥40 an hour, ¥100 deposit, 08:00–22:00).

Times are fixed (NOW: Monday 2030-03-04 08:00 in Shanghai) and handed to the services as `now=`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.club import services as club
from backend.club.models import Facility
from backend.properties import services as registry
from backend.properties.models import Estate, ManagementOffice, Person, Unit
from backend.properties.scope import Scope

EVERYTHING = Scope.everything()
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=SHANGHAI)  # a Monday
EVERY_DAY_WITH_BREAK = [(d, 6 * 60, 12 * 60) for d in range(7)] + [(d, 14 * 60, 22 * 60) for d in range(7)]


def at(days: int, hhmm: str) -> dt.datetime:
    """NOW's day + `days`, at hh:mm in Shanghai."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    day = NOW.date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def move_in(unit: Unit, user: Any, name: str, role: str = "owner") -> None:
    person = registry.person_create(name=name, phone=f"138{user.pk % 100000000:08d}")
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    registry.occupancy_move_in(
        unit_id=unit.pk, person=person, role=role, start_date=dt.date(2025, 1, 1), scope=EVERYTHING
    )


def make_gym(estate: Estate, **rules: Any) -> Facility:
    values = {"name": "健身房", "kind": "gym", "capacity": 2, "counts_people": True, "max_party_size": 2, **rules}
    gym = club.facility_create(estate_id=estate.pk, scope=EVERYTHING, **values)
    club.opening_hours_set(facility=gym, hours=EVERY_DAY_WITH_BREAK, now=NOW)
    return gym


def make_court(estate: Estate, **rules: Any) -> Facility:
    values = {
        "name": "网球场1",
        "kind": "tennis_court",
        "capacity": 1,
        "booking_mode": "free",
        "step_minutes": 30,
        "min_minutes": 60,
        "max_minutes": 120,
        "price_mode": "per_hour",
        "resident_price_fen": 4000,
        "guest_price_fen": 6000,
        "deposit_fen": 10000,
        "max_party_size": 4,
        "cancel_cutoff_minutes": 24 * 60,
        "late_cancel_refund_percent": 50,
        **rules,
    }
    court = club.facility_create(estate_id=estate.pk, scope=EVERYTHING, **values)
    club.opening_hours_set(facility=court, hours=[(d, 8 * 60, 22 * 60) for d in range(7)], now=NOW)
    return court


@dataclass
class Club:
    office: ManagementOffice
    estate: Estate
    other_office: ManagementOffice
    other_estate: Estate
    units: list[Unit]
    other_units: list[Unit]
    resident: Any
    neighbour: Any
    other_resident: Any
    gym: Facility
    court: Facility

    @property
    def home(self) -> Unit:
        return self.units[0]


@pytest.fixture
def world(in_tenant_a: Any, member: Any) -> Club:
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
    resident, neighbour, other_resident = (member(in_tenant_a, ["resident"]) for _ in range(3))
    from tenants.db import connection

    connection.set_tenant(in_tenant_a)
    move_in(units[0], resident, "王业主")
    move_in(units[1], neighbour, "李邻居")
    move_in(other_units[0], other_resident, "赵江景")
    return Club(
        office,
        estate,
        other_office,
        other_estate,
        units,
        other_units,
        resident,
        neighbour,
        other_resident,
        make_gym(estate),
        make_court(estate),
    )
