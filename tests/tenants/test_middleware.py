"""Routing by Host: companies, unknown hosts, the template, suspension, language and time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from tenants.services import company_resume, company_suspend


def test_unknown_company_host_gets_a_readable_404(db, client):
    response = client.get("/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404
    assert "nobody.localhost" in response.content.decode()


def test_unknown_company_api_gets_json_404(db, client):
    response = client.get("/api/v1/me/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_company"


def test_template_schema_is_never_served_even_with_a_domain(db, client):
    from tenants.models import Domain, Tenant

    Domain.objects.create(
        domain="tpl.localhost", tenant=Tenant.objects.get(schema_name="tenant_template"), is_primary=True
    )
    assert client.get("/login/", HTTP_HOST="tpl.localhost").status_code == 404


def test_suspended_company_shows_a_clear_page_and_its_api_answers_403_with_the_reason(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    client = client_for(tenant_a, admin)
    company_suspend(tenant=tenant_a, reason="合同到期 contract expired")

    page = client.get("/staff/")
    assert page.status_code == 403
    assert "合同到期 contract expired" in page.content.decode()
    assert "data-suspended" in page.content.decode()

    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["error"] == {
        "code": "company_suspended",
        "message": "合同到期 contract expired",
        "fields": {},
    }

    company_resume(tenant=tenant_a)
    assert client.get("/api/v1/me/").status_code == 200


def test_suspending_needs_a_reason(tenant_a):
    from backend.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        company_suspend(tenant=tenant_a, reason=" ")
    assert "reason" in caught.value.fields


def test_suspend_command_and_resume(tenant_a):
    from django.core.management import call_command

    call_command("tenant_suspend", "alpha", "--reason", "欠费 unpaid")
    tenant_a.refresh_from_db()
    assert tenant_a.is_suspended and tenant_a.suspended_reason == "欠费 unpaid"
    call_command("tenant_suspend", "alpha", "--resume")
    tenant_a.refresh_from_db()
    assert tenant_a.status == "active" and tenant_a.suspended_reason == ""


def test_company_pages_default_to_chinese_and_switch_to_english(tenant_a, client_for):
    client = client_for(tenant_a)
    page = client.get("/login/")
    assert page["Content-Language"] == "zh-hans"
    assert "登录" in page.content.decode()

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert switched.status_code == 302
    page = client.get("/login/")
    assert page["Content-Language"] == "en"
    assert "Sign in" in page.content.decode()


def test_company_default_language_applies_when_the_visitor_has_not_chosen(tenant_a, client_for):
    tenant_a.default_language = "en"
    tenant_a.save(update_fields=["default_language"])
    assert client_for(tenant_a).get("/login/")["Content-Language"] == "en"


def test_times_are_shown_in_the_company_time_zone(tenant_a, member, client_for):

    from backend.audit.models import AuditEntry

    admin = member(tenant_a, ["company_admin"])
    client = client_for(tenant_a, admin)
    from django.db import connection

    connection.set_tenant(tenant_a)
    entry = AuditEntry.objects.create(action="probe.tz", object_repr="tz")
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC))
    page = client.get("/staff/audit/?action=probe.tz").content.decode()
    assert "2026-01-01 08:30:00" in page  # UTC 00:30 is 08:30 in Asia/Shanghai
