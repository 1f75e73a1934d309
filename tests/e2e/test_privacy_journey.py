"""Personal information in a real browser, on a phone-sized screen: a resident signs up (the privacy box is
required), downloads their data from 我的个人信息 and asks for erasure; the company admin's queue shows it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_resident_consents_downloads_their_data_and_asks_for_erasure(browser, live_asgi, django_db_blocker):
    port = live_asgi
    base = f"http://alpha.localhost{port}"
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    number = f"137{uuid.uuid4().int % 10**8:08d}"
    page.goto(f"{base}/signup/")
    page.fill("#id_name", "隐私住户")
    page.fill("#id_phone", number)
    page.fill("#id_password", "Privacy-home-2026")
    page.click("[data-resident-signup] button[type=submit]")
    # without the box: a field error, no account
    assert page.locator('[data-error-for="privacy_accepted"]').is_visible()
    page.fill("#id_password", "Privacy-home-2026")
    page.check("#id_privacy_accepted")
    page.click("[data-resident-signup] button[type=submit]")
    page.wait_for_url(f"{base}/resident/")

    page.goto(f"{base}/resident/my-data/")
    assert page.locator("[data-page=resident-my-data]").is_visible()
    with page.expect_download() as info:
        page.click("[data-download-my-data]")
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["phone"] == f"+86{number}" or data["profile"]["phone"].endswith(number)
    assert data["consents"] and data["consents"][0]["channel"] == "resident_signup"

    page.check("#id_confirm")
    page.click("[data-request-erasure]")
    page.wait_for_url(f"{base}/resident/my-data/")
    assert page.locator("[data-erasure-pending]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    with django_db_blocker.unblock():
        from backend.accounts.models import Membership, PrivacyConsent, User
        from backend.privacy.models import ErasureRequest
        from tenants.db import connection
        from tenants.models import Tenant

        user = User.objects.get(phone__endswith=number)
        assert PrivacyConsent.objects.filter(user=user, channel="resident_signup").exists()
        connection.set_tenant(Tenant.objects.get(slug="alpha"))
        assert ErasureRequest.objects.filter(user=user, status="pending").exists()
        ErasureRequest.objects.filter(user=user).delete()
        connection.set_schema_to_public()
        PrivacyConsent.objects.filter(user=user).delete()
        Membership.objects.filter(user=user).delete()
        user.delete()
