"""What the merchant API (/api/v1/merchant/ on the platform domain) shares: who is calling and what they may do.

- Authentication: a merchant token (`Authorization: Bearer mt_…`, from POST /api/v1/merchant/auth/token/) or the
  merchant portal's session (with CSRF). A company's API token means nothing here (it lives in that company's
  schema and is refused by its shape before any lookup), and a merchant token means nothing on a company's API
  (its lookup runs in the company's schema, where no merchant token is).
- Permission: deny by default. A view names `merchant_permission` (a MerchantPermission, or a dict from HTTP
  method to one); the caller needs an active member of an open merchant holding it. Everything a view reads is
  the caller's merchant's (the selectors filter by it), so another merchant's id is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import authentication, exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from backend.accounts.services import token_hash
from backend.api.pagination import PageNumberPagination

from .merchant_permissions import MerchantPermission
from .merchants import merchant_token_used
from .models import Merchant, MerchantMember, MerchantStatus, MerchantToken
from .selectors_merchant import merchant_member_active

MEMBER_ATTRIBUTE = "merchant_member"
TOKEN_PREFIX = "mt_"
ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found among this merchant's own"),
}


def _on_platform(request: Request) -> bool:
    tenant = getattr(request._request, "tenant", None)
    return tenant is not None and tenant.schema_name == "public"


class MerchantTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, MerchantToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"bearer", b"token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        if not _on_platform(request):
            raise exceptions.AuthenticationFailed("Merchant tokens are valid on the platform domain only.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        if not raw.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Not a merchant token: company API tokens are not valid here.")
        token = (
            MerchantToken.objects.select_related("member__user", "member__merchant")
            .filter(key_hash=token_hash(raw), expires_at__gt=timezone.now())
            .first()
        )
        member = token.member if token is not None else None
        if (
            token is None
            or member is None
            or not member.is_active
            or not member.user.is_active
            or member.merchant.status != MerchantStatus.ACTIVE
        ):
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        setattr(request._request, MEMBER_ATTRIBUTE, member)
        merchant_token_used(token=token, now=timezone.now())
        return member.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class MerchantTokenScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.api_merchant_base.MerchantTokenAuthentication"
    name = "merchantBearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Merchant token from POST /api/v1/merchant/auth/token/",
        }


def request_merchant_member(request: Request) -> MerchantMember | None:
    """The caller's active place at an open merchant (token or session), or None."""
    django_request = request._request
    member = getattr(django_request, MEMBER_ATTRIBUTE, None)
    if member is not None and member.user_id == getattr(request.user, "pk", None):
        return member  # type: ignore[no-any-return]
    if not _on_platform(request):
        return None
    member = merchant_member_active(user=request.user)
    setattr(django_request, MEMBER_ATTRIBUTE, member)
    return member


class MerchantRolePermission(BasePermission):
    message = "This needs a merchant account with the right role at its merchant."

    def has_permission(self, request: Request, view: Any) -> bool:
        required = getattr(view, "merchant_permission", None)
        if isinstance(required, dict):
            required = required.get(request.method, required.get("*"))
        if not isinstance(required, MerchantPermission):
            return False
        if not request.user or not request.user.is_authenticated:
            return False
        return required.granted_to(request_merchant_member(request))


class MerchantApi(APIView):
    authentication_classes = [MerchantTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [MerchantRolePermission]
    pagination_class = PageNumberPagination

    def member(self, request: Request) -> MerchantMember:
        member = request_merchant_member(request)
        if member is None:
            raise exceptions.NotAuthenticated()
        return member

    def merchant(self, request: Request) -> Merchant:
        return self.member(request).merchant

    def page(self, request: Request, qs: Any, serializer: type[serializers.BaseSerializer]) -> Any:
        paginator = PageNumberPagination()
        rows: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(rows, many=True).data)


def found(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj
