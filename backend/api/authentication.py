from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from backend.access.models import ApiToken
from backend.access.services import api_token_used
from backend.accounts.services import token_hash
from backend.accounts.signed_in import remember_membership_here, with_membership_here


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`. Tokens live in the company's schema, so a token from company A
    means nothing on company B's domain."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"bearer", b"token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        tenant = getattr(request._request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            raise exceptions.AuthenticationFailed("API tokens are valid on a company domain only.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        # The token, its user and the user's active membership here in one query (backend/accounts/signed_in.py).
        tokens = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw), expires_at__gt=timezone.now())
        token = with_membership_here(tokens, tenant_id=tenant.pk, user_path="user").first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        remember_membership_here(token.user, tenant_id=tenant.pk, joined=token)
        api_token_used(token=token, now=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents the bearer token in the OpenAPI schema."""

    target_class = "backend.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Token from POST /api/v1/auth/token/"}
