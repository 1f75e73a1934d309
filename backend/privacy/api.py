"""The caller's personal data in this company: GET /api/v1/me/data/ (the same JSON as the portal's file) and
POST /api/v1/me/erasure-request/ (ask the company to erase it)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.openapi import error_response
from backend.api.permissions import api_user
from backend.errors import ApplicationError

from .erasure import erasure_request_create
from .personal_data import personal_data_collect


class PersonalDataOut(serializers.Serializer):
    company = serializers.CharField()
    generated_at = serializers.DateTimeField()
    profile = serializers.DictField(help_text="account and person record: name, phone, e-mail, ID number")
    homes = serializers.DictField(help_text="current units, occupancies (moved in / out), binding requests")
    billing = serializers.DictField(help_text="bills, payments and deposits of the current units (amounts in fen)")
    club = serializers.DictField(help_text="facility bookings and class enrolments")
    shop_orders = serializers.ListField(child=serializers.DictField())
    repair_tickets = serializers.ListField(child=serializers.DictField())
    complaints = serializers.ListField(child=serializers.DictField())
    notifications = serializers.ListField(child=serializers.DictField())
    consents = serializers.ListField(child=serializers.DictField(), help_text="privacy policy consents")
    online_payment = serializers.DictField(help_text="Stripe customer, autopay mandates, online payment attempts")
    shop_aftersale = serializers.DictField(help_text="refund requests, reviews, complaints against merchants")
    satisfaction = serializers.DictField(help_text="ratings of repairs and complaints, survey answers")
    gate = serializers.DictField(help_text="visitor passes issued (with their entries), parcels of the current homes")
    renovation = serializers.ListField(child=serializers.DictField(), help_text="renovation applications")


class PersonalDataApi(APIView):
    """A resident's copy of their personal data here (PIPL art. 45)."""

    required_permission = perms.MY_DATA

    @extend_schema(responses={200: PersonalDataOut})
    def get(self, request: Request) -> Response:
        response = Response(personal_data_collect(user=api_user(request)))
        response["Cache-Control"] = "no-store"
        return response


class ErasureRequestIn(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="must be true: the caller understands the account here is closed")
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class ErasureRequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    requested_at = serializers.DateTimeField()


class ErasureRequestApi(APIView):
    """Ask the company to erase the caller's personal data here (PIPL art. 47); its admin processes it."""

    required_permission = perms.MY_DATA

    @extend_schema(
        request=ErasureRequestIn,
        responses={201: ErasureRequestOut, 400: error_response(400, "Not confirmed, or a request is already pending")},
    )
    def post(self, request: Request) -> Response:
        data = ErasureRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data["confirm"]:
            raise ApplicationError.for_fields({"confirm": [_("Tick the box to confirm.")]})
        erasure = erasure_request_create(user=api_user(request), reason=data.validated_data["reason"])
        return Response(ErasureRequestOut(erasure).data, status=201)


urlpatterns = [
    path("api/v1/me/data/", PersonalDataApi.as_view(), name="api-me-data"),
    path("api/v1/me/erasure-request/", ErasureRequestApi.as_view(), name="api-me-erasure-request"),
]
