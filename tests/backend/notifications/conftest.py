"""Shared fixtures of the notification tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from backend.properties import services as registry
from backend.properties.models import Person, Unit
from backend.properties.scope import Scope

EVERYTHING = Scope.everything()


@pytest.fixture
def estate_with_residents(tenant_a, member):
    """Two buildings; a resident account bound in each; plus a finance staff member."""
    connection.set_tenant(tenant_a)
    office = registry.office_create(name="通知管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="通知小区", scope=EVERYTHING)
    b1 = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    b2 = registry.building_create(estate_id=estate.pk, name="2栋", scope=EVERYTHING)
    for b in (b1, b2):
        registry.units_generate(
            building_id=b.pk, first_floor=1, last_floor=1, units_per_floor=2, area="80", scope=EVERYTHING
        )
    residents = {}
    for b in (b1, b2):
        user = member(tenant_a, ["resident"], phone=f"1370000000{b.pk % 10}", email=f"r{b.pk}@example.test")
        connection.set_tenant(tenant_a)
        person = Person.objects.create(name=user.name, user=user)
        registry.occupancy_move_in(
            unit_id=Unit.objects.filter(building=b).first().pk,
            person=person,
            role="owner",
            start_date=dt.date(2024, 1, 1),
            scope=EVERYTHING,
        )
        residents[b.name] = user
    finance = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    return {"estate": estate, "b1": b1, "b2": b2, "r1": residents["1栋"], "r2": residents["2栋"], "finance": finance}
