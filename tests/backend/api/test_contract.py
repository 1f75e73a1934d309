"""The API contract later checks rely on: sign-up, token, me, health, error shape, paging, OpenAPI."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from backend.accounts.models import User
from tenants.models import Tenant

SIGNUP = {
    "company_name": "西湖物业",
    "subdomain": "xihu",
    "admin_name": "陈主任",
    "admin_email": "chen@xihu.test",
    "admin_phone": "13600001111",
    "admin_password": "Xihu-lake-2026",
    "privacy_accepted": True,
}
PASSWORD = "Test-pass-2026!"


def test_signup_api_creates_the_company(db, platform_client):
    response = platform_client.post("/api/v1/signup/", SIGNUP, content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {
        "tenant": "xihu",
        "domain": "xihu.localhost",
        "portal_url": "http://xihu.localhost/staff/",
    }
    assert Tenant.objects.filter(slug="xihu", status="active").exists()


def test_signup_api_returns_field_errors_in_the_shared_shape(db, platform_client):
    bad = {**SIGNUP, "subdomain": "www", "admin_password": "123", "admin_email": "admin@alpha.test"}
    response = platform_client.post("/api/v1/signup/", bad, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["message"]
    assert set(error["fields"]) >= {"subdomain", "admin_password", "admin_email"}
    assert not Tenant.objects.filter(slug="www").exists()


def test_signup_api_missing_fields_are_field_errors(db, platform_client):
    response = platform_client.post("/api/v1/signup/", {"company_name": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert "subdomain" in response.json()["error"]["fields"]


def test_signup_is_only_on_the_platform_domain(tenant_a, client_for):
    assert client_for(tenant_a).post("/api/v1/signup/", SIGNUP, content_type="application/json").status_code == 404


def test_token_then_me(tenant_a, member, client_for):
    member(tenant_a, ["finance", "customer_service"], email="api@example.test", name="接口用户")
    client = client_for(tenant_a)
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "api@example.test", "password": PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 200
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    assert me.status_code == 200
    body = me.json()
    assert body["name"] == "接口用户" and body["tenant"] == "alpha"
    assert sorted(body["roles"]) == ["customer_service", "finance"]
    assert body["membership"]["scope_all"] is True


def test_token_with_wrong_password_is_a_field_error(tenant_a, member, client_for):
    member(tenant_a, ["finance"], email="api@example.test")
    response = client_for(tenant_a).post(
        "/api/v1/auth/token/",
        {"username": "api@example.test", "password": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]


def test_garbage_bearer_token_is_401(tenant_a, client_for):
    response = client_for(tenant_a).get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_lists_are_paged(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    for i in range(3):
        member(tenant_a, ["finance"], name=f"财务{i}")
    response = client_for(tenant_a, admin).get("/api/v1/members/?page_size=2")
    body = response.json()
    assert response.status_code == 200
    assert set(body) >= {"count", "next", "previous", "results"}
    assert len(body["results"]) == 2 and body["count"] >= 5 and body["next"]


def test_healthz_reports_database_and_redis(db, client, platform_client):
    response = platform_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] and response.json()["checks"]["redis"]["ok"]


def test_healthz_is_503_naming_redis_when_redis_is_down(db, platform_client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = platform_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_is_503_naming_the_database_when_it_is_down(db, platform_client, monkeypatch):
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("backend.api.health._database_ping", refuse)
    response = platform_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["ok"] is False


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_openapi_schema_and_docs_are_served_with_local_assets(db, client, host):
    schema = client.get("/api/schema/", HTTP_HOST=host)
    assert schema.status_code == 200
    docs = client.get("/api/docs/", HTTP_HOST=host)
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Every script and stylesheet is served from this host (no CDN); match URLs, not random nonces.
    import re

    external = re.findall(r'(?:src|href)\s*[=:]\s*["\'](?:https?:)?//', html)
    assert external == [] and "unpkg.com" not in html and "jsdelivr" not in html
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js", HTTP_HOST=host)
    assert asset.status_code == 200


def test_tenant_openapi_documents_the_contract(db, client):
    text = client.get("/api/schema/", HTTP_HOST="alpha.localhost").content.decode()
    for path in ("/api/v1/auth/token/", "/api/v1/me/", "/api/v1/invitations/", "/api/v1/audit-log/"):
        assert path in text
    assert "/api/v1/signup/" in client.get("/api/schema/", HTTP_HOST="localhost").content.decode()


def test_a_user_of_another_company_cannot_read_a_member_by_id(tenant_a, tenant_b, member, client_for):
    admin_a = member(tenant_a, ["company_admin"])
    user_b = member(tenant_b, ["finance"])
    from backend.accounts.models import Membership

    membership_b = Membership.objects.get(user=user_b, tenant=tenant_b)
    response = client_for(tenant_a, admin_a).patch(
        f"/api/v1/members/{membership_b.pk}/", {"roles": ["company_admin"]}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Membership.objects.get(pk=membership_b.pk).roles == ["finance"]
    assert User.objects.filter(pk=user_b.pk).exists()


def test_a_form_with_too_many_fields_is_a_400_in_the_error_shape(tenant_a, member, client_for):
    """Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS form fields with its HTML 400 page; the API
    answers in its own shape, and records nothing."""
    from backend.properties.models import ManagementOffice

    client = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    body = "&".join(["name=x"] + [f"f{i}=1" for i in range(1001)])
    response = client.post("/api/v1/offices/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "bad_request"
    connection.set_tenant(tenant_a)
    assert not ManagementOffice.objects.filter(name="x").exists()
