"""Issue 13's journey, on phones, in three browsers of one Chromium (its fake camera films a QR code):

- resident A books the last place of a slot (a facility of capacity 1, free, 15-minute slots);
- resident B's grid shows it full without reloading, and B joins its waitlist from the grid;
- A cancels; B gets the offer toast, follows it to the offer page and accepts: confirmed;
- security opens the check-in page, the camera reads B's QR code (the code drawn on B's booking page) and the
  booking is checked in; the staff day calendar shows B's booking checked in.

The slot is the first 15-minute one at least 3 minutes ahead, so check-in (from 30 minutes before) is open."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, watch_csp
from tests.e2e.test_announcement_journey import PASSWORD, sign_in
from tests.e2e.test_resident_home import qr_video

pytestmark = [pytest.mark.browser]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SLOT = 15


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake camera's clip: rewritten with B's booking code before security opens the camera."""
    return qr_video(tmp_path_factory.mktemp("camera") / "qr.y4m", "NOTHING-YET")


@pytest.fixture(scope="module")
def browser(camera: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        new_context = browser.new_context
        browser.new_context = lambda *a, **kw: watch_csp(new_context(*a, **kw))  # type: ignore[method-assign]
        yield browser
        browser.close()


def next_slot(tz: Any) -> dt.datetime:
    """The first slot start at least 3 minutes ahead (check-in opens 30 minutes before it, across midnight
    too; the pages are opened on the slot's own date)."""
    soon = dt.datetime.now(tz) + dt.timedelta(minutes=3)
    start = soon.replace(minute=soon.minute - soon.minute % SLOT, second=0, microsecond=0)
    return start if start >= soon else start + dt.timedelta(minutes=SLOT)


@pytest.fixture
def club_journey(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.club import services as club
    from backend.club.models import Booking, Facility, WaitlistEntry
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
        for key, roles in (("a", ["resident"]), ("b", ["resident"]), ("guard", ["security"])):
            users[key] = User.objects.create_user(
                email=f"journey-{key}-{tag}@example.test", password=PASSWORD, name=f"会所{key}{tag}"
            )
            Membership.objects.create(user=users[key], tenant=tenant, roles=roles)
        connection.set_tenant(tenant)
        office = services.office_create(name=f"旅程管理处{tag}", scope=everything)
        estate = services.estate_create(office_id=office.pk, name=f"旅程小区{tag}", scope=everything)
        building = services.building_create(estate_id=estate.pk, name="1栋", scope=everything)
        services.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=2, area="80", scope=everything
        )
        for unit, key in zip(Unit.objects.filter(building=building).order_by("number"), ("a", "b"), strict=True):
            person = Person.objects.create(name=key, user=users[key])
            services.occupancy_move_in(
                unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2024, 1, 1), scope=everything
            )
        room = club.facility_create(
            estate_id=estate.pk,
            scope=everything,
            name=f"棋牌室{tag}",
            kind="meeting_room",
            capacity=1,
            slot_minutes=SLOT,
            min_notice_minutes=0,
            cancel_cutoff_minutes=0,
            horizon_days=2,
        )
        club.opening_hours_set(facility=room, hours=[(d, 0, 24 * 60) for d in range(7)])
        connection.set_schema_to_public()
    yield {"users": users, "room": room}
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        ids = [u.pk for u in users.values()]
        WaitlistEntry.objects.filter(facility__estate=estate).delete()
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


def test_two_residents_a_waitlist_offer_and_a_qr_check_in(
    browser: Any, live_asgi: str, club_journey: dict[str, Any], camera: Path
) -> None:
    from zoneinfo import ZoneInfo

    base = f"http://alpha.localhost{live_asgi}"
    room, users = club_journey["room"], club_journey["users"]
    start = next_slot(ZoneInfo("Asia/Shanghai"))
    cell = f'[data-cell="{int(start.timestamp() * 1000)}"]'
    url = f"{base}/resident/club/{room.pk}/?week={start.date().isoformat()}"

    a = sign_in(browser, base, users["a"].email, **PHONE)
    b = sign_in(browser, base, users["b"].email, **PHONE)
    for page in (a, b):
        page.goto(url)
        page.wait_for_selector(f'[data-club-grid="{room.pk}"][data-live="on"]', timeout=10_000)
    b.evaluate("window.__notReloaded = true")
    assert b.locator(cell).get_attribute("data-state") == "open"

    # A books the last (only) place.
    a.locator(cell).click()
    a.locator("[data-book]").click()
    a.wait_for_url(f"{base}/resident/bookings/*/")
    a_booking = a.url

    # B's grid shows the slot full, live; B chooses it and the form offers the waitlist instead of booking.
    b.wait_for_function(f"() => document.querySelector('{cell}').getAttribute('data-state') === 'full'")
    assert b.evaluate("window.__notReloaded") is True
    assert "lvl-full" in (b.locator(cell).get_attribute("class") or "")
    b.locator(cell).click()
    assert b.locator("[data-join-waitlist]").is_visible() and b.locator("[data-book]").is_hidden()
    b.locator("[data-join-waitlist]").click()
    b.wait_for_url(f"{base}/resident/waitlist/*/")
    assert b.locator('[data-position="1"]').count() == 1
    b.wait_for_function("() => document.documentElement.getAttribute('data-realtime') === 'open'")

    # A cancels; B is offered the place (a toast that leads to the offer page) and accepts it.
    a.goto(f"{a_booking}cancel/")
    a.locator("[data-cancel-form] button[type=submit]").click()
    a.wait_for_url(f"{base}/resident/bookings/")
    toast = b.locator('[data-toast="club.waitlist_offer"] a').first
    toast.wait_for(timeout=15_000)
    toast.click()
    b.wait_for_url(f"{base}/resident/waitlist/*/")
    assert int(b.locator("[data-countdown]").get_attribute("data-countdown") or 0) > 0
    b.locator("[data-accept]").click()
    b.wait_for_url(f"{base}/resident/bookings/*/")
    assert b.locator("[data-booking]").first.get_attribute("data-status") == "confirmed"
    code = b.locator("[data-booking-code]").inner_text().strip()
    booking_id = int(b.url.rstrip("/").rsplit("/", 1)[1])

    # Security films B's QR code with the phone's camera on the check-in page.
    qr_video(camera, code)
    guard = sign_in(browser, base, users["guard"].email, **PHONE)
    guard.goto(f"{base}/staff/club/check-in/")
    scan = guard.locator("[data-qr-start]")
    scan.wait_for(state="visible")
    with guard.expect_navigation(url=f"{base}/staff/club/check-in/"):
        scan.click()
    guard.locator("[data-checkin-ok]").wait_for()
    assert guard.locator("[data-checkin-result]").get_attribute("data-booking") == str(booking_id)
    assert guard.evaluate("document.documentElement.scrollWidth") <= 390

    # The staff day calendar shows B's booking checked in.
    guard.goto(f"{base}/staff/club/calendar/?date={start.date().isoformat()}")
    from django.utils import translation

    from backend.club.models import BookingStatus

    with translation.override("zh-hans"):
        checked_in = {str(BookingStatus.CHECKED_IN.label), "Checked in"}
    shown = guard.locator(f'[data-calendar-facility="{room.pk}"] [data-cal-booking="{booking_id}"]')
    assert any(label in shown.inner_text() for label in checked_in), shown.inner_text()
