"""操作日志: writes made through services record user, IP, action, object and time; admins browse them."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.audit.models import AuditEntry


def entries(tenant, **filters):
    connection.set_tenant(tenant)
    return list(AuditEntry.objects.filter(**filters))


def test_a_service_write_from_a_request_records_user_ip_action_and_object(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"], name="审计员")
    client = client_for(tenant_a, admin)
    client.post("/staff/members/", {"email": "audited@example.test", "roles": ["finance"]}, REMOTE_ADDR="203.0.113.9")
    [entry] = entries(tenant_a, action="invitation.create")
    assert entry.user_id == admin.pk and entry.user_name == "审计员"
    assert entry.ip == "203.0.113.9"
    assert entry.object_type == "access.invitation" and entry.object_repr == "invitation audited@example.test"
    assert entry.changes == {"roles": ["finance"]}
    assert entry.created_at is not None


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "logged"),
    [
        # Not our proxy: whatever the header says, the peer is the client.
        ("203.0.113.9", "198.51.100.7, 10.0.0.1", "203.0.113.9"),
        # Our proxy appended the address it saw to what the client claimed (1.2.3.4): that address.
        ("10.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
    ],
)
def test_the_log_has_the_client_a_trusted_proxy_names_and_never_what_the_client_claims(
    tenant_a, member, client_for, settings, peer, forwarded_for, logged
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    admin = member(tenant_a, ["company_admin"])
    client_for(tenant_a, admin).post(
        "/staff/members/",
        {"email": "x@example.test", "roles": ["finance"]},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    assert entries(tenant_a, action="invitation.create")[0].ip == logged


def test_signing_in_records_the_real_client_ip(tenant_a, member, client_for):
    user = member(tenant_a, ["finance"], email="signin-ip@example.test")
    client_for(tenant_a).post(
        "/login/",
        {"username": "signin-ip@example.test", "password": "Test-pass-2026!"},
        REMOTE_ADDR="203.0.113.20",
        HTTP_X_FORWARDED_FOR="8.8.8.8",
    )
    [entry] = entries(tenant_a, action="session.sign_in", user_id=user.pk)
    assert entry.ip == "203.0.113.20"


def test_audit_entries_stay_in_their_company(tenant_a, tenant_b, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    client_for(tenant_a, admin).post("/staff/members/", {"email": "only-a@example.test", "roles": ["finance"]})
    assert entries(tenant_b, object_repr__contains="only-a@example.test") == []
    assert len(entries(tenant_a, object_repr__contains="only-a@example.test")) == 1


def test_signing_in_is_audited(tenant_a, member, client_for):
    user = member(tenant_a, ["finance"], email="signin@example.test")
    client_for(tenant_a).post("/login/", {"username": "signin@example.test", "password": "Test-pass-2026!"})
    assert len(entries(tenant_a, action="session.sign_in", user_id=user.pk)) == 1


def test_role_changes_record_before_and_after(tenant_a, member, client_for):
    from backend.accounts.models import Membership

    admin = member(tenant_a, ["company_admin"])
    staff = member(tenant_a, ["engineer"])
    membership = Membership.objects.get(user=staff, tenant=tenant_a)
    response = client_for(tenant_a, admin).patch(
        f"/api/v1/members/{membership.pk}/", {"roles": ["security"]}, content_type="application/json"
    )
    assert response.status_code == 200
    [entry] = entries(tenant_a, action="membership.roles_set")
    assert entry.changes == {"roles": [["engineer"], ["security"]]}


def test_the_last_company_admin_cannot_drop_the_role(tenant_a, member, client_for):
    from backend.accounts.models import Membership

    solo = member(tenant_a, ["company_admin"])
    Membership.objects.filter(tenant=tenant_a).exclude(user=solo).update(is_active=False)
    membership = Membership.objects.get(user=solo, tenant=tenant_a)
    response = client_for(tenant_a, solo).patch(
        f"/api/v1/members/{membership.pk}/", {"roles": ["finance"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "roles" in response.json()["error"]["fields"]


def test_admin_browses_and_filters_the_audit_log(tenant_a, member, client_for):
    admin = member(tenant_a, ["company_admin"])
    client = client_for(tenant_a, admin)
    client.post("/staff/members/", {"email": "first@example.test", "roles": ["finance"]})
    client.post("/staff/members/", {"email": "second@example.test", "roles": ["engineer"]})
    page = client.get("/staff/audit/?q=second@example.test").content.decode()
    assert "second@example.test" in page and "first@example.test" not in page
    api = client.get("/api/v1/audit-log/?action=invitation.create&page_size=1").json()
    assert api["count"] >= 2 and len(api["results"]) == 1
    assert api["results"][0]["action"] == "invitation.create"


@pytest.mark.parametrize("role", ["finance", "customer_service", "engineer", "security", "resident"])
def test_only_company_admins_open_the_audit_log(tenant_a, member, client_for, role):
    response = client_for(tenant_a, member(tenant_a, [role])).get("/staff/audit/")
    assert response.status_code == 403
    assert (
        "403" in response.content.decode()
        or "cannot" in response.content.decode()
        or "无法" in response.content.decode()
    )
