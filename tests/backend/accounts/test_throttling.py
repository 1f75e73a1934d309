"""Rate limits on the API's unauthenticated endpoints and on sign-in: per client IP, in Redis, 429 with
Retry-After; a forged X-Forwarded-For is no way around them."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from backend.accounts.models import User
from backend.accounts.throttling import Rate, rate_limit_hit, rate_parse

PASSWORD = "Test-pass-2026!"

# (domain, path, scope): every API endpoint anyone may call without signing in.
API_ENDPOINTS = [
    ("company", "/api/v1/auth/token/", "token"),
    ("company", "/api/v1/residents/signup/", "resident_signup"),
    ("platform", "/api/v1/signup/", "company_signup"),
]


@pytest.fixture
def client_on(tenant_a, client_for, platform_client):
    return lambda domain: client_for(tenant_a) if domain == "company" else platform_client


def limit_to(settings, scope: str, rate: str) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, scope: rate}


def post_json(client: Client, path: str, body: dict | None = None, **extra: str):
    return client.post(path, body or {}, content_type="application/json", **extra)


@pytest.mark.parametrize(
    ("text", "rate"),
    [("20/hour", Rate(20, 3600)), ("5/15m", Rate(5, 900)), ("100/day", Rate(100, 86400)), ("3/10s", Rate(3, 10))],
)
def test_rates_are_read_from_settings_text(text, rate):
    assert rate_parse(text) == rate


@pytest.mark.parametrize("text", ["", "20", "20/fortnight", "x/hour", "-1/hour"])
def test_a_rate_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        rate_parse(text)


@pytest.mark.parametrize(("domain", "path", "scope"), API_ENDPOINTS)
def test_each_unauthenticated_api_endpoint_answers_429_with_retry_after_past_its_rate(
    settings, client_on, domain, path, scope
):
    limit_to(settings, scope, "2/hour")
    client = client_on(domain)
    for _ in range(2):
        assert post_json(client, path).status_code == 400  # counted, though the body was empty
    response = post_json(client, path)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    error = response.json()["error"]
    assert error["code"] == "throttled" and error["fields"] == {} and error["message"]


def test_another_client_still_has_its_allowance(settings, client_on):
    limit_to(settings, "token", "1/hour")
    client = client_on("company")
    post_json(client, "/api/v1/auth/token/", REMOTE_ADDR="203.0.113.1")
    assert post_json(client, "/api/v1/auth/token/", REMOTE_ADDR="203.0.113.1").status_code == 429
    assert post_json(client, "/api/v1/auth/token/", REMOTE_ADDR="203.0.113.2").status_code == 400


def test_rotating_a_forged_forwarded_for_header_does_not_escape_the_limit(settings, client_on):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    limit_to(settings, "token", "3/hour")
    client = client_on("company")
    answers = [
        post_json(
            client, "/api/v1/auth/token/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(6)
    ]
    assert answers == [400, 400, 400, 429, 429, 429]


def test_behind_a_trusted_proxy_each_real_client_is_counted_on_its_own(settings, client_on):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    limit_to(settings, "token", "1/hour")
    client = client_on("company")

    def from_client(ip: str) -> int:
        return post_json(client, "/api/v1/auth/token/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=ip).status_code

    assert from_client("198.51.100.7") == 400
    assert from_client("198.51.100.7") == 429
    assert from_client("198.51.100.8") == 400  # the proxy's other users are not locked out with them


def test_a_throttled_resident_signup_creates_no_account(settings, client_on):
    limit_to(settings, "resident_signup", "1/hour")
    client = client_on("company")
    post_json(client, "/api/v1/residents/signup/")
    body = {
        "name": "周住户",
        "phone": "13787654321",
        "email": "",
        "password": "Zhou-2026-home",
        "privacy_accepted": True,
    }
    assert post_json(client, "/api/v1/residents/signup/", body).status_code == 429
    assert not User.objects.filter(phone="13787654321").exists()


def test_reading_an_endpoint_is_not_counted(settings, client_on):
    limit_to(settings, "token", "1/hour")
    client = client_on("company")
    for _ in range(3):
        assert client.get("/api/v1/auth/token/").status_code == 405
    assert post_json(client, "/api/v1/auth/token/").status_code == 400


def test_the_allowance_comes_back_when_the_window_closes(settings):
    limit_to(settings, "token", "1/1s")
    assert rate_limit_hit(scope="token", ip="203.0.113.5") is None
    assert rate_limit_hit(scope="token", ip="203.0.113.5") == 1
    time.sleep(1.2)
    assert rate_limit_hit(scope="token", ip="203.0.113.5") is None


def test_one_ipv6_subscriber_is_counted_by_its_64_network(settings):
    limit_to(settings, "token", "1/hour")
    assert rate_limit_hit(scope="token", ip="2001:db8:1:2::1") is None
    assert rate_limit_hit(scope="token", ip="2001:db8:1:2:ffff::9") is not None  # same /64
    assert rate_limit_hit(scope="token", ip="2001:db8:1:3::1") is None  # the next /64 is someone else


def test_the_throttled_endpoints_document_their_429():
    from drf_spectacular.generators import SchemaGenerator

    public = SchemaGenerator(urlconf="backend.urls_public").get_schema(request=None, public=True)
    assert "429" in public["paths"]["/api/v1/signup/"]["post"]["responses"]


# --- sign-in -------------------------------------------------------------------------------------------------


def test_a_locked_sign_in_says_when_to_come_back(settings, tenant_a, member, client_for):
    member(tenant_a, ["finance"], email="zhao@example.test")
    client = client_for(tenant_a)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post("/login/", {"username": "zhao@example.test", "password": "wrong"})
    page = client.post("/login/", {"username": "zhao@example.test", "password": PASSWORD})
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW_SECONDS
    api = post_json(client, "/api/v1/auth/token/", {"username": "zhao@example.test", "password": PASSWORD})
    assert api.status_code == 429 and api.json()["error"]["code"] == "login_locked"
    assert 0 < int(api["Retry-After"]) <= settings.LOGIN_FAILURE_WINDOW_SECONDS


def test_forged_forwarded_for_headers_do_not_spread_sign_in_failures_over_many_ips(
    settings, tenant_a, member, client_for
):
    # Guessing passwords for many accounts from one address: its per-IP allowance (4 x the per-account one)
    # holds whatever X-Forwarded-For each attempt claims.
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    client = client_for(tenant_a)
    ip_allowance = settings.LOGIN_MAX_FAILURES * 4
    for n in range(ip_allowance):
        client.post(
            "/login/",
            {"username": f"victim{n}@example.test", "password": "guess"},
            REMOTE_ADDR="203.0.113.66",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    member(tenant_a, ["finance"], email="fresh@example.test")
    locked = client.post(
        "/login/",
        {"username": "fresh@example.test", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.66",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert locked.status_code == 429
