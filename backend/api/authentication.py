from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from backend.access.models import ApiToken
from backend.access.services import api_token_used
from backend.accounts.models import Membership, User
from backend.accounts.services import token_hash
from backend.accounts.signed_in import JoinedRead, membership_join, remember_membership

# The token, its user and the user's active membership here in one query (backend/accounts/signed_in.py).
_TOKEN_HERE = JoinedRead(
    [(ApiToken, "t"), (User, "u"), (Membership, "m")],
    f"FROM {ApiToken._meta.db_table} t INNER JOIN {User._meta.db_table} u ON (u.id = t.user_id) "
    f"{membership_join('u')} WHERE t.key_hash = %s AND t.expires_at > %s LIMIT 1",
)


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
        found = _TOKEN_HERE.first([tenant.pk, token_hash(raw), timezone.now()])
        if found is None or not found[1].is_active:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        token, user, membership = found
        token.user = user
        remember_membership(user, tenant_id=tenant.pk, membership=membership)
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
