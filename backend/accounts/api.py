from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.access.services import api_token_issue, resident_sign_up
from backend.api.openapi import error_response
from backend.api.permissions import api_tenant, api_user, request_membership
from backend.api.throttling import THROTTLED, ClientIpThrottle
from backend.audit.context import Actor, acting_as
from backend.client_ip import client_ip
from backend.errors import ApplicationError
from tenants.models import Tenant

from . import permissions as perms
from .models import Membership, User
from .services import membership_get_active, user_sign_in


class TokenIn(serializers.Serializer):
    username = serializers.CharField(help_text="e-mail or mobile number")
    password = serializers.CharField(trim_whitespace=False)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenApi(APIView):
    """Company domain: exchange credentials for a bearer token valid on this company's API only."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientIpThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=TokenIn,
        responses={
            200: TokenOut,
            403: error_response(403, "Not a member of this company"),
            429: error_response(429, "Too many failed sign-ins for this account or address"),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        ip = client_ip(request.META)
        user = user_sign_in(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            ip=ip,
        )
        if membership_get_active(user=user, tenant=api_tenant(request)) is None:
            raise ApplicationError("You are not a member of this company.", code="not_a_member", status=403)
        with acting_as(Actor(user_id=user.pk, user_name=str(user), ip=ip)):
            token, raw = api_token_issue(user=user, name="api")
        return Response(TokenOut({"token": raw, "expires_at": token.expires_at}).data)


class MembershipOut(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField())
    scope_all = serializers.BooleanField()
    scope_office_ids = serializers.ListField(child=serializers.IntegerField())
    scope_estate_ids = serializers.ListField(child=serializers.IntegerField())


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    tenant = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    membership = MembershipOut()


def me_body(*, user: User, membership: Membership, tenant: Tenant) -> dict[str, Any]:
    return {
        "id": user.pk,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "tenant": tenant.slug,
        "roles": membership.roles,
        "membership": membership,
    }


def me_json(*, user: User, membership: Membership, tenant: Tenant) -> dict[str, Any]:
    """MeOut's representation of `me_body`, built directly: the same JSON (a test holds them equal) without
    the serializer's per-request copies of its fields, which cost more than the rest of GET /me/."""
    return {
        "id": int(user.pk),
        "name": None if user.name is None else str(user.name),
        "email": None if user.email is None else str(user.email),
        "phone": None if user.phone is None else str(user.phone),
        "tenant": str(tenant.slug),
        "roles": [str(role) for role in membership.roles],
        "membership": {
            "roles": [str(role) for role in membership.roles],
            "scope_all": bool(membership.scope_all),
            "scope_office_ids": [int(i) for i in membership.scope_office_ids],
            "scope_estate_ids": [int(i) for i in membership.scope_estate_ids],
        },
    }


class MeApi(APIView):
    """The caller and their roles in this company."""

    required_permission = perms.MEMBER

    @extend_schema(responses={200: MeOut})
    def get(self, request: Request) -> Response:
        membership = request_membership(request)
        assert membership is not None
        return Response(me_json(user=api_user(request), membership=membership, tenant=api_tenant(request)))


class ResidentSignupIn(serializers.Serializer):
    name = serializers.CharField(max_length=60, allow_blank=True)
    phone = serializers.CharField(max_length=30, allow_blank=True)
    email = serializers.CharField(max_length=254, allow_blank=True, required=False, default="")
    password = serializers.CharField(max_length=128, trim_whitespace=False, allow_blank=True)
    privacy_accepted = serializers.BooleanField(
        required=False, default=False, help_text="true: the resident read and accepts the privacy policy (required)"
    )


class ResidentSignupApi(APIView):
    """Company domain: a resident registers (then asks to be bound to a unit)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientIpThrottle]
    throttle_scope = "resident_signup"

    @extend_schema(
        request=ResidentSignupIn,
        responses={
            201: MeOut,
            403: error_response(403, "This company does not take online sign-ups"),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        data = ResidentSignupIn(data=request.data)
        data.is_valid(raise_exception=True)
        user, membership = resident_sign_up(**data.validated_data, ip=client_ip(request.META))
        body = me_body(user=user, membership=membership, tenant=api_tenant(request))
        return Response(MeOut(body).data, status=201)
