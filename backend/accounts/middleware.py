from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from tenants.models import Tenant

from .signed_in import membership_of_signed_in


def _support_still_valid(user_id: int, tenant_id: int) -> bool:
    """Operators only (is_staff, a handful of requests): a membership that came with a support grant counts only
    while the grant does."""
    from tenants.models import SupportGrant
    from tenants.support import support_grant_valid

    if not SupportGrant.objects.filter(operator_id=user_id, tenant_id=tenant_id).exists():
        return True
    return support_grant_valid(user_id=user_id, tenant_id=tenant_id)


class MembershipMiddleware:
    """On a company domain, `request.membership` is the signed-in person's active membership there.
    A session whose membership was revoked (or belongs to no member) is ended: signed in on company A
    gives nothing on company B."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if (
            tenant is not None
            and tenant.status != Tenant.Status.PLATFORM
            and user is not None
            and user.is_authenticated
        ):
            membership = membership_of_signed_in(user=user, tenant=tenant)  # type: ignore[arg-type]
            if membership is not None and user.is_staff and not _support_still_valid(user.pk, tenant.pk):
                membership = None  # a platform operator's support access has ended (tenants/support.py)
            if membership is None:
                logout(request)
            else:
                request.membership = membership  # type: ignore[attr-defined]
        return self.get_response(request)
