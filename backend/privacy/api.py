"""GET /api/v1/me/data/: the caller's personal data in this company (the same JSON as the portal's file)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.permissions import api_user

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
    notifications = serializers.ListField(child=serializers.DictField())
    consents = serializers.ListField(child=serializers.DictField(), help_text="privacy policy consents")


class PersonalDataApi(APIView):
    """A resident's copy of their personal data here (PIPL art. 45)."""

    required_permission = perms.MY_DATA

    @extend_schema(responses={200: PersonalDataOut})
    def get(self, request: Request) -> Response:
        response = Response(personal_data_collect(user=api_user(request)))
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [path("api/v1/me/data/", PersonalDataApi.as_view(), name="api-me-data")]
