"""Bookings under /api/v1/club/bookings/: residents book for the homes they live in and see and cancel their
own; club staff book for a home in their scope or a walk-in guest, see the bookings of their facilities,
cancel with a reason, approve and reject. "Full" and "quota reached" are 409s with those codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import idempotency_key, query_choice, query_int, validated
from backend.api.permissions import api_user
from backend.properties.selectors import resident_units
from tenants.db import company_time_zone

from . import booking as engine
from .api_base import CONFLICT, ERRORS, ClubApi, query_date
from .models import Booking, BookingStatus
from .rules import midnight
from .selectors import booking_list, facility_get

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Optional, at most 100 characters: the same key again returns the booking it made (200).",
)


class BookingSerializer(serializers.ModelSerializer):
    """A booking. `code` is what the QR code carries (check-in); money is integer fen. `charge` and
    `deposit_charge` are its bill lines (pay them: GET …/payment/), `payment` / `online_payment` what paid
    them, `charged_to_account_at` when it was left on the home's account; `refund_due_fen` is what a
    cancellation or a closure owes back, `refund_status` how far giving it back got ("", "gateway": card
    refunds waiting for Stripe, "done"), `refunded_at` when it was done; `deposit` the billing deposit it holds."""

    facility_name = serializers.CharField(source="facility.name", read_only=True)
    unit_label = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "facility",
            "facility_name",
            "unit",
            "unit_label",
            "user",
            "guest_name",
            "guest_phone",
            "starts_at",
            "ends_at",
            "party_size",
            "places",
            "status",
            "source",
            "code",
            "price_fen",
            "deposit_fen",
            "hold_expires_at",
            "paid_at",
            "charge",
            "deposit_charge",
            "deposit",
            "payment",
            "online_payment",
            "charged_to_account_at",
            "refund_due_fen",
            "refund_status",
            "refunded_at",
            "created_at",
            "cancelled_at",
            "cancel_reason",
            "approved_at",
            "rejected_reason",
            "checked_in_at",
        ]
        read_only_fields = fields

    def get_unit_label(self, obj: Booking) -> str:
        return obj.unit.label if obj.unit_id and obj.unit else ""


class BookingCreateSerializer(serializers.Serializer):
    facility = serializers.IntegerField(min_value=1)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    party_size = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    unit = serializers.IntegerField(
        min_value=1, required=False, help_text=gettext_lazy("The home (residents: one they live in; required).")
    )
    guest_name = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text=gettext_lazy("Staff: a walk-in guest.")
    )
    guest_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BookingListApi(ClubApi):
    """Bookings: residents their own (and their homes'), staff those of the facilities in their scope. POST:
    a resident books for one of their homes; club staff for a home in their scope or a guest (`guest_name`)."""

    required_permission = {"GET": perms.CLUB_BOOKINGS, "POST": perms.CLUB_BOOKING_WRITE}

    @extend_schema(
        parameters=[
            OpenApiParameter("facility", int),
            OpenApiParameter("status", str, enum=BookingStatus.values),
            OpenApiParameter("date", str, description="Bookings on this day, YYYY-MM-DD."),
        ],
        responses={200: BookingSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        day = query_date(request, "date")
        starts_from = starts_before = None
        if day is not None:
            tz = company_time_zone()
            starts_from, starts_before = midnight(day, tz), midnight(day + dt.timedelta(days=1), tz)
        qs = booking_list(
            scope=self.scope(request),
            facility_id=query_int(request, "facility"),
            status=query_choice(request, "status", BookingStatus.values),
            starts_from=starts_from,
            starts_before=starts_before,
        )
        return self.page(request, qs, BookingSerializer)

    @extend_schema(
        request=BookingCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: BookingSerializer,
            200: OpenApiResponse(BookingSerializer, description="Replay of an Idempotency-Key"),
            409: CONFLICT,
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(BookingCreateSerializer, request)
        key = idempotency_key(request)
        facility = facility_get(scope=self.scope(request), facility_id=data["facility"])
        if facility is None:
            raise Http404
        user = api_user(request)
        if self.manages(request):
            booking = engine.booking_create_by_staff(
                facility=facility,
                by=user,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                party_size=data["party_size"],
                unit=self.staff_unit(request, data["unit"]) if data.get("unit") else None,
                guest_name=data.get("guest_name", ""),
                guest_phone=data.get("guest_phone", ""),
            )
            created = True
        else:
            if not data.get("unit"):
                raise serializers.ValidationError({"unit": [_("Choose the home you book for.")]})
            unit = resident_units(user_id=user.pk).filter(pk=data["unit"]).first()
            if unit is None:
                raise Http404
            before = Booking.objects.filter(idempotency_key=f"{user.pk}:{key}").exists() if key else False
            booking = engine.booking_create(
                facility=facility,
                user=user,
                unit=unit,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                party_size=data["party_size"],
                idempotency_key=key,
            )
            created = not before
        body = BookingSerializer(self.booking(request, booking.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BookingDetailApi(ClubApi):
    required_permission = perms.CLUB_BOOKINGS

    @extend_schema(responses={200: BookingSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(BookingSerializer(self.booking(request, pk)).data)


class BookingCancelApi(ClubApi):
    """Cancel: a resident their own booking before it starts (the refund due follows the cutoff); club staff
    any booking of their facilities before it ends, with a reason (everything paid is due back)."""

    required_permission = perms.CLUB_BOOKING_WRITE

    @extend_schema(request=ReasonSerializer, responses={200: BookingSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        booking = self.booking(request, pk)
        data = validated(ReasonSerializer, request)
        if self.manages(request):
            engine.booking_cancel_by_staff(booking=booking, by=api_user(request), reason=data["reason"])
        else:
            engine.booking_cancel(booking=booking, by=api_user(request))
        return Response(BookingSerializer(self.booking(request, pk)).data)


class BookingApproveApi(ClubApi):
    required_permission = perms.CLUB_MANAGE

    @extend_schema(request=None, responses={200: BookingSerializer, 409: CONFLICT, 404: ERRORS[404]})
    def post(self, request: Request, pk: int) -> Response:
        engine.booking_approve(booking=self.booking(request, pk), by=api_user(request))
        return Response(BookingSerializer(self.booking(request, pk)).data)


class BookingRejectApi(ClubApi):
    required_permission = perms.CLUB_MANAGE

    @extend_schema(request=ReasonSerializer, responses={200: BookingSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        booking = self.booking(request, pk)
        data: dict[str, Any] = validated(ReasonSerializer, request)
        engine.booking_reject(booking=booking, by=api_user(request), reason=data["reason"])
        return Response(BookingSerializer(self.booking(request, pk)).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/club/bookings/", BookingListApi.as_view(), name="api-club-bookings"),
    path("api/v1/club/bookings/<int:pk>/", BookingDetailApi.as_view(), name="api-club-booking"),
    path("api/v1/club/bookings/<int:pk>/cancel/", BookingCancelApi.as_view(), name="api-club-booking-cancel"),
    path("api/v1/club/bookings/<int:pk>/approve/", BookingApproveApi.as_view(), name="api-club-booking-approve"),
    path("api/v1/club/bookings/<int:pk>/reject/", BookingRejectApi.as_view(), name="api-club-booking-reject"),
]
