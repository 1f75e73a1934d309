"""The operator console (tenants/console.py) and support access (tenants/support.py): operators only; support access
needs a reason, ends on time (the middleware refuses the operator at once, the minute task tidies up), and the
company's own audit log records the grant, its use and its end."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.accounts.models import Membership, User
from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from tenants.models import SupportGrant
from tenants.support import support_access_expire, support_access_grant
from tests.conftest import host_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator() -> User:
    return User.objects.create_user(email="op@platform.test", password="Op-pass-2026!", name="运维", is_staff=True)


def console(user: Any = None) -> Client:
    client = Client(HTTP_HOST="localhost")
    if user is not None:
        client.force_login(user)
    return client


def test_the_console_is_for_operators_only(operator: User, tenant_a: Any, member: Any) -> None:
    assert console().get("/operator/console/").status_code == 302  # to the operators' sign-in
    company_admin = member(tenant_a, ["company_admin"])
    assert console(company_admin).get("/operator/console/").status_code == 403
    for path in ("/operator/console/", "/operator/console/webhooks/", "/operator/console/merchants/"):
        assert console(operator).get(path).status_code == 200, path


def test_the_companies_page_shows_each_company_and_the_funnel(operator: User, tenant_a: Any, tenant_b: Any) -> None:
    page = console(operator).get("/operator/console/").content.decode()
    assert 'data-company="alpha"' in page and 'data-company="beta"' in page
    assert "data-funnel" in page and "data-health" in page
    assert 'data-company="tenant_template"' not in page  # the template and spares are not companies


def test_support_access_needs_a_reason_and_a_bounded_time(operator: User, tenant_a: Any) -> None:
    client = console(operator)
    short = client.post(f"/operator/console/companies/{tenant_a.slug}/", {"reason": "看看", "hours": "1"})
    assert short.status_code == 400 and 'data-error="reason"' in short.content.decode()
    long = client.post(
        f"/operator/console/companies/{tenant_a.slug}/", {"reason": "客户来电：账单导出报错，需要复现", "hours": "48"}
    )
    assert long.status_code == 400 and 'data-error="hours"' in long.content.decode()
    assert not SupportGrant.objects.exists() and not Membership.objects.filter(user=operator).exists()


def test_a_granted_operator_enters_until_the_grant_ends_and_the_company_log_says_so(
    operator: User, tenant_a: Any
) -> None:
    reason = "客户来电：账单导出报错，需要复现"
    answer = console(operator).post(
        f"/operator/console/companies/{tenant_a.slug}/", {"reason": reason, "hours": "2", "role": "customer_service"}
    )
    assert answer.status_code == 302 and "/handoff/" in answer["Location"]
    grant = SupportGrant.objects.get(operator=operator, tenant=tenant_a)
    assert grant.reason == reason and grant.expires_at - grant.granted_at == dt.timedelta(hours=2)
    with schema_context(tenant_a.schema_name):
        logged = AuditEntry.objects.get(action="support.access_granted")
        assert logged.changes["reason"] == reason and logged.changes["operator"] == operator.email

    company = Client(HTTP_HOST=host_of(tenant_a))
    company.get(_path(answer["Location"]))
    assert company.get("/staff/").status_code == 200  # signed in through the handoff, as customer service

    # Past its time: the very next request is refused, before the minute task has run.
    SupportGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert company.get("/staff/").status_code in (302, 403)
    assert support_access_expire() == 1
    assert not Membership.objects.get(user=operator, tenant=tenant_a).is_active
    with schema_context(tenant_a.schema_name):
        assert AuditEntry.objects.filter(action="support.access_expired").count() == 1
    assert support_access_expire() == 0  # once


def _path(location: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_only_an_operator_can_be_given_support_access(tenant_a: Any, member: Any) -> None:
    someone = member(tenant_a, ["company_admin"])
    with pytest.raises(ApplicationError):
        support_access_grant(operator=someone, tenant=tenant_a, reason="想看看别的公司的数据", hours=1)
