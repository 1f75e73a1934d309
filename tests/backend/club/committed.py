"""A club on committed data in company alpha, for tests whose threads (each on its own connection) or
servers must see it: an office with one home where alpha's admin lives, and one facility; everything the test
adds to it is removed afterwards. Call under django_db_blocker.unblock()."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backend.club.models import Booking, Facility
from backend.notifications.models import Notification
from backend.properties import services as registry
from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
from tenants.db import connection

from .conftest import EVERYTHING, make_gym


@dataclass
class Committed:
    tenant: Any
    user: Any
    unit: Unit
    facility: Facility


@contextlib.contextmanager
def committed_club(**rules: Any) -> Iterator[Committed]:
    from backend.accounts.models import User
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    user = User.objects.get(email="admin@alpha.test")
    since = dt.datetime.now(dt.UTC)
    office = registry.office_create(name=f"并发会所{uuid.uuid4().hex[:6]}", scope=EVERYTHING)
    person = Person.objects.filter(user=user).first()
    own_person = person is None
    try:
        estate = registry.estate_create(office_id=office.pk, name="并发苑", scope=EVERYTHING)
        building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
        registry.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=EVERYTHING
        )
        unit = Unit.objects.get(building=building)
        if person is None:
            person = registry.person_create(name="并发业主")
            Person.objects.filter(pk=person.pk).update(user=user)
            person.refresh_from_db()
        registry.occupancy_move_in(
            unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2025, 1, 1), scope=EVERYTHING
        )
        facility = make_gym(estate, name="并发场地", **rules)
        yield Committed(tenant, user, unit, facility)
    finally:
        connection.set_tenant(tenant)
        facilities = Facility.objects.filter(estate__office=office)
        Booking.objects.filter(facility__in=facilities).delete()
        facilities.delete()  # hours, cells, counters, closures go with it
        Occupancy.objects.filter(unit__building__estate__office=office).delete()
        if own_person and person is not None:
            Person.objects.filter(pk=person.pk).delete()
        Unit.objects.filter(building__estate__office=office).delete()
        Building.objects.filter(estate__office=office).delete()
        Estate.objects.filter(office=office).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        Notification.objects.filter(recipient=user, kind__startswith="club.", created_at__gte=since).delete()
        connection.set_schema_to_public()
