"""A staff member publishes an announcement to one building; a resident of that building, signed in in
another browser, sees the toast and the badge within seconds without reloading; a resident of the other
building sees nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

pytestmark = [pytest.mark.browser]
PASSWORD = "Announce-2026-ok"


@pytest.fixture
def two_buildings(django_db_blocker):
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.notifications.models import Announcement, AnnouncementRecipient, Notification
    from backend.properties import services
    from backend.properties.models import Building, Estate, ManagementOffice, Occupancy, Person, Unit
    from backend.properties.scope import Scope
    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:6]
    everything = Scope.everything()
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        users = {}
        for key, roles in (("staff", ["customer_service"]), ("r1", ["resident"]), ("r2", ["resident"])):
            users[key] = User.objects.create_user(
                email=f"{key}-{tag}@example.test", password=PASSWORD, name=f"{key}-{tag}"
            )
            Membership.objects.create(user=users[key], tenant=tenant, roles=roles)
        connection.set_tenant(tenant)
        office = services.office_create(name=f"公告管理处{tag}", scope=everything)
        estate = services.estate_create(office_id=office.pk, name=f"公告小区{tag}", scope=everything)
        buildings = [services.building_create(estate_id=estate.pk, name=f"{n}栋", scope=everything) for n in (1, 2)]
        for building, key in zip(buildings, ("r1", "r2"), strict=True):
            services.units_generate(
                building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="80", scope=everything
            )
            person = Person.objects.create(name=key, user=users[key])
            services.occupancy_move_in(
                unit_id=Unit.objects.get(building=building).pk,
                person=person,
                role="owner",
                start_date=dt.date(2024, 1, 1),
                scope=everything,
            )
        connection.set_schema_to_public()
    yield {"tag": tag, "estate": estate.name, "users": users}
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        ids = [u.pk for u in users.values()]
        AnnouncementRecipient.objects.filter(user_id__in=ids).delete()
        Announcement.objects.filter(title__endswith=tag).delete()
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


def test_announcement_reaches_its_building_live(browser, live_asgi, two_buildings):
    base = f"http://alpha.localhost{live_asgi}"
    users, tag = two_buildings["users"], two_buildings["tag"]
    r1 = sign_in(browser, base, users["r1"].email, viewport={"width": 390, "height": 844}, is_mobile=True)
    r2 = sign_in(browser, base, users["r2"].email)
    assert r1.locator("[data-unread]").is_hidden()

    staff = sign_in(browser, base, users["staff"].email)
    staff.goto(f"{base}/staff/announcements/")
    staff.fill("#id_title", f"停水通知{tag}")
    staff.fill("#id_body", "<p>明天 9:00–12:00 停水，请提前储水。</p>")
    staff.get_by_label(f"{two_buildings['estate']} 1栋").check()
    staff.click("[data-announcement-form] button[type=submit]")
    staff.wait_for_url("**/staff/announcements/*/")
    assert "0%" in staff.locator("[data-read-rate]").inner_text()

    toast = r1.locator("[data-toast=announcement]")
    toast.wait_for(timeout=10_000)
    assert f"停水通知{tag}" in toast.inner_text()
    assert r1.locator("[data-unread]").inner_text() == "1"
    r2.wait_for_timeout(1500)  # give a wrong delivery every chance to show up
    assert r2.locator("[data-toast]").count() == 0 and r2.locator("[data-unread]").is_hidden()

    toast.locator("a").click()
    r1.wait_for_url("**/announcements/*/")
    assert "请提前储水" in r1.locator("[data-announcement-body]").inner_text()
    staff.reload()
    assert "100%" in staff.locator("[data-read-rate]").inner_text()
