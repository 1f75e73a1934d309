from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import get_language

from backend.accounts.models import Membership
from backend.accounts.roles import Role
from tenants.models import Tenant

from .models import Invitation, RoleDefinition


def member_list(*, tenant: Tenant, role: str = "") -> QuerySet[Membership]:
    qs = Membership.objects.filter(tenant=tenant, is_active=True).select_related("user").order_by("user__name")
    if role:
        qs = qs.filter(roles__contains=[role])
    return qs


def invitation_list(*, state: str = "") -> list[Invitation]:
    invitations = list(Invitation.objects.select_related("invited_by")[:200])
    return [i for i in invitations if not state or i.state == state]


def role_names() -> dict[str, str]:
    """Role code -> display name: the company's own names in Chinese, the standard labels otherwise."""
    if get_language() == "zh-hans":
        return dict(RoleDefinition.objects.values_list("code", "name"))
    return {code: str(label) for code, label in Role.choices}
