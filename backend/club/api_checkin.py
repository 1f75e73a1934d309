"""Check-in and no-shows under /api/v1/club/: security or the front desk post the code a booking's QR code
carries (or that they typed) to check it in; club staff list the no-shows of their facilities. A code of
another company is not found (404), of another estate's facility refused (403), and a booking that cannot be
checked in now answers 409 with the reason (too_early, too_late, wrong_day, already_checked_in, not_live,
not_confirmed, no_show)."""

from __future__ import annotations

import datetime as dt

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_int, validated
from backend.api.permissions import api_user
from tenants.db import company_time_zone

from . import checkin
from .api_base import ERRORS, ClubApi, query_date
from .api_bookings import BookingSerializer
from .rules import midnight
from .selectors_flow import no_show_list


class CheckInSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=40, help_text=gettext_lazy("The booking's code, as the QR code carries it or typed (any case).")
    )


class CheckInApi(ClubApi):
    """Check a booking in at the door, from 30 minutes before its start until the facility's grace after."""

    required_permission = perms.CLUB_CHECKIN

    @extend_schema(
        request=CheckInSerializer,
        responses={
            200: BookingSerializer,
            403: OpenApiResponse(description="The booking is for a facility outside the caller's estates"),
            409: OpenApiResponse(description="Not now: too early or late, another day, or its state forbids it"),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(CheckInSerializer, request)
        booking = checkin.booking_check_in(code=data["code"], by=api_user(request), scope=self.scope(request))
        return Response(BookingSerializer(booking).data)


class NoShowListApi(ClubApi):
    """No-shows of the facilities in the caller's scope, the latest first."""

    required_permission = perms.CLUB_MANAGE

    @extend_schema(
        parameters=[
            OpenApiParameter("facility", int),
            OpenApiParameter("since", str, description="No-shows from this day on, YYYY-MM-DD."),
        ],
        responses={200: BookingSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        since_day = query_date(request, "since")
        since: dt.datetime | None = midnight(since_day, company_time_zone()) if since_day else None
        qs = no_show_list(scope=self.scope(request), facility_id=query_int(request, "facility"), since=since)
        return self.page(request, qs, BookingSerializer)


urlpatterns: list[URLPattern] = [
    path("api/v1/club/check-in/", CheckInApi.as_view(), name="api-club-check-in"),
    path("api/v1/club/no-shows/", NoShowListApi.as_view(), name="api-club-no-shows"),
]
