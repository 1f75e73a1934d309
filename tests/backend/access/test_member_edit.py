"""Editing a member: roles (功能权限) and data scope (数据权限) change together or not at all."""

from __future__ import annotations

from django.db import connection

from backend.accounts.models import Membership
from backend.audit.models import AuditEntry


def _membership(tenant, user) -> Membership:
    return Membership.objects.get(user=user, tenant=tenant)


def test_the_editor_saves_roles_and_scope_in_one_go(tenant_a, member, client_for):
    from backend.properties import services
    from backend.properties.scope import Scope

    admin = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    staff = _membership(tenant_a, member(tenant_a, ["engineer"]))
    connection.set_tenant(tenant_a)
    office = services.office_create(name="东区管理处", scope=Scope.everything())
    connection.set_schema_to_public()
    response = admin.post(
        f"/staff/members/{staff.pk}/", {"roles": ["finance", "engineer"], "scope_office_ids": [str(office.pk)]}
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.roles == ["engineer", "finance"] and staff.scope_all is False and staff.scope_office_ids == [office.pk]
    connection.set_tenant(tenant_a)
    actions = set(AuditEntry.objects.filter(object_id=str(staff.pk)).values_list("action", flat=True))
    assert {"membership.roles_set", "membership.scope_set"} <= actions


def test_a_refused_scope_keeps_the_old_roles_too_on_the_page(tenant_a, member, client_for):
    admin = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    staff = _membership(tenant_a, member(tenant_a, ["engineer"]))
    # Neither the whole company nor any office or estate: the scope is refused, so the roles are not saved.
    response = admin.post(f"/staff/members/{staff.pk}/", {"roles": ["finance"]})
    assert response.status_code == 400 and 'data-error-for="scope_office_ids"' in response.content.decode()
    staff.refresh_from_db()
    assert staff.roles == ["engineer"] and staff.scope_all is True
    connection.set_tenant(tenant_a)
    assert not AuditEntry.objects.filter(action="membership.roles_set", object_id=str(staff.pk)).exists()


def test_a_refused_scope_keeps_the_old_roles_too_over_the_api(tenant_a, member, client_for):
    admin = client_for(tenant_a, member(tenant_a, ["company_admin"]))
    staff = _membership(tenant_a, member(tenant_a, ["engineer"]))
    response = admin.patch(
        f"/api/v1/members/{staff.pk}/",
        {"roles": ["finance"], "scope_all": False, "scope_office_ids": [987654]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "scope_office_ids" in response.json()["error"]["fields"]
    staff.refresh_from_db()
    assert staff.roles == ["engineer"] and staff.scope_all is True
