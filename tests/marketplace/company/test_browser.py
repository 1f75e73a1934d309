"""Customer service vets a merchant on a 390 px phone, in a real browser against a real uvicorn: the queue, the
licence shown inline, approving one of the two estates asked for by unticking the other, then suspending the
merchant with a reason from the merchants page; nothing overflows the screen sideways."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import browser as browser  # noqa: PLC0414  (fixture)
from tests.e2e.conftest import no_csp_violations as no_csp_violations  # noqa: PLC0414  (fixture)

pytestmark = [pytest.mark.browser]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PASSWORD = "Vetting-2026-ok"


@pytest.fixture
def applicant(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from backend.accounts.models import Membership, User
    from backend.audit.models import AuditEntry
    from backend.properties import services as registry
    from backend.properties.models import Estate, ManagementOffice
    from backend.properties.scope import Scope
    from tenants.db import connection
    from tenants.models import Tenant
    from tests.marketplace.factories import make_application, make_merchant

    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        desk = User.objects.create_user(email=f"vetting-{tag}@example.test", password=PASSWORD, name=f"客服{tag}")
        Membership.objects.create(user=desk, tenant=tenant, roles=["customer_service"])
        png = io.BytesIO()
        Image.new("RGB", (120, 80), "red").save(png, format="PNG")
        licence = default_storage.save(f"merchants/e2e/{tag}.png", ContentFile(png.getvalue()))
        connection.set_tenant(tenant)
        office = registry.office_create(name=f"审核管理处{tag}", scope=Scope.everything())
        sun = registry.estate_create(office_id=office.pk, name=f"阳光{tag}", scope=Scope.everything())
        bamboo = registry.estate_create(office_id=office.pk, name=f"翠竹{tag}", scope=Scope.everything())
        merchant = make_merchant(f"鲜果{tag}", licence=licence)
        application = make_application(
            merchant, tenant, estates={sun.pk: sun.name, bamboo.pk: bamboo.name}, categories=["fruit"]
        )
        connection.set_schema_to_public()
    yield {"desk": desk, "merchant": merchant, "application": application, "sun": sun, "bamboo": bamboo}
    with django_db_blocker.unblock():
        connection.set_tenant(tenant)
        AuditEntry.objects.filter(user_id=desk.pk).delete()
        Estate.objects.filter(office=office).delete()
        ManagementOffice.objects.filter(pk=office.pk).delete()
        connection.set_schema_to_public()
        merchant.delete()
        desk.delete()
        default_storage.delete(licence)


def test_customer_service_vets_a_merchant_on_a_phone(
    browser: Any, live_asgi: str, applicant: dict[str, Any], django_db_blocker: Any
) -> None:
    from marketplace.models import MerchantApplication

    def stored() -> MerchantApplication:
        with django_db_blocker.unblock():
            return MerchantApplication.objects.get(pk=w["application"].pk)

    w = applicant
    base = f"http://alpha.localhost{live_asgi}"
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", w["desk"].email)
    page.fill("#id_password", PASSWORD)
    page.click("[data-login-form] button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/staff/marketplace/")
    card = page.locator(f'[data-application="{w["application"].pk}"]')
    assert w["merchant"].name in card.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card.locator("[data-review]").click()
    page.wait_for_selector("[data-approve-form]")
    image = page.locator("[data-licence-image]")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 120  # the licence, shown inline
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Both asked estates come ticked; untick 翠竹 and approve.
    bamboo = page.locator(f'input[name="estate_ids"][value="{w["bamboo"].pk}"]')
    assert bamboo.is_checked() and page.locator(f'input[name="estate_ids"][value="{w["sun"].pk}"]').is_checked()
    bamboo.uncheck()
    page.click("[data-approve]")
    page.wait_for_selector("[data-suspend-form]")
    assert "已通过" in page.inner_text("body")
    application = stored()
    assert application.status == "approved" and application.approved_estate_ids == [w["sun"].pk]

    page.goto(f"{base}/staff/marketplace/merchants/")
    row = page.locator(f'[data-merchant-row="{w["application"].pk}"]')
    assert row.locator(f'[data-estate="{w["bamboo"].pk}"]').get_attribute("data-status") == "not_granted"
    row.locator("input[name=reason]").fill("多次投诉")
    row.locator("[data-suspend]").click()
    page.wait_for_selector(f'[data-merchant-row="{w["application"].pk}"][data-status="suspended"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    application = stored()
    assert application.status == "suspended" and application.reason == "多次投诉"
