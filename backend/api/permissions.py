"""Deny by default. A view opens up by declaring `required_permission` (a Permission of the catalogue,
backend/accounts/permissions.py; or a dict from HTTP method, or "*", to one), `required_roles` (the older
spelling: role codes, or a dict of them; ANY_MEMBER for any member) or `permission_classes = [AllowAny]`
explicitly. Every check also needs an active membership in the company whose domain was called."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from backend.accounts.models import Membership, User
from backend.accounts.permissions import Permission
from backend.accounts.signed_in import membership_of_signed_in
from tenants.models import Tenant

ANY_MEMBER = "any_member"


def request_membership(request: Request) -> Membership | None:
    """The caller's active membership in this company, however they authenticated (session or token)."""
    django_request = request._request
    cached = getattr(django_request, "membership", None)
    user = request.user
    if cached is not None and cached.user_id == getattr(user, "pk", None):
        return cached
    tenant = getattr(django_request, "tenant", None)
    if tenant is None or not user or not user.is_authenticated:
        return None
    membership = membership_of_signed_in(user=user, tenant=tenant)
    django_request.membership = membership  # type: ignore[attr-defined]
    return membership


def api_user(request: Request) -> User:
    """The authenticated caller (views behind RolePermission are never reached anonymously)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def api_tenant(request: Request) -> Tenant:
    return request._request.tenant  # type: ignore[attr-defined,no-any-return]


class RolePermission(BasePermission):
    message = "You do not have the role this operation needs in this company."

    def has_permission(self, request: Request, view: Any) -> bool:
        required = getattr(view, "required_permission", None)
        if required is None:
            required = getattr(view, "required_roles", None)
        if required is None:
            return False  # a view that names no roles is closed
        if isinstance(required, dict):
            required = required.get(request.method, required.get("*"))
            if required is None:
                return False
        if not request.user or not request.user.is_authenticated:
            return False
        membership = request_membership(request)
        if membership is None:
            return False
        if required == ANY_MEMBER:
            return True
        if isinstance(required, Permission):
            return required.granted_to(membership)
        return membership.has_any_role(required)
