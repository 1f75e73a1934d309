"""The club desk under /api/v1/club/: a walk-in guest's booking paid at the desk (cash, POS, transfer: a guest
has no ledger, so the club records it), the homes suspended for no-shows and lifting a suspension early, and
the company's club settings (company admins). Each write calls one service (desk.py, suspensions.py,
club_settings.py), which checks and audits."""

from __future__ import annotations

from django.http import Http404
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import validated
from backend.api.permissions import api_user

from .api_base import CONFLICT, ERRORS, ClubApi
from .api_bookings import BookingSerializer
from .club_settings import club_settings_update
from .desk import booking_guest_paid
from .models import BookingSuspension, ClubSettings, DeskMethod
from .selectors_flow import suspension_list
from .suspensions import suspension_lift


class DeskPaidSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=DeskMethod.choices)


class GuestPaidApi(ClubApi):
    """Record that the walk-in guest paid the booking's fee and deposit at the desk (once)."""

    required_permission = perms.CLUB_MANAGE

    @extend_schema(request=DeskPaidSerializer, responses={200: BookingSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(DeskPaidSerializer, request)
        booking = booking_guest_paid(booking=self.booking(request, pk), method=data["method"], by=api_user(request))
        return Response(BookingSerializer(booking).data)


class SuspensionSerializer(serializers.ModelSerializer):
    unit_label = serializers.CharField(source="unit.label", read_only=True)

    class Meta:
        model = BookingSuspension
        fields = ["id", "unit", "unit_label", "until", "reason", "created_at", "lifted_at", "lift_reason"]
        read_only_fields = fields


class LiftSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SuspensionListApi(ClubApi):
    """The homes of the caller's scope that may not book now (no-shows), the soonest over first."""

    required_permission = perms.CLUB_MANAGE

    @extend_schema(responses={200: SuspensionSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        qs = suspension_list(scope=self.scope(request), now=timezone.now())
        return self.page(request, qs, SuspensionSerializer)


class SuspensionLiftApi(ClubApi):
    """Lift a suspension in force before its end, with an optional reason."""

    required_permission = perms.CLUB_MANAGE

    @extend_schema(request=LiftSerializer, responses={200: SuspensionSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(LiftSerializer, request)
        now = timezone.now()
        suspension = suspension_list(scope=self.scope(request), now=now).filter(pk=pk).first()
        if suspension is None:
            raise Http404
        lifted = suspension_lift(suspension=suspension, now=now, by=api_user(request), reason=data["reason"])
        return Response(SuspensionSerializer(lifted).data)


class ClubSettingsSerializer(serializers.Serializer):
    charge_to_account = serializers.BooleanField(
        help_text=gettext_lazy("Residents may charge paid bookings to their home's account.")
    )


class ClubSettingsApi(ClubApi):
    """The company's club settings: read by club staff, changed by company admins."""

    required_permission = {"GET": perms.CLUB_MANAGE, "PUT": perms.CLUB_SETTINGS}

    @extend_schema(responses={200: ClubSettingsSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(ClubSettingsSerializer(ClubSettings.load()).data)

    @extend_schema(request=ClubSettingsSerializer, responses={200: ClubSettingsSerializer, **ERRORS})
    def put(self, request: Request) -> Response:
        data = validated(ClubSettingsSerializer, request)
        saved = club_settings_update(charge_to_account=data["charge_to_account"], by=api_user(request))
        return Response(ClubSettingsSerializer(saved).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/club/bookings/<int:pk>/guest-paid/", GuestPaidApi.as_view(), name="api-club-booking-guest-paid"),
    path("api/v1/club/suspensions/", SuspensionListApi.as_view(), name="api-club-suspensions"),
    path("api/v1/club/suspensions/<int:pk>/lift/", SuspensionLiftApi.as_view(), name="api-club-suspension-lift"),
    path("api/v1/club/settings/", ClubSettingsApi.as_view(), name="api-club-settings"),
]
