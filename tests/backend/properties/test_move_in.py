"""入住 from the unit page: a known ID number reuses the person; a refused move-in leaves nobody behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from backend.errors import ApplicationError
from backend.properties import services
from backend.properties.models import Occupancy, Person, Unit

from .conftest import EVERYTHING, ID_A, ID_B


def _unit(registry) -> Unit:
    return Unit.objects.filter(building=registry.building).order_by("number").first()


def test_a_known_id_number_moves_the_same_person_into_a_second_unit(registry, person_factory):
    owner = person_factory(name="王芳", id_number=ID_A)
    second = Unit.objects.filter(building=registry.building).order_by("number")[1]
    occupancy = services.person_move_in(
        unit_id=second.pk,
        name="王芳(重复录入)",
        id_number=ID_A.lower(),  # as typed: the check is on the normalised number
        role="owner",
        start_date=dt.date(2025, 3, 1),
        scope=EVERYTHING,
    )
    assert occupancy.person_id == owner.pk
    assert Person.objects.filter(id_number=ID_A).count() == 1


def test_a_new_id_number_creates_the_person_with_the_occupancy(registry):
    occupancy = services.person_move_in(
        unit_id=_unit(registry).pk,
        name="李雷",
        phone="13900001111",
        id_number=ID_B,
        role="tenant",
        start_date=dt.date(2025, 3, 1),
        scope=EVERYTHING,
    )
    assert occupancy.person.name == "李雷" and occupancy.person.id_number == ID_B
    assert occupancy.role == "tenant" and occupancy.end_date is None


def test_a_refused_move_in_leaves_no_new_person_behind(registry):
    with pytest.raises(ApplicationError) as error:
        services.person_move_in(
            unit_id=_unit(registry).pk,
            name="韩梅梅",
            id_number=ID_B,
            role="landlord",  # not a role
            start_date=dt.date(2025, 3, 1),
            scope=EVERYTHING,
        )
    assert "role" in error.value.fields
    assert not Person.objects.filter(id_number=ID_B).exists()


def test_a_unit_outside_the_scope_is_not_found_and_creates_nobody(registry):
    from backend.properties.scope import Scope

    scope = Scope(all_offices=False, office_ids=frozenset({registry.office.pk}))
    foreign = Unit.objects.filter(building=registry.other_building).first()
    with pytest.raises(ApplicationError) as error:
        services.person_move_in(
            unit_id=foreign.pk, name="越权", id_number=ID_B, role="owner", start_date=dt.date(2025, 3, 1), scope=scope
        )
    assert error.value.status == 404
    assert not Person.objects.filter(id_number=ID_B).exists()


def test_the_unit_page_moves_a_person_in(tenant_a, member, client_for, registry):
    unit = _unit(registry)
    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    form = {
        "name": "张三",
        "phone": "13812340000",
        "id_number": ID_A,
        "birthday": "1990-03-07",
        "role": "owner",
        "start_date": "2025-04-01",
    }
    response = client.post(f"/staff/units/{unit.pk}/", form)
    assert response.status_code == 302
    connection.set_tenant(tenant_a)
    [occupancy] = Occupancy.objects.filter(unit=unit)
    assert occupancy.person.name == "张三" and occupancy.start_date == dt.date(2025, 4, 1)
    again = client.post(f"/staff/units/{unit.pk}/", {**form, "start_date": "2025-04-02"})
    assert again.status_code == 400 and "此人已入住该房间" in again.content.decode()
    connection.set_tenant(tenant_a)
    assert Person.objects.filter(id_number=ID_A).count() == 1
