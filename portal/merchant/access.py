"""Who may open a merchant page: an active member of an open merchant holding the page's merchant permission,
on the platform domain. Anyone else is sent to the merchant sign-in (signed out) or refused (403: signed in
without the role, e.g. a clerk on an owner's page). A company member's session never reaches here (sessions
live per schema), and their account is no merchant's."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from marketplace.merchant_permissions import MerchantCan, MerchantPermission
from marketplace.models import MerchantMember
from marketplace.selectors_merchant import merchant_member_active
from portal.access import ACCESS_ATTRIBUTE, PageAccess, View

MEMBER_ATTRIBUTE = "merchant_member"


def request_member(request: HttpRequest) -> MerchantMember | None:
    if hasattr(request, MEMBER_ATTRIBUTE):
        return getattr(request, MEMBER_ATTRIBUTE)  # type: ignore[no-any-return]
    tenant = getattr(request, "tenant", None)
    member = None
    if tenant is not None and tenant.schema_name == "public":
        member = merchant_member_active(user=request.user)
    setattr(request, MEMBER_ATTRIBUTE, member)
    return member


def _check(permission: MerchantPermission) -> Callable[[HttpRequest], HttpResponseBase | None]:
    def check(request: HttpRequest) -> HttpResponseBase | None:
        member = request_member(request)
        if member is None:
            login = reverse("merchant:login")
            return redirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        if not permission.granted_to(member):
            raise PermissionDenied(f"This page needs the merchant permission {permission.code}.")
        return None

    return check


def merchant_required(permission: MerchantPermission) -> Callable[[View], View]:
    access = PageAccess(check=_check(permission))

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            denial = access.check(request) if access.check else None
            if denial is not None:
                return denial
            return view(request, *args, **kwargs)

        setattr(wrapped, ACCESS_ATTRIBUTE, access)
        return wrapped

    return decorator


def member_of(request: HttpRequest) -> MerchantMember:
    """The page's member (the decorator has admitted them)."""
    member = request_member(request)
    assert member is not None
    return member


def permission_check(request: HttpRequest, permission: MerchantPermission) -> None:
    if not permission.granted_to(request_member(request)):
        raise PermissionDenied(f"This action needs the merchant permission {permission.code}.")


def page(request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    """Render a merchant page with its member, merchant and what the member may do (`mcan`)."""
    member = request_member(request)
    ctx = {"member": member, "merchant": member.merchant if member else None, "mcan": MerchantCan(member)}
    ctx.update(context or {})
    return render(request, template, ctx, status=status)
