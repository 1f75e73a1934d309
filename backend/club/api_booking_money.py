"""The money of a booking under /api/v1/club/bookings/<id>/: what a held booking costs and how to pay it
(`payment/`: the bill lines to pay through POST /api/v1/payments/online/, their total and the pay page's
link), charging it to the home's account (`charge-to-account/`, where the company allows it), and the club
staff's release or forfeit of a deposit after use (`deposit/release/`, `deposit/forfeit/`). A booking outside
the caller's scope (another company's, another home's) is a 404."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import validated
from backend.api.permissions import api_user

from . import money, refunds
from .api_base import CONFLICT, ERRORS, ClubApi
from .api_bookings import BookingSerializer, ReasonSerializer


class BookingPayableSerializer(serializers.Serializer):
    """What a booking still needs paid. Pay `line_ids` with POST /api/v1/payments/online/ {unit, line_ids} (and
    an Idempotency-Key), or open `pay_url`; the booking is confirmed as soon as the lines are paid."""

    booking = serializers.IntegerField()
    status = serializers.CharField()
    unit = serializers.IntegerField(allow_null=True)
    line_ids = serializers.ListField(child=serializers.IntegerField(), help_text=gettext_lazy("Bill lines owed."))
    amount_fen = serializers.IntegerField(help_text=gettext_lazy("Still owed on them, integer fen."))
    hold_expires_at = serializers.DateTimeField(allow_null=True)
    pay_url = serializers.CharField(help_text=gettext_lazy("The resident's pay page for these lines; empty if paid."))
    charge_to_account = serializers.BooleanField(
        help_text=gettext_lazy("The company lets residents charge bookings to their home's account.")
    )


class BookingPayableApi(ClubApi):
    required_permission = perms.CLUB_BOOKINGS

    @extend_schema(responses={200: BookingPayableSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(BookingPayableSerializer(money.booking_payable(self.booking(request, pk))).data)


class BookingChargeToAccountApi(ClubApi):
    """Confirm a held booking with its fee (and deposit) left on the home's bills. 409 `charge_to_account_off`
    when the company does not allow it, `arrears` when the home is under the arrears sanction."""

    required_permission = perms.CLUB_BOOKING_WRITE

    @extend_schema(request=None, responses={200: BookingSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        money.booking_charge_to_account(booking=self.booking(request, pk), by=api_user(request))
        return Response(BookingSerializer(self.booking(request, pk)).data)


class DepositReleaseApi(ClubApi):
    """Give the deposit back after the booking's time (paid online: to the card; else as prepaid credit)."""

    required_permission = perms.CLUB_MANAGE

    @extend_schema(request=ReasonSerializer, responses={200: BookingSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(ReasonSerializer, request)
        refunds.booking_deposit_release(booking=self.booking(request, pk), by=api_user(request), reason=data["reason"])
        return Response(BookingSerializer(self.booking(request, pk)).data)


class DepositForfeitApi(ClubApi):
    """Keep a paid deposit, with a reason (400 without one)."""

    required_permission = perms.CLUB_MANAGE

    @extend_schema(request=ReasonSerializer, responses={200: BookingSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = validated(ReasonSerializer, request)
        refunds.booking_deposit_forfeit(booking=self.booking(request, pk), by=api_user(request), reason=data["reason"])
        return Response(BookingSerializer(self.booking(request, pk)).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/club/bookings/<int:pk>/payment/", BookingPayableApi.as_view(), name="api-club-booking-payment"),
    path(
        "api/v1/club/bookings/<int:pk>/charge-to-account/",
        BookingChargeToAccountApi.as_view(),
        name="api-club-booking-charge-to-account",
    ),
    path(
        "api/v1/club/bookings/<int:pk>/deposit/release/",
        DepositReleaseApi.as_view(),
        name="api-club-booking-deposit-release",
    ),
    path(
        "api/v1/club/bookings/<int:pk>/deposit/forfeit/",
        DepositForfeitApi.as_view(),
        name="api-club-booking-deposit-forfeit",
    ),
]
