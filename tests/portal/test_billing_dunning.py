"""Staff pages of arrears and dunning: the work list with its aging summary and filters, a unit's dunning
page (unpaid lines, contact history, log a contact), the demand letter PDF; roles, scope and companies."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from backend.billing.models import DunningContact
from backend.properties.models import Occupancy, Person
from tests.backend.billing.conftest import World, world  # noqa: F401  (the billed world fixture)
from tests.backend.billing.test_arrears import charge


@pytest.fixture
def arrears_world(world: World) -> World:  # noqa: F811
    """units[0] (owner 王芳, 13912345678) owes two overdue lines; units2[0] one; the rest nothing overdue."""
    today = timezone.localdate()
    charge(world.units[0], world.management, dt.date(2026, 1, 1), 22375, due=today - dt.timedelta(days=100))
    charge(world.units[0], world.garbage, dt.date(2026, 1, 1), 1000, due=today - dt.timedelta(days=10))
    charge(world.units2[0], world.garbage, dt.date(2026, 1, 1), 1000, due=today - dt.timedelta(days=40))
    charge(world.units[1], world.garbage, dt.date(2026, 1, 1), 1000, due=today + dt.timedelta(days=3))
    owner = Person.objects.create(name="王芳", phone="13912345678")
    Occupancy.objects.create(unit=world.units[0], person=owner, role="owner", start_date=dt.date(2025, 1, 1))
    return world


def page(client: Any, path: str, tenant: Any) -> tuple[int, str]:
    response = client.get(path)
    connection.set_tenant(tenant)
    return response.status_code, response.content.decode()


def test_work_list_renders_with_aging_and_units(
    arrears_world: World, tenant_a: Any, member: Any, client_for: Any
) -> None:
    w = arrears_world
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    status, html = page(client, "/staff/billing/arrears/", tenant_a)
    assert status == 200
    assert "data-total-units>2<" in html and "¥243.75" in html  # 223.75 + 10 + 10
    amounts = dict(re.findall(r'data-bucket="([^"]+)">.*?data-bucket-amount>([^<]+)<', html, re.S))
    assert amounts == {"0-30": "¥10.00", "31-90": "¥10.00", "91-180": "¥223.75", "180+": "¥0.00"}
    assert f'data-unit-row="{w.units[0].pk}"' in html and f'data-unit-row="{w.units2[0].pk}"' in html
    assert f'data-unit-row="{w.units[1].pk}"' not in html  # not yet due: not arrears
    assert w.units[0].label in html and "王芳" in html and "¥233.75" in html
    assert "13912345678" in html  # finance may see phones in full
    assert f"/staff/billing/arrears/{w.units[0].pk}/" in html
    assert '<meta name="viewport"' in html and "table-wrap" in html  # phone layout


def test_work_list_filters(arrears_world: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    w = arrears_world
    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    _s, html = page(client, f"/staff/billing/arrears/?building={w.building2.pk}", tenant_a)
    assert f'data-unit-row="{w.units2[0].pk}"' in html and f'data-unit-row="{w.units[0].pk}"' not in html
    _s, html = page(client, "/staff/billing/arrears/?min_amount=100", tenant_a)
    assert f'data-unit-row="{w.units[0].pk}"' in html and f'data-unit-row="{w.units2[0].pk}"' not in html
    _s, html = page(client, "/staff/billing/arrears/?bucket=31-90", tenant_a)
    assert f'data-unit-row="{w.units2[0].pk}"' in html and f'data-unit-row="{w.units[0].pk}"' not in html
    status, html = page(client, "/staff/billing/arrears/?min_amount=abc", tenant_a)
    assert status == 400 and 'data-error-for="min_amount"' in html


def test_follow_up_due_filter(arrears_world: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    w = arrears_world
    staff = member(tenant_a, ["customer_service"])
    client = client_for(tenant_a, staff)
    connection.set_tenant(tenant_a)
    DunningContact.objects.create(
        unit=w.units[0],
        staff=staff,
        channel="phone",
        summary="有异议",
        category="disputes",
        contacted_at=timezone.now(),
    )
    _s, html = page(client, "/staff/billing/arrears/?follow_up_due=on", tenant_a)
    assert f'data-unit-row="{w.units2[0].pk}"' in html and f'data-unit-row="{w.units[0].pk}"' not in html


def test_unit_page_logs_a_contact(arrears_world: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    w = arrears_world
    unit = w.units[0]
    client = client_for(tenant_a, member(tenant_a, ["customer_service"]))
    status, html = page(client, f"/staff/billing/arrears/{unit.pk}/", tenant_a)
    assert status == 200
    assert "物业费" in html and "¥233.75" in html and "data-contact-form" in html and "data-demand-letter" in html
    promised = (timezone.localdate() + dt.timedelta(days=4)).isoformat()
    response = client.post(
        f"/staff/billing/arrears/{unit.pk}/",
        {
            "channel": "phone",
            "contact_name": "王芳",
            "category": "promised",
            "promised_date": promised,
            "summary": "周五交",
        },
    )
    assert response.status_code == 302
    connection.set_tenant(tenant_a)
    contact = DunningContact.objects.get(unit=unit)
    assert (contact.category, contact.promised_date.isoformat(), contact.amount_owed) == ("promised", promised, 23375)  # type: ignore[union-attr]
    _s, html = page(client, f"/staff/billing/arrears/{unit.pk}/", tenant_a)
    assert "周五交" in html and promised in html


def test_unit_page_shows_field_errors(arrears_world: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    unit = arrears_world.units[0]
    client = client_for(tenant_a, member(tenant_a, ["finance"]))
    response = client.post(f"/staff/billing/arrears/{unit.pk}/", {"channel": "", "category": "promised", "summary": ""})
    html = response.content.decode()
    assert response.status_code == 400
    for field in ("channel", "summary", "promised_date"):
        assert f'data-error-for="{field}"' in html, field
    connection.set_tenant(tenant_a)
    assert not DunningContact.objects.exists()


def test_demand_letter_pdf_page(arrears_world: World, tenant_a: Any, member: Any, client_for: Any) -> None:
    unit = arrears_world.units[0]
    client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    response = client.get(f"/staff/billing/arrears/{unit.pk}/letter.pdf?deadline={deadline}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "王芳" in text and "¥233.75" in text and deadline in text
    connection.set_tenant(tenant_a)
    assert DunningContact.objects.filter(unit=unit, channel="letter").count() == 1
    # a unit that owes nothing overdue: back to its page with a message, no letter
    nothing = client.get(f"/staff/billing/arrears/{arrears_world.units[1].pk}/letter.pdf")
    assert nothing.status_code == 302


def test_pages_are_for_dunning_roles_scope_and_company_only(
    arrears_world: World, tenant_a: Any, tenant_b: Any, member: Any, client_for: Any
) -> None:
    from backend.accounts.models import Membership

    unit = arrears_world.units[0]
    for role in ("engineer", "security", "resident"):
        client = client_for(tenant_a, member(tenant_a, [role]))
        assert client.get("/staff/billing/arrears/").status_code == 403, role
        assert client.get(f"/staff/billing/arrears/{unit.pk}/").status_code == 403, role
    scoped = member(tenant_a, ["finance"])
    Membership.objects.filter(user=scoped).update(scope_all=False, scope_estate_ids=[unit.estate_id + 99])
    client = client_for(tenant_a, scoped)
    status, html = page(client, "/staff/billing/arrears/", tenant_a)
    assert status == 200 and f'data-unit-row="{unit.pk}"' not in html
    assert client.get(f"/staff/billing/arrears/{unit.pk}/").status_code == 404
    assert client.get(f"/staff/billing/arrears/{unit.pk}/letter.pdf").status_code == 404
    beta = client_for(tenant_b, member(tenant_b, ["finance"]))
    status, html = page(beta, "/staff/billing/arrears/", tenant_b)
    assert status == 200 and "王芳" not in html
    assert beta.get(f"/staff/billing/arrears/{unit.pk}/").status_code == 404
