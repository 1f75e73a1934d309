"""会所 facilities under /api/v1/club/: the facilities a caller may see (staff: their data scope; residents:
those their homes may book), their rules and opening hours, setting them up (club managers), the availability
grid of a day or a week, and closures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_choice, query_int, validated
from backend.api.permissions import api_user

from . import services
from .api_base import CONFLICT, ERRORS, ClubApi, query_date
from .availability import MAX_DAYS, Grid, availability
from .closures import closure_create, closure_delete
from .models import MINUTES_A_DAY, BookingMode, Closure, Facility, FacilityKind, OpeningHours, PriceMode
from .selectors import facility_list

RULE_FIELDS = [
    "capacity",
    "counts_people",
    "booking_mode",
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "step_minutes",
    "horizon_days",
    "min_notice_minutes",
    "cancel_cutoff_minutes",
    "late_cancel_refund_percent",
    "max_party_size",
    "quota_bookings_day",
    "quota_bookings_week",
    "quota_bookings_month",
    "quota_minutes_day",
    "quota_minutes_week",
    "quota_minutes_month",
    "price_mode",
    "resident_price_fen",
    "guest_price_fen",
    "deposit_fen",
    "hold_minutes",
    "requires_approval",
    "allowed_roles",
    "allowed_estate_ids",
    "residents_may_recur",
    "offer_minutes",
    "checkin_grace_minutes",
    "no_show_limit",
    "no_show_suspend_days",
]


class HoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text=gettext_lazy("Monday = 0"))
    opens = serializers.IntegerField(min_value=0, max_value=MINUTES_A_DAY - 1, help_text=gettext_lazy("minutes"))
    closes = serializers.IntegerField(min_value=1, max_value=MINUTES_A_DAY, help_text=gettext_lazy("minutes"))


class FacilitySerializer(serializers.ModelSerializer):
    """A facility with its rules. Times of day are minutes after midnight in the company's time zone; money is
    integer fen."""

    estate_name = serializers.CharField(source="estate.name", read_only=True)
    cell_minutes = serializers.IntegerField(read_only=True)
    opening_hours = HoursSerializer(many=True, read_only=True)
    allowed_estate_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    allowed_roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Facility
        fields = [
            "id",
            "estate",
            "estate_name",
            "office",
            "name",
            "kind",
            "description",
            "location",
            "is_active",
            "cell_minutes",
            *RULE_FIELDS,
            "fee_item",
            "opening_hours",
        ]
        read_only_fields = fields


def _rule_field(name: str) -> serializers.Field:
    if name in services.NUMBERS:
        low, high = services.NUMBERS[name]
        return serializers.IntegerField(min_value=low, max_value=high, required=False)
    if name in services.FLAGS:
        return serializers.BooleanField(required=False)
    if name == "booking_mode":
        return serializers.ChoiceField(choices=BookingMode.choices, required=False)
    if name == "price_mode":
        return serializers.ChoiceField(choices=PriceMode.choices, required=False)
    if name == "allowed_roles":
        return serializers.ListField(
            child=serializers.ChoiceField(choices=["owner", "tenant", "member"]), min_length=1, required=False
        )
    if name == "allowed_estate_ids":
        return serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=200, required=False)
    raise KeyError(name)


class FacilityWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    kind = serializers.ChoiceField(choices=FacilityKind.choices, required=False)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    location = serializers.CharField(max_length=200, allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)
    fee_item = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    hours = HoursSerializer(many=True, required=False, help_text=gettext_lazy("Replaces the opening hours."))

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name in RULE_FIELDS:
            fields[name] = _rule_field(name)
        return fields


class FacilityCreateSerializer(FacilityWriteSerializer):
    estate = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=FacilityKind.choices)


def _service_values(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[int, int, int]] | None]:
    hours = data.pop("hours", None)
    return data, ([(h["weekday"], h["opens"], h["closes"]) for h in hours] if hours is not None else None)


def _with_hours(qs: Any) -> Any:
    return qs.prefetch_related(Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")))


class FacilityListApi(ClubApi):
    """Facilities: staff see those of their data scope, residents those their homes may book. POST (club
    managers): a new facility of an estate in their scope, with its rules and opening hours."""

    required_permission = {"GET": perms.CLUB_FACILITIES, "POST": perms.CLUB_MANAGE}

    @extend_schema(
        parameters=[
            OpenApiParameter("estate", int, description="Only this estate's facilities."),
            OpenApiParameter("kind", str, enum=FacilityKind.values),
        ],
        responses={200: FacilitySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        qs = facility_list(scope=self.scope(request))
        if (estate_id := query_int(request, "estate")) is not None:
            qs = qs.filter(estate_id=estate_id)
        if kind := query_choice(request, "kind", FacilityKind.values):
            qs = qs.filter(kind=kind)
        return self.page(request, _with_hours(qs), FacilitySerializer)

    @extend_schema(request=FacilityCreateSerializer, responses={201: FacilitySerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data, hours = _service_values(validated(FacilityCreateSerializer, request))
        facility = services.facility_create(
            estate_id=data.pop("estate"), scope=self.scope(request), hours=hours, **data
        )
        body = FacilitySerializer(_with_hours(Facility.objects.filter(pk=facility.pk)).get()).data
        return Response(body, status=status.HTTP_201_CREATED)


class FacilityDetailApi(ClubApi):
    """One facility; PATCH (club managers) changes its rules and/or replaces its opening hours."""

    required_permission = {"GET": perms.CLUB_FACILITIES, "PATCH": perms.CLUB_MANAGE}

    @extend_schema(responses={200: FacilitySerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(FacilitySerializer(self.facility(request, pk)).data)

    @extend_schema(request=FacilityWriteSerializer, responses={200: FacilitySerializer, 409: CONFLICT, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        facility = self.facility(request, pk)
        data, hours = _service_values(validated(FacilityWriteSerializer, request))
        services.facility_update(facility=facility, hours=hours, **data)
        return Response(FacilitySerializer(self.facility(request, pk)).data)


# --- availability -----------------------------------------------------------------------------------------------


class CellSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    taken = serializers.IntegerField()
    left = serializers.IntegerField(help_text=gettext_lazy("Places left (0 when full or closed)."))
    state = serializers.ChoiceField(choices=["open", "full", "closed", "past", "too_soon", "not_yet"])
    closed_reason = serializers.CharField(allow_blank=True)


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    cells = CellSerializer(many=True)


class GridSerializer(serializers.Serializer):
    facility_id = serializers.IntegerField()
    first = serializers.DateField()
    last = serializers.DateField()
    cell_minutes = serializers.IntegerField()
    days = DaySerializer(many=True)


def _instant(moment: dt.datetime, tz: Any) -> str:
    """As DRF's DateTimeField writes it: in the company's zone, "Z" for UTC."""
    text = moment.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def grid_data(grid: Grid) -> dict[str, Any]:
    """GridSerializer's output, written directly: the grid is the club's hottest read and a week has a
    hundred cells or more, which DRF's field-by-field serializers would take longer over than the query."""
    tz = timezone.get_current_timezone()
    return {
        "facility_id": grid.facility_id,
        "first": grid.first.isoformat(),
        "last": grid.last.isoformat(),
        "cell_minutes": grid.cell_minutes,
        "days": [
            {
                "date": day.date.isoformat(),
                "cells": [
                    {
                        "starts_at": _instant(c.starts_at, tz),
                        "ends_at": _instant(c.ends_at, tz),
                        "capacity": c.capacity,
                        "taken": c.taken,
                        "left": c.left,
                        "state": c.state,
                        "closed_reason": c.closed_reason,
                    }
                    for c in day.cells
                ],
            }
            for day in grid.days
        ],
    }


class AvailabilityApi(ClubApi):
    """Places left per slot for a day (days=1) or a week (days=7) from `date` (default: today). Live updates
    come over the notification socket: {"type": "subscribe", "topic": "facility", "id": <facility>}."""

    required_permission = perms.CLUB_FACILITIES

    @extend_schema(
        parameters=[
            OpenApiParameter("date", str, description="First day, YYYY-MM-DD (default today)."),
            OpenApiParameter("days", int, description=f"1 to {MAX_DAYS} (default 1)."),
        ],
        responses={200: GridSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        facility = _with_hours(Facility.objects.filter(pk=self.facility(request, pk).pk)).get()
        first = query_date(request, "date") or timezone.localdate()
        days = query_int(request, "days")
        days = 1 if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise serializers.ValidationError({"days": [_("From 1 to %(n)d.") % {"n": MAX_DAYS}]})
        if not dt.date(2000, 1, 1) <= first <= dt.date(2100, 1, 1):
            raise serializers.ValidationError({"date": [_("A day between 2000 and 2100.")]})
        return Response(grid_data(availability(facility=facility, first=first, days_count=days)))


# --- closures ------------------------------------------------------------------------------------------------------


class ClosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Closure
        fields = [
            "id",
            "facility",
            "kind",
            "reason",
            "starts_at",
            "ends_at",
            "weekday",
            "start_minute",
            "end_minute",
            "first_date",
            "last_date",
            "created_at",
        ]
        read_only_fields = fields


class ClosureCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Closure.Kind.choices)
    reason = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField(required=False, help_text=gettext_lazy("One-off: from."))
    ends_at = serializers.DateTimeField(required=False, help_text=gettext_lazy("One-off: until."))
    weekday = serializers.IntegerField(min_value=0, max_value=6, required=False)
    start_minute = serializers.IntegerField(min_value=0, max_value=MINUTES_A_DAY - 1, required=False)
    end_minute = serializers.IntegerField(min_value=1, max_value=MINUTES_A_DAY, required=False)
    first_date = serializers.DateField(required=False)
    last_date = serializers.DateField(required=False, allow_null=True)


class ClosureCreatedSerializer(ClosureSerializer):
    cancelled_bookings = serializers.SerializerMethodField()

    class Meta(ClosureSerializer.Meta):
        fields = [*ClosureSerializer.Meta.fields, "cancelled_bookings"]
        read_only_fields = fields

    def get_cancelled_bookings(self, obj: Closure) -> list[int]:
        return list(self.context.get("cancelled", []))


class ClosureListApi(ClubApi):
    """A facility's closures (one-off and weekly). POST (club managers): close it; the live bookings under the
    closure are cancelled, owed back in full and their bookers notified."""

    required_permission = {"GET": perms.CLUB_FACILITIES, "POST": perms.CLUB_MANAGE}

    @extend_schema(responses={200: ClosureSerializer(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        facility = self.facility(request, pk)
        return self.page(request, Closure.objects.filter(facility=facility).order_by("-id"), ClosureSerializer)

    @extend_schema(request=ClosureCreateSerializer, responses={201: ClosureCreatedSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        facility = self.facility(request, pk)
        data = validated(ClosureCreateSerializer, request)
        closure, cancelled = closure_create(
            facility=facility, by=api_user(request), kind=data.pop("kind"), reason=data.pop("reason"), **data
        )
        body = ClosureCreatedSerializer(closure, context={"cancelled": [b.pk for b in cancelled]}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ClosureDetailApi(ClubApi):
    """DELETE (club managers): lift a closure; the slots take bookings again (cancelled bookings stay so)."""

    required_permission = perms.CLUB_MANAGE

    @extend_schema(responses={204: None, 404: ERRORS[404]})
    def delete(self, request: Request, pk: int) -> Response:
        closure = Closure.objects.filter(pk=pk, facility__in=facility_list(scope=self.scope(request))).first()
        if closure is None:
            raise Http404
        closure_delete(closure=closure, by=api_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("api/v1/club/facilities/", FacilityListApi.as_view(), name="api-club-facilities"),
    path("api/v1/club/facilities/<int:pk>/", FacilityDetailApi.as_view(), name="api-club-facility"),
    path("api/v1/club/facilities/<int:pk>/availability/", AvailabilityApi.as_view(), name="api-club-availability"),
    path("api/v1/club/facilities/<int:pk>/closures/", ClosureListApi.as_view(), name="api-club-closures"),
    path("api/v1/club/closures/<int:pk>/", ClosureDetailApi.as_view(), name="api-club-closure"),
]
