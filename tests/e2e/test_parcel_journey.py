"""件件通知, in real browsers: security, on a phone, logs a parcel for a home in two taps (the home found by
typing its number, the carrier) and the resident, whose parcels page is open on their phone, gets a toast with
the pickup code within seconds, without reloading; the neighbour gets nothing. Security then hands the parcel
over by that code, the resident signing on the phone's screen (the canvas, drawn with touch)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_announcement_journey import PASSWORD, sign_in

pytestmark = [pytest.mark.browser]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def estate_with_parcels(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.audit.models import AuditEntry
    from backend.gate.models import GateEntry, Parcel, VisitorPass
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
        for key, roles in (("guard", ["security"]), ("a", ["resident"]), ("b", ["resident"])):
            users[key] = User.objects.create_user(
                email=f"parcel-{key}-{tag}@example.test", password=PASSWORD, name=f"{key}{tag}"
            )
            Membership.objects.create(user=users[key], tenant=tenant, roles=roles)
        connection.set_tenant(tenant)
        office = services.office_create(name=f"快递管理处{tag}", scope=everything)
        estate = services.estate_create(office_id=office.pk, name=f"快递小区{tag}", scope=everything)
        building = services.building_create(estate_id=estate.pk, name="8栋", scope=everything)
        services.units_generate(
            building_id=building.pk, first_floor=12, last_floor=12, units_per_floor=2, area="80", scope=everything
        )
        units = list(Unit.objects.filter(building=building).order_by("number"))
        for unit, key in zip(units, ("a", "b"), strict=True):
            person = Person.objects.create(name=key, user=users[key])
            services.occupancy_move_in(
                unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2024, 1, 1), scope=everything
            )
        connection.set_schema_to_public()
    yield {"tag": tag, "users": users, "home": units[0], "estate": estate.name}
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        ids = [u.pk for u in users.values()]
        parcels = Parcel.objects.filter(estate=estate)
        AuditEntry.objects.filter(object_type="gate.parcel", object_id__in=[str(p.pk) for p in parcels]).delete()
        for parcel in parcels:
            if parcel.signature:
                parcel.signature.delete(save=False)
        parcels.delete()
        GateEntry.objects.filter(estate=estate).delete()
        VisitorPass.objects.filter(estate=estate).delete()
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


def open_live(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")


def test_a_parcel_logged_by_security_reaches_the_residents_phone_with_its_code(
    browser: Any, live_asgi: str, estate_with_parcels: dict[str, Any]
) -> None:
    base = f"http://alpha.localhost{live_asgi}"
    users, tag, home = estate_with_parcels["users"], estate_with_parcels["tag"], estate_with_parcels["home"]
    resident = sign_in(browser, base, users["a"].email, **PHONE)
    neighbour = sign_in(browser, base, users["b"].email, **PHONE)
    open_live(resident, f"{base}/resident/parcels/")
    open_live(neighbour, f"{base}/resident/parcels/")
    resident.evaluate("window.__notReloaded = true")
    assert resident.locator("[data-pickup-code]").count() == 0

    guard = sign_in(browser, base, users["guard"].email, **PHONE)
    guard.goto(f"{base}/staff/parcels/new/")
    guard.fill("[data-unit-search]", f"快递小区{tag} {home.number}")
    pick = guard.locator(f'[data-unit-pick="{home.pk}"]')
    pick.wait_for(timeout=10_000)
    pick.tap()  # the first tap: the home
    assert guard.locator("input[name=unit]").input_value() == str(home.pk)
    assert home.number in guard.locator("[data-unit-chosen]").inner_text()
    guard.locator("label", has=guard.locator("input[name=carrier][value=sf]")).tap()  # the second: the carrier
    guard.fill("#id_tracking_number", f"SF{tag.upper()}0001")
    guard.fill("#id_shelf", "A-3")
    assert guard.evaluate("document.documentElement.scrollWidth") <= 390  # the form fits a phone's width
    guard.locator("[data-parcel-submit]").tap()
    guard.wait_for_url(f"{base}/staff/parcels/new/")
    said = guard.locator(".msg-success, [role=status]").first.inner_text()
    code = re.search(r"\b(\d{6})\b", said)
    assert code, said
    pickup_code = code.group(1)
    assert guard.locator("#id_shelf").input_value() == "A-3"  # kept for the next parcel

    toast = resident.locator('[data-toast="gate.parcel_arrived"]')
    toast.wait_for(timeout=10_000)
    assert pickup_code in toast.inner_text()
    assert resident.evaluate("window.__notReloaded") is True
    assert resident.locator("[data-unread]").inner_text() == "1"
    neighbour.wait_for_timeout(1500)  # give a wrong delivery every chance to show up
    assert neighbour.locator("[data-toast]").count() == 0

    resident.reload()
    assert resident.locator("[data-pickup-code]").inner_text() == pickup_code

    # At the desk: the code, the resident's signature on the phone's screen, handed over.
    guard.goto(f"{base}/staff/parcels/pickup/")
    guard.fill("#id_code", pickup_code)
    guard.locator("[data-pickup-lookup] button[type=submit]").tap()
    guard.wait_for_selector("[data-signature-pad]")
    assert "A-3" in guard.locator("[data-pickup-parcel]").inner_text()
    guard.fill("#id_name", "a本人")
    canvas = guard.locator("[data-signature-pad]")
    canvas.scroll_into_view_if_needed()
    pad = canvas.bounding_box()
    assert pad is not None
    # A finger's stroke, as the phone's touch screen sends it.
    cdp = guard.context.new_cdp_session(guard)
    points = [(pad["x"] + 20 + step * 25, pad["y"] + pad["height"] * (0.7 - 0.4 * (step % 2))) for step in range(12)]
    for n, (x, y) in enumerate(points):
        kind = "touchStart" if n == 0 else "touchMove"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    with guard.expect_navigation():
        guard.locator("[data-pickup-submit]").click()
    assert guard.url == f"{base}/staff/parcels/pickup/", guard.locator("main").inner_text()
    assert "a本人" in guard.locator(".msg-success, [role=status]").first.inner_text()

    collected = resident.locator('[data-toast="gate.parcel_collected"]')
    collected.wait_for(timeout=10_000)
    resident.reload()
    assert resident.locator("[data-pickup-code]").count() == 0
    assert resident.locator("[data-parcels-done]").count() == 1
