from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.throttling import THROTTLED, ClientIpThrottle
from backend.client_ip import client_ip

from .services import company_onboard


class SignupIn(serializers.Serializer):
    company_name = serializers.CharField(max_length=100, allow_blank=True)
    subdomain = serializers.CharField(max_length=60, allow_blank=True)
    admin_name = serializers.CharField(max_length=60, allow_blank=True)
    admin_email = serializers.CharField(max_length=254, allow_blank=True)
    admin_phone = serializers.CharField(max_length=30, allow_blank=True)
    admin_password = serializers.CharField(max_length=128, allow_blank=True, trim_whitespace=False)
    privacy_accepted = serializers.BooleanField(
        required=False, default=False, help_text="true: the admin read and accepts the privacy policy (required)"
    )


class SignupOut(serializers.Serializer):
    tenant = serializers.CharField(help_text="the company's slug")
    domain = serializers.CharField()
    portal_url = serializers.URLField()


class SignupApi(APIView):
    """Platform domain: a property company signs itself up."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientIpThrottle]
    throttle_scope = "company_signup"

    @extend_schema(request=SignupIn, responses={201: SignupOut, 429: THROTTLED})
    def post(self, request: Request) -> Response:
        data = SignupIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = company_onboard(**data.validated_data, ip=client_ip(request.META))
        body = {"tenant": result.tenant.slug, "domain": result.domain.domain, "portal_url": result.portal_url}
        return Response(SignupOut(body).data, status=status.HTTP_201_CREATED)
