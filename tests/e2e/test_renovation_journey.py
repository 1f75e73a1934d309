"""Renovation (装修) on phones, in one Chromium whose fake camera films a QR code:

- the owner applies on the phone page with a PDF plan, a contractor and two workers;
- customer service and then engineering approve on the application page (each their own form);
- the owner's page asks for the deposit and the debris fee; they are paid at the counter (the cashier) and the
  owner's page then shows the permit (出入证) as a QR code;
- security opens the permit check on a phone, the camera reads that QR code and the permit shows valid, with
  the home and the workers; the page fits the phone's width."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backend.renovation.cleanup import renovation_world_remove
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, watch_csp
from tests.e2e.test_announcement_journey import PASSWORD, sign_in
from tests.e2e.test_resident_home import qr_video

pytestmark = [pytest.mark.browser]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake camera's clip: rewritten with the permit's code before security opens the camera."""
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


@pytest.fixture
def journey(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from django.db import connection

    from backend.accounts.models import Membership, User
    from backend.properties import services
    from backend.properties.models import Person, Unit
    from backend.properties.scope import Scope
    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:6]
    everything = Scope.everything()
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        users = {}
        for key, roles in (
            ("owner", ["resident"]),
            ("desk", ["customer_service"]),
            ("engineer", ["engineer"]),
            ("guard", ["security"]),
        ):
            users[key] = User.objects.create_user(
                email=f"reno-{key}-{tag}@example.test", password=PASSWORD, name=f"装修{key}{tag}"
            )
            Membership.objects.create(user=users[key], tenant=tenant, roles=roles)
        connection.set_tenant(tenant)
        office = services.office_create(name=f"装修旅程管理处{tag}", scope=everything)
        estate = services.estate_create(office_id=office.pk, name=f"装修旅程小区{tag}", scope=everything)
        building = services.building_create(estate_id=estate.pk, name="1栋", scope=everything)
        services.units_generate(
            building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="90", scope=everything
        )
        unit = Unit.objects.get(building=building)
        person = Person.objects.create(name="业主", user=users["owner"])
        services.occupancy_move_in(
            unit_id=unit.pk, person=person, role="owner", start_date=dt.date(2024, 1, 1), scope=everything
        )
        connection.set_schema_to_public()
    yield {"users": users, "unit": unit, "tenant": tenant}
    with django_db_blocker.unblock():
        renovation_world_remove(tenant, tag, [u.pk for u in users.values()])


def test_an_owner_applies_two_approve_and_security_scans_the_permit(
    browser: Any, live_asgi: str, journey: dict[str, Any], camera: Path, tmp_path: Path, django_db_blocker: Any
) -> None:
    from django.db import connection
    from django.utils import timezone

    from backend.billing import ledger
    from backend.renovation import money
    from backend.renovation.models import Application
    from tests.backend.renovation.conftest import PDF

    base = f"http://alpha.localhost{live_asgi}"
    users, unit = journey["users"], journey["unit"]
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(PDF)
    today = timezone.localdate()

    # The owner applies on the phone.
    owner = sign_in(browser, base, users["owner"].email, **PHONE)
    owner.goto(f"{base}/resident/renovation/new/")
    form = owner.locator("[data-renovation-form]")
    form.locator("#id_unit").select_option(str(unit.pk))
    form.locator("#id_scope").fill("厨房卫生间翻新")
    form.locator("#id_starts_on").fill(today.isoformat())
    form.locator("#id_ends_on").fill((today + dt.timedelta(days=30)).isoformat())
    form.locator("#id_contractor_company").fill("美家装饰有限公司")
    form.locator("#id_contractor_contact").fill("张工")
    form.locator("#id_contractor_phone").fill("13800000001")
    form.locator("#id_workers").fill("李师傅 13800000002\n王师傅 13800000003")
    form.locator("#id_applicant_phone").fill("13900000001")
    form.locator("#id_plan1").set_input_files(str(plan))
    form.locator("button[type=submit]").click()
    owner.wait_for_url(f"{base}/resident/renovation/*/")
    assert owner.locator("[data-renovation-status]").get_attribute("data-renovation-status") == "submitted"
    application_id = int(owner.url.rstrip("/").rsplit("/", 1)[1])
    assert owner.evaluate("document.documentElement.scrollWidth") <= 390

    # Customer service, then engineering, approve on the application page.
    for key, side in (("desk", "desk"), ("engineer", "engineering")):
        staff = sign_in(browser, base, users[key].email, **PHONE)
        staff.goto(f"{base}/staff/renovation/{application_id}/")
        review = staff.locator(f'[data-review="{side}"]')
        review.locator(f'input[name="{side}-approve"][value="1"]').check()
        with staff.expect_navigation(url=f"{base}/staff/renovation/{application_id}/"):
            review.locator("button[type=submit]").click()
        staff.context.close()

    owner.reload()
    assert owner.locator("[data-renovation-status]").get_attribute("data-renovation-status") == "approved"
    assert owner.locator("[data-pay]").is_visible()

    # The cashier takes the deposit and the debris fee at the counter.
    with django_db_blocker.unblock():
        connection.set_tenant(journey["tenant"])
        application = Application.objects.get(pk=application_id)
        ledger.payment_record(
            unit=application.unit,
            amount=application.deposit_fen + application.debris_fee_fen,
            method="cash",
            line_ids=money.line_ids(application),
        )
        connection.set_schema_to_public()
    owner.reload()
    permit = owner.locator("[data-permit]")
    permit.wait_for()
    code = permit.get_attribute("data-permit") or ""
    assert code.startswith("ZP") and owner.locator("[data-permit] [data-qr-code]").is_visible()

    # Security films the owner's permit QR code at the gate.
    qr_video(camera, code)
    guard = sign_in(browser, base, users["guard"].email, **PHONE)
    guard.goto(f"{base}/staff/renovation/permit-check/")
    scan = guard.locator("[data-qr-start]")
    scan.wait_for(state="visible")
    with guard.expect_navigation(url=f"{base}/staff/renovation/permit-check/"):
        scan.click()
    guard.locator("[data-permit-ok]").wait_for()
    assert guard.locator("[data-permit-result]").get_attribute("data-application") == str(application_id)
    assert "李师傅" in guard.locator("[data-permit-workers]").inner_text()
    assert guard.evaluate("document.documentElement.scrollWidth") <= 390
