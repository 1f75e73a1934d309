"""Consent to the privacy policy at sign-up (PIPL art. 14): both sign-ups, page and API, refuse an account
without it (a field error, nothing created) and record it (version, time, address, channel, company) in the
account's own transaction."""

from __future__ import annotations

import pytest

from backend.accounts.models import PrivacyConsent, User
from tenants.models import Tenant

RESIDENT = {"name": "隐私住户", "phone": "13712340001", "email": "", "password": "Privacy-home-2026"}
COMPANY = {
    "company_name": "隐私物业",
    "subdomain": "privacy-co",
    "admin_name": "管理员",
    "admin_email": "boss@privacy-co.test",
    "admin_phone": "13912340002",
    "admin_password": "Privacy-boss-2026",
}


@pytest.fixture(autouse=True)
def _version(settings):
    settings.PRIVACY_POLICY_VERSION = "2026-12"


def test_the_resident_signup_page_requires_the_box_and_creates_nothing_without_it(tenant_a, client_for):
    response = client_for(tenant_a).post("/signup/", RESIDENT)
    assert response.status_code == 400
    assert 'data-error-for="privacy_accepted"' in response.content.decode()
    assert not User.objects.filter(phone=RESIDENT["phone"]).exists()
    assert not PrivacyConsent.objects.filter(user__phone__endswith=RESIDENT["phone"]).exists()


def test_the_resident_signup_page_records_the_consent(tenant_a, client_for):
    page = client_for(tenant_a).get("/signup/").content.decode()
    assert 'href="/privacy/"' in page and 'name="privacy_accepted"' in page
    response = client_for(tenant_a).post("/signup/", {**RESIDENT, "privacy_accepted": "on"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302
    consent = PrivacyConsent.objects.get(user__phone=RESIDENT["phone"])
    assert (consent.policy_version, consent.channel, consent.tenant_id, consent.ip) == (
        "2026-12",
        "resident_signup",
        tenant_a.pk,
        "203.0.113.5",
    )


def test_the_resident_signup_api_requires_and_records_the_consent(tenant_a, client_for):
    client = client_for(tenant_a)
    refused = client.post("/api/v1/residents/signup/", RESIDENT, content_type="application/json")
    assert refused.status_code == 400
    assert "privacy_accepted" in refused.json()["error"]["fields"]
    assert not User.objects.filter(phone=RESIDENT["phone"]).exists()
    body = {**RESIDENT, "privacy_accepted": True}
    assert client.post("/api/v1/residents/signup/", body, content_type="application/json").status_code == 201
    consent = PrivacyConsent.objects.get(user__phone=RESIDENT["phone"])
    assert (consent.channel, consent.tenant_id, consent.ip) == ("resident_signup", tenant_a.pk, "127.0.0.1")


def test_a_refused_consent_is_reported_with_the_other_field_errors(tenant_a, client_for):
    response = client_for(tenant_a).post(
        "/api/v1/residents/signup/",
        {**RESIDENT, "name": "", "privacy_accepted": False},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert {"name", "privacy_accepted"} <= set(response.json()["error"]["fields"])


def test_the_company_signup_page_requires_and_records_the_consent(db, platform_client):
    page = platform_client.get("/signup/").content.decode()
    assert 'href="/privacy/"' in page
    refused = platform_client.post("/signup/", COMPANY)
    assert refused.status_code == 400 and 'data-error-for="privacy_accepted"' in refused.content.decode()
    assert not Tenant.objects.filter(slug="privacy-co").exists()
    assert platform_client.post("/signup/", {**COMPANY, "privacy_accepted": "on"}).status_code == 302
    tenant = Tenant.objects.get(slug="privacy-co")
    consent = PrivacyConsent.objects.get(user__email=COMPANY["admin_email"])
    assert (consent.channel, consent.tenant_id, consent.policy_version) == ("company_signup", tenant.pk, "2026-12")


def test_the_company_signup_api_requires_and_records_the_consent(db, platform_client):
    refused = platform_client.post("/api/v1/signup/", COMPANY, content_type="application/json")
    assert refused.status_code == 400 and "privacy_accepted" in refused.json()["error"]["fields"]
    assert not User.objects.filter(email=COMPANY["admin_email"]).exists()
    body = {**COMPANY, "privacy_accepted": True}
    assert platform_client.post("/api/v1/signup/", body, content_type="application/json").status_code == 201
    assert PrivacyConsent.objects.get(user__email=COMPANY["admin_email"]).channel == "company_signup"


def test_the_privacy_policy_is_public_on_both_domains_chinese_first(tenant_a, client_for, platform_client):
    for client in (client_for(tenant_a), platform_client):
        response = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-policy-version="2026-12"' in body and "我们收集什么" in body
    english = platform_client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert "What we collect" in english.content.decode() or "我们收集什么" in english.content.decode()
