"""The registry journey in a real browser: staff creates an office, an estate and a building, generates
30 floors × 4 units, imports residents from an .xlsx file made here; a resident signs up, asks to be bound
to a unit, staff approves, and the resident is told at once and sees the unit."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import Workbook

from backend.properties.sheets import RESIDENT_COLUMNS

# No django_db mark: what this test writes must be committed, for the server process to see it.
pytestmark = [pytest.mark.browser]

PASSWORD = "Registry-2026-ok"


@pytest.fixture
def alpha_admin(django_db_blocker):
    from django.db import connection

    from backend.accounts.models import Membership, User
    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        user = User.objects.create_user(email=f"registry-{tag}@example.test", password=PASSWORD, name="登记员")
        Membership.objects.create(user=user, tenant=tenant, roles=["company_admin"])
    yield {"email": user.email, "tag": tag}
    with django_db_blocker.unblock():
        from backend.properties.models import (
            BindingRequest,
            Building,
            Estate,
            ImportJob,
            ManagementOffice,
            Occupancy,
            Person,
            Unit,
        )

        connection.set_tenant(tenant)
        offices = ManagementOffice.objects.filter(name__endswith=tag)
        units = Unit.objects.filter(office__in=offices)
        people = list(Person.objects.filter(occupancies__unit__in=units).values_list("pk", flat=True))
        BindingRequest.objects.filter(unit__in=units).delete()
        Occupancy.objects.filter(unit__in=units).delete()
        Person.objects.filter(pk__in=people).delete()
        units.delete()
        Building.objects.filter(estate__office__in=offices).delete()
        Estate.objects.filter(office__in=offices).delete()
        offices.delete()
        for job in ImportJob.objects.filter(created_by_id=user.pk):
            job.file.delete(save=False)
            job.delete()
        resident_ids = list(User.objects.filter(email__startswith=f"resident-{tag}").values_list("pk", flat=True))
        from backend.notifications.models import Notification

        Notification.objects.filter(recipient_id__in=[user.pk, *resident_ids]).delete()
        Person.objects.filter(user_id__in=resident_ids).delete()
        connection.set_schema_to_public()
        Membership.objects.filter(user_id__in=[user.pk, *resident_ids]).delete()
        User.objects.filter(pk__in=[user.pk, *resident_ids]).delete()


def residents_file(estate: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([h for _k, h in RESIDENT_COLUMNS])
    ws.append([estate, "1栋", "101", "王芳", "13911112222", "", "1990-03-07", "业主", "2024-05-01"])
    ws.append([estate, "1栋", "102", "李强", "13933334444", "", "", "租户", "2024-06-01"])
    ws.append([estate, "1栋", "3004", "赵磊", "", "", "", "业主", ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_registry_journey(browser, live_asgi, alpha_admin, tmp_path):
    port, tag = live_asgi, alpha_admin["tag"]
    base = f"http://alpha.localhost{port}"
    office, estate = f"西湖管理处{tag}", f"阳光花园{tag}"
    staff = browser.new_context().new_page()
    staff.goto(f"{base}/login/")
    staff.fill("#id_username", alpha_admin["email"])
    staff.fill("#id_password", PASSWORD)
    staff.click("[data-login-form] button[type=submit]")
    staff.wait_for_url(f"{base}/staff/")

    staff.goto(f"{base}/staff/registry/")
    staff.fill("#id_office-name", office)
    # The form posts to the page it is on: wait for the new page, not just the (unchanged) URL.
    with staff.expect_navigation():
        staff.click("[data-add=office] button[type=submit]")
    staff.select_option("#id_estate-office", label=office)
    staff.fill("#id_estate-name", estate)
    with staff.expect_navigation():
        staff.click("[data-add=estate] button[type=submit]")
    staff.select_option("#id_building-estate", label=estate)
    staff.fill("#id_building-name", "1栋")
    staff.click("[data-add=building] button[type=submit]")
    staff.wait_for_url("**/generate/")

    staff.fill("#id_last_floor", "30")
    staff.fill("#id_units_per_floor", "4")
    staff.fill("#id_area", "89.50")
    staff.click("[data-generate] button[type=submit]")
    staff.wait_for_url("**/staff/units/?building=*")
    assert "(120)" in staff.locator("h1").inner_text()

    path = tmp_path / "residents.xlsx"
    path.write_bytes(residents_file(estate))
    staff.goto(f"{base}/staff/imports/")
    staff.select_option("#id_kind", "residents")
    staff.set_input_files("#id_file", str(path))
    staff.click("[data-import-form] button[type=submit]")
    staff.wait_for_url("**/staff/imports/?job=*")
    assert staff.locator("[data-import-result]").is_visible()
    assert "3" in staff.locator("[data-import-result]").inner_text()

    # A resident signs up and asks to be bound to 1201.
    resident = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    resident.goto(f"{base}/signup/")
    resident.fill("#id_name", "新业主")
    resident.fill("#id_phone", f"135{uuid.uuid4().int % 10**8:08d}")
    resident.fill("#id_email", f"resident-{tag}@example.test")
    resident.fill("#id_password", "Resident-2026-ok")
    resident.check("#id_privacy_accepted")
    resident.click("[data-resident-signup] button[type=submit]")
    resident.wait_for_url(f"{base}/resident/")
    resident.goto(f"{base}/resident/bind/")
    resident.select_option("#id_estate", label=estate)
    resident.wait_for_function("() => document.querySelectorAll('#id_building option').length > 1")
    resident.select_option("#id_building", label="1栋")
    resident.wait_for_function("() => document.querySelectorAll('#id_unit option').length > 1")
    resident.select_option("#id_unit", label="1201")
    resident.select_option("#id_relation", "owner")
    resident.click("[data-bind-form] button[type=submit]")
    resident.wait_for_url(f"{base}/resident/")
    assert resident.locator("[data-request-status=pending]").is_visible()
    resident.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")

    staff.goto(f"{base}/staff/bindings/")
    card = staff.locator("[data-binding]").filter(has_text=f"{estate} 1栋 1201")
    card.locator("input[name=note]").fill("已核对")
    with staff.expect_navigation():
        card.locator("[data-approve]").click()

    toast = resident.locator("[data-toast='binding.approved']")
    toast.wait_for(timeout=10_000)
    assert "1201" in toast.inner_text()
    resident.reload()
    assert f"{estate} 1栋 1201" in resident.locator("[data-my-units]").inner_text()
    assert resident.locator("[data-my-units] [data-unit]").count() == 1
