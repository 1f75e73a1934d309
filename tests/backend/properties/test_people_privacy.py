"""ID numbers and phones are masked in lists; in full only for company_admin, customer_service and finance;
every full view of an ID number is in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from backend.audit.models import AuditEntry
from backend.properties import services
from backend.properties.models import Unit

from .conftest import EVERYTHING, ID_A


@pytest.fixture
def resident_person(registry, person_factory):
    person = person_factory(name="王芳", phone="13912345678", id_number=ID_A)
    unit = Unit.objects.filter(building=registry.building).first()
    services.occupancy_move_in(
        unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2024, 1, 1), scope=EVERYTHING
    )
    return person


ALL_STAFF = ["company_admin", "customer_service", "finance", "engineer", "security"]
FULL = {"company_admin", "customer_service", "finance"}


@pytest.mark.parametrize("role", ALL_STAFF)
def test_lists_mask_phone_and_id_number_for_every_role(tenant_a, member, client_for, resident_person, role):
    client = client_for(tenant_a, member(tenant_a, [role]))
    api = client.get("/api/v1/people/?q=王芳").json()["results"]
    assert api == [
        {
            "id": resident_person.pk,
            "name": "王芳",
            "phone": "139****5678",
            "id_number": "1101**********4258",
            "birthday": None,
        }
    ]
    page = client.get("/staff/people/?q=王芳").content.decode()
    assert "139****5678" in page and "1101**********4258" in page
    assert "13912345678" not in page and ID_A not in page


@pytest.mark.parametrize("role", ALL_STAFF)
def test_person_page_shows_the_phone_in_full_only_to_roles_that_need_it(
    tenant_a, member, client_for, resident_person, role
):
    client = client_for(tenant_a, member(tenant_a, [role]))
    detail = client.get(f"/api/v1/people/{resident_person.pk}/").json()
    page = client.get(f"/staff/people/{resident_person.pk}/").content.decode()
    if role in FULL:
        assert detail["phone"] == "13912345678" and "13912345678" in page
    else:
        assert detail["phone"] == "139****5678" and "13912345678" not in page
    assert detail["id_number"] == "1101**********4258" and ID_A not in page  # ID only through reveal


@pytest.mark.parametrize("role", ALL_STAFF)
def test_revealing_an_id_number_is_allowed_to_some_roles_and_always_audited(
    tenant_a, member, client_for, resident_person, role
):
    user = member(tenant_a, [role])
    client = client_for(tenant_a, user)
    api = client.post(
        f"/api/v1/people/{resident_person.pk}/reveal/", {"field": "id_number"}, content_type="application/json"
    )
    page = client.post(f"/staff/people/{resident_person.pk}/")
    connection.set_tenant(tenant_a)
    reveals = AuditEntry.objects.filter(
        action="person.reveal_id_number", object_id=str(resident_person.pk), user_id=user.pk
    )
    if role in FULL:
        assert api.status_code == 200 and api.json() == {"id_number": ID_A}
        assert ID_A in page.content.decode()
        assert reveals.count() == 2
    else:
        assert api.status_code == 403 and page.status_code == 404
        assert reveals.count() == 0


def test_residents_cannot_list_people(tenant_a, member, client_for, resident_person):
    client = client_for(tenant_a, member(tenant_a, ["resident"]))
    assert client.get("/api/v1/people/").status_code == 403
    assert client.get("/staff/people/").status_code == 403


def test_person_update_logs_which_fields_changed_but_not_their_values(tenant_a, member, client_for, resident_person):
    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    response = client.patch(
        f"/api/v1/people/{resident_person.pk}/", {"phone": "13700001111"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["phone"] == "13700001111"
    connection.set_tenant(tenant_a)
    entry = AuditEntry.objects.get(action="person.update", object_id=str(resident_person.pk))
    assert entry.changes == {"fields": ["phone"]}
    assert "13700001111" not in str(entry.changes)
