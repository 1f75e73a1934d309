"""Two residents on the same facility's week page, on phones: one books a slot, and the other's grid shows the
place taken within seconds, without reloading (the availability push over the notification socket, applied by
js/club-grid.js)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_announcement_journey import PASSWORD, sign_in

pytestmark = [pytest.mark.browser]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def club_of_two(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.club import services as club
    from backend.club.models import Booking, Facility
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
        for key in ("a", "b"):
            users[key] = User.objects.create_user(
                email=f"club-{key}-{tag}@example.test", password=PASSWORD, name=f"住户{key}{tag}"
            )
            Membership.objects.create(user=users[key], tenant=tenant, roles=["resident"])
        connection.set_tenant(tenant)
        office = services.office_create(name=f"会所管理处{tag}", scope=everything)
        estate = services.estate_create(office_id=office.pk, name=f"会所小区{tag}", scope=everything)
        building = services.building_create(estate_id=estate.pk, name="1栋", scope=everything)
        services.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="80", scope=everything
        )
        for unit, key in zip(Unit.objects.filter(building=building).order_by("number"), ("a", "b"), strict=True):
            person = Person.objects.create(name=key, user=users[key])
            services.occupancy_move_in(
                unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2024, 1, 1), scope=everything
            )
        gym = club.facility_create(
            estate_id=estate.pk, scope=everything, name=f"健身房{tag}", kind="gym", capacity=2, counts_people=True
        )
        club.opening_hours_set(facility=gym, hours=[(d, 6 * 60, 22 * 60) for d in range(7)])
        connection.set_schema_to_public()
    yield {"users": users, "gym": gym}
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        ids = [u.pk for u in users.values()]
        Booking.objects.filter(facility__estate=estate).delete()
        Facility.objects.filter(estate=estate).delete()
        Notification.objects.filter(recipient_id__in=ids).delete()
        Occupancy.objects.filter(unit__building=building).delete()
        Person.objects.filter(user_id__in=ids).delete()
        Unit.objects.filter(building=building).delete()
        Building.objects.filter(pk=building.pk).delete()
        Estate.objects.filter(pk=estate.pk).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        connection.set_schema_to_public()
        Membership.objects.filter(user_id__in=ids).delete()
        User.objects.filter(pk__in=ids).delete()


def test_a_booking_shows_on_the_other_residents_grid_without_reloading(
    browser: Any, live_asgi: str, club_of_two: dict[str, Any]
) -> None:
    from zoneinfo import ZoneInfo

    base = f"http://alpha.localhost{live_asgi}"
    gym, users = club_of_two["gym"], club_of_two["users"]
    tz = ZoneInfo("Asia/Shanghai")
    tomorrow = dt.datetime.now(tz).date() + dt.timedelta(days=1)
    start = dt.datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, 0, tzinfo=tz)
    cell = f'[data-cell="{int(start.timestamp() * 1000)}"]'
    url = f"{base}/resident/club/{gym.pk}/?week={tomorrow.isoformat()}"

    a = sign_in(browser, base, users["a"].email, **PHONE)
    b = sign_in(browser, base, users["b"].email, **PHONE)
    for page in (a, b):
        page.goto(url)
        page.wait_for_selector(f'[data-club-grid="{gym.pk}"][data-live="on"]', timeout=10_000)
    b.evaluate("window.__notReloaded = true")
    assert b.locator(cell).get_attribute("data-left-value") == "2"
    assert b.evaluate("document.documentElement.scrollWidth") <= 390  # the week fits a phone's width

    a.locator(cell).click()
    a.locator("[data-book]").click()
    a.wait_for_url(f"{base}/resident/bookings/*/")
    assert a.locator("[data-booking-qr] svg").count() == 1

    b.wait_for_function(
        f"() => document.querySelector('{cell}').getAttribute('data-left-value') === '1'", timeout=10_000
    )
    assert b.evaluate("window.__notReloaded") is True
    assert "lvl-some" in (b.locator(cell).get_attribute("class") or "")
    assert b.locator(f"{cell} [data-left]").inner_text() == "1"
