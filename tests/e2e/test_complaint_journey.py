"""A resident on a phone complains about noise; customer service takes it, classifies it as important,
escalates it to the supervisor and resolves it, telling the resident on their phone; the resident sees the
outcome arrive as a toast without reloading, opens it and rates how it was handled; customer service's revisit
closes it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

pytestmark = [pytest.mark.browser]
PASSWORD = "Complain-2026-ok"


@pytest.fixture
def one_home(django_db_blocker):
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.desk.complaint_models import Complaint, ComplaintEvent
    from backend.desk.models import Rating
    from backend.notifications.models import Notification
    from backend.properties import services
    from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
    from backend.properties.scope import Scope
    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:6]
    everything = Scope.everything()
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        users = {}
        for key, roles in (("staff", ["customer_service"]), ("resident", ["resident"])):
            users[key] = User.objects.create_user(
                email=f"{key}-{tag}@example.test", password=PASSWORD, name=f"{key}-{tag}"
            )
            Membership.objects.create(user=users[key], tenant=tenant, roles=roles)
        connection.set_tenant(tenant)
        office = services.office_create(name=f"投诉管理处{tag}", scope=everything)
        estate = services.estate_create(office_id=office.pk, name=f"投诉小区{tag}", scope=everything)
        building = services.building_create(estate_id=estate.pk, name="1栋", scope=everything)
        services.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="80", scope=everything
        )
        person = Person.objects.create(name="业主", user=users["resident"])
        services.occupancy_move_in(
            unit_id=Unit.objects.get(building=building).pk,
            person=person,
            role="owner",
            start_date=dt.date(2024, 1, 1),
            scope=everything,
        )
        connection.set_schema_to_public()
    yield {"tag": tag, "users": users}
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        ids = [u.pk for u in users.values()]
        complaints = Complaint.objects.filter(estate__name=estate.name)
        Rating.objects.filter(complaint__in=complaints).delete()
        ComplaintEvent.objects.filter(complaint__in=complaints).delete()
        complaints.delete()
        Notification.objects.filter(recipient_id__in=ids).delete()
        units = Unit.objects.filter(estate__name=estate.name)
        Occupancy.objects.filter(unit__in=units).delete()
        Person.objects.filter(user_id__in=ids).delete()
        units.delete()
        Building.objects.filter(estate__name=estate.name).delete()
        Estate.objects.filter(name=estate.name).delete()
        ManagementOffice.objects.filter(name=office.name).delete()
        connection.set_schema_to_public()
        Membership.objects.filter(user_id__in=ids).delete()
        User.objects.filter(pk__in=ids).delete()


def sign_in(browser, base, email, **context):
    page = browser.new_context(**context).new_page()
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-login-form] button[type=submit]")
    page.wait_for_load_state()
    page.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")
    return page


def test_a_complaint_from_the_phone_to_its_outcome_and_revisit(browser, live_asgi, one_home):
    base = f"http://alpha.localhost{live_asgi}"
    users, tag = one_home["users"], one_home["tag"]
    phone = sign_in(browser, base, users["resident"].email, viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{base}/resident/complaints/new/")
    phone.select_option("#id_cause", "noise")
    phone.fill("#id_description", f"楼上每晚装修到十一点{tag}")
    phone.fill("#id_wanted", "晚上十点后停工")
    phone.fill("#id_contact_phone", "13900000001")
    phone.click("[data-complaint-form] button[type=submit]")
    phone.wait_for_url("**/resident/complaints/*/")
    complaint_url = phone.url
    assert phone.locator("[data-complaint-status]").get_attribute("data-complaint-status") == "new"
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    staff = sign_in(browser, base, users["staff"].email)
    staff.goto(f"{base}/staff/desk/complaints/?tab=new")
    staff.locator("[data-queue=new] a", has_text="TS").first.click()
    staff.wait_for_url("**/staff/desk/complaints/*/")
    staff.click("[data-step=take]")
    staff.select_option("[data-classify] select[name=severity]", "important")
    staff.click("[data-classify] button[type=submit]")
    staff.wait_for_load_state()
    assert staff.locator("[data-clock=escalate]").is_visible()
    staff.select_option("[data-escalate] select[name=to]", "1")
    staff.fill("[data-escalate] input[name=note]", "多次投诉,转呈主管")
    staff.click("[data-escalate] button[type=submit]")
    staff.wait_for_load_state()
    assert staff.locator("[data-complaint-status]").get_attribute("data-level") == "1"
    staff.fill("[data-resolve] input[name=outcome]", f"已与装修户约定十点后停工{tag}")
    staff.select_option("[data-resolve] select[name=told_via]", "app")
    staff.click("[data-resolve] button[type=submit]")
    staff.wait_for_load_state()

    toast = phone.locator("[data-toast]", has_text="已与装修户约定")
    toast.wait_for(timeout=10_000)
    phone.goto(complaint_url)
    assert f"已与装修户约定十点后停工{tag}" in phone.locator("[data-outcome]").inner_text()
    phone.locator("[data-rate-form] input[name=score][value='4']").check()
    phone.click("[data-rate-form] button[type=submit]")
    phone.wait_for_load_state()
    assert "4/5" in phone.locator("[data-rating]").inner_text()

    staff.reload()
    staff.fill("[data-revisit] input[name=note]", "业主满意")
    staff.click("[data-revisit] button[type=submit]")
    staff.wait_for_load_state()
    assert staff.locator("[data-complaint-status]").get_attribute("data-complaint-status") == "closed"
    events = staff.locator("[data-timeline] [data-event]").evaluate_all("els => els.map(e => e.dataset.event)")
    assert events == ["filed", "assigned", "classified", "escalated", "resolved", "rated", "revisited"]
