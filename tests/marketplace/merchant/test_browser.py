"""The merchant's journey in a real browser on a phone-sized screen, against a real uvicorn: sign up with the
licence photo, open the dashboard (its socket opens), a company's decision arrives live (toast, the notice in
the feed, the figures fetched again), list a good with its photo."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import browser, no_csp_violations  # noqa: F401 - the browser tests' fixtures

from .conftest import PASSWORD, image_bytes, licence_number

pytestmark = [pytest.mark.browser]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def merchant_names(django_db_blocker: Any) -> Iterator[list[str]]:
    """Merchants a browser test signed up (committed by the real server); removed afterwards with their users."""
    names: list[str] = []
    yield names
    from django.db import connection

    from marketplace.models import Merchant

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for merchant in Merchant.objects.filter(name__in=names):
            users = [m.user for m in merchant.members.select_related("user")]
            merchant.delete()
            for user in users:
                user.delete()


def test_a_merchant_signs_up_sees_a_decision_live_and_lists_a_good(
    browser: Any,  # noqa: F811
    live_asgi: str,
    merchant_names: list[str],
    django_db_blocker: Any,
    tmp_path: Path,
) -> None:
    port = live_asgi
    name = f"浏览器果园{uuid.uuid4().hex[:4]}"
    merchant_names.append(name)
    licence = tmp_path / "licence.jpg"
    licence.write_bytes(image_bytes("JPEG", (400, 300)))
    photo = tmp_path / "apple.png"
    photo.write_bytes(image_bytes("PNG", (300, 300), (220, 30, 30)))

    page = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
    page.goto(f"http://localhost{port}/merchant/signup/")
    page.fill("#id_name", name)
    page.fill("#id_licence_number", licence_number(uuid.uuid4().int % 9_000_000))
    page.set_input_files("#id_licence", str(licence))
    page.fill("#id_contact_name", "周经理")
    page.fill("#id_contact_phone", "13800138002")
    page.fill("#id_address", "阳光路8号")
    page.fill("#id_service_area", "阳光花园周边")
    page.check("input[name=category_codes][value=fruit]")
    page.fill("#id_owner_name", "周老板")
    page.fill("#id_owner_email", f"e2e-{uuid.uuid4().hex[:8]}@merchant.test")
    page.fill("#id_owner_phone", f"137{uuid.uuid4().int % 10**8:08d}")
    page.fill("#id_owner_password", PASSWORD)
    page.click("[data-merchant-signup] button[type=submit]")
    page.wait_for_url(f"http://localhost{port}/merchant/applications/")

    page.goto(f"http://localhost{port}/merchant/")
    assert page.locator("[data-page=merchant-dashboard]").is_visible()
    assert page.locator("[data-applications=approved]").inner_text() == "0"
    page.wait_for_function("() => document.documentElement.getAttribute('data-merchant-realtime') === 'open'")

    # A company approves it (the vetting's write, made here directly) and tells it: committed, so pushed now.
    from django.db import connection, connections

    from marketplace.models import ApplicationStatus, Merchant
    from marketplace.notices import notify_merchant
    from tenants.models import Tenant
    from tests.marketplace.factories import make_application

    def decide() -> None:
        # In a thread of its own: Playwright's event loop holds this one, and the push is async_to_sync.
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            merchant = Merchant.objects.get(name=name)
            alpha = Tenant.objects.get(slug="alpha")
            make_application(merchant, alpha, status=ApplicationStatus.APPROVED, estates={1: "阳光花园"})
            notify_merchant(
                merchant_id=merchant.pk,
                kind="application.approved",
                title="阿尔法物业通过了您的申请",
                tenant_id=alpha.pk,
            )
            connections.close_all()

    worker = threading.Thread(target=decide)
    worker.start()
    worker.join(30)

    toast = page.locator("[data-toast='application.approved']")
    toast.wait_for(timeout=10_000)
    assert "阿尔法物业通过了您的申请" in toast.inner_text()
    assert "阿尔法物业通过了您的申请" in page.locator("[data-notice-feed]").inner_text()
    page.wait_for_function("() => document.querySelector('[data-applications=approved]').textContent === '1'")

    # List a good, with its photo.
    page.goto(f"http://localhost{port}/merchant/listings/new/?kind=good")
    page.select_option("#id_category_code", "fruit")
    page.fill("#id_title", "红富士苹果")
    page.fill("#id_price_fen", "12.80")
    page.fill("#id_unit", "斤")
    page.fill("#id_stock", "50")
    page.click("[data-listing-form] button[type=submit]")
    page.wait_for_selector("[data-listing-title]")
    assert page.locator("[data-listing-title]").inner_text() == "红富士苹果"
    page.set_input_files("[data-photo-form] input[type=file]", str(photo))
    page.click("[data-photo-form] button[type=submit]")
    page.locator("[data-photo] img").wait_for()
    page.goto(f"http://localhost{port}/merchant/listings/")
    assert "¥12.80" in page.locator("[data-listing]").inner_text()
