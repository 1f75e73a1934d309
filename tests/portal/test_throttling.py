"""Rate limits on the pages anyone may submit without signing in: the page says when to try again (429,
Retry-After), the view does not run, and showing the form is free."""

from __future__ import annotations

import pytest

from backend.accounts.models import User
from tenants.models import Tenant

# (domain, path, method, scope): every portal page that takes unauthenticated submissions.
PAGES = [
    ("platform", "/signup/", "post", "company_signup"),
    ("company", "/signup/", "post", "resident_signup"),
    ("company", "/password-reset/", "post", "password_reset"),
    ("company", "/invite/not-a-real-token/", "post", "invitation"),
    ("company", "/handoff/not-a-real-ticket/", "get", "handoff"),
    ("platform", "/operator/login/", "post", "operator_login"),
]


@pytest.fixture
def client_on(tenant_a, client_for, platform_client):
    return lambda domain: client_for(tenant_a) if domain == "company" else platform_client


def limit_to(settings, scope: str, rate: str) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, scope: rate}


@pytest.mark.parametrize(("domain", "path", "method", "scope"), PAGES)
def test_each_page_answers_429_with_retry_after_and_a_readable_page_past_its_rate(
    settings, client_on, domain, path, method, scope
):
    limit_to(settings, scope, "2/hour")
    client = client_on(domain)
    send = getattr(client, method)
    for _ in range(2):
        assert send(path).status_code != 429
    response = send(path)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    body = response.content.decode()
    assert "data-throttled" in body and "60" in body  # "try again in 60 minutes", in the page's language


def test_showing_the_form_is_not_counted(settings, client_on):
    limit_to(settings, "resident_signup", "1/hour")
    client = client_on("company")
    for _ in range(3):
        assert client.get("/signup/").status_code == 200
    assert client.post("/signup/", {"name": ""}).status_code == 400  # the one allowed submission


def test_a_throttled_company_signup_onboards_nothing(settings, client_on):
    limit_to(settings, "company_signup", "1/hour")
    client = client_on("platform")
    client.post("/signup/", {})
    data = {
        "company_name": "限流物业",
        "subdomain": "throttled-co",
        "admin_name": "管理员",
        "admin_email": "boss@throttled.test",
        "admin_phone": "13911112222",
        "admin_password": "Throttle-2026-ok",
        "privacy_accepted": "on",
    }
    assert client.post("/signup/", data).status_code == 429
    assert not Tenant.objects.filter(slug="throttled-co").exists()
    assert not User.objects.filter(email="boss@throttled.test").exists()


def test_a_throttled_password_reset_sends_no_mail(settings, tenant_a, member, client_on, mailoutbox):
    member(tenant_a, ["finance"], email="forgot@example.test")
    limit_to(settings, "password_reset", "1/hour")
    client = client_on("company")
    assert client.post("/password-reset/", {"email": "forgot@example.test"}).status_code == 302
    assert client.post("/password-reset/", {"email": "forgot@example.test"}).status_code == 429
    assert len(mailoutbox) == 1


def test_rotating_a_forged_forwarded_for_header_does_not_escape_a_page_limit(settings, client_on):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    limit_to(settings, "resident_signup", "2/hour")
    client = client_on("company")
    answers = [
        client.post("/signup/", {}, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert answers == [400, 400, 429, 429]
