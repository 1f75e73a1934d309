"""Weekly series under /api/v1/club/series/: club staff set one up for a home in their scope or a guest,
residents for their home where the facility allows it; the answer lists the weeks booked and those skipped
(full or closed) with the reason. Ending a series cancels its occurrences still to come; one occurrence is
cancelled like any booking (/api/v1/club/bookings/<id>/cancel/) and leaves the rest."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_choice, query_int, validated
from backend.api.permissions import api_user
from backend.properties.selectors import resident_units

from . import series as service
from .api_base import CONFLICT, ERRORS, ClubApi
from .api_bookings import BookingSerializer
from .models import BookingSeries
from .selectors import facility_get
from .selectors_flow import series_get, series_list


class SeriesSerializer(serializers.ModelSerializer):
    """A weekly series: every `weekday` (Monday = 0) from `start_minute` (after local midnight) for `minutes`,
    from `first_date` to `last_date` (open when empty); `booked_through` is the last week booked or skipped."""

    facility_name = serializers.CharField(source="facility.name", read_only=True)
    unit_label = serializers.SerializerMethodField()

    class Meta:
        model = BookingSeries
        fields = [
            "id",
            "facility",
            "facility_name",
            "unit",
            "unit_label",
            "user",
            "guest_name",
            "guest_phone",
            "weekday",
            "start_minute",
            "minutes",
            "party_size",
            "first_date",
            "last_date",
            "booked_through",
            "status",
            "created_at",
        ]
        read_only_fields = fields

    def get_unit_label(self, obj: BookingSeries) -> str:
        return obj.unit.label if obj.unit_id and obj.unit else ""


class SeriesCreateSerializer(serializers.Serializer):
    facility = serializers.IntegerField(min_value=1)
    starts_at = serializers.DateTimeField(help_text=gettext_lazy("The first occurrence's start."))
    ends_at = serializers.DateTimeField(help_text=gettext_lazy("The first occurrence's end."))
    party_size = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    last_date = serializers.DateField(required=False, allow_null=True, default=None)
    unit = serializers.IntegerField(min_value=1, required=False)
    guest_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    guest_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class SeriesSkippedSerializer(serializers.Serializer):
    """A week not booked: full, closed, or refused for another reason (said in `reason`)."""

    date = serializers.DateField()
    reason = serializers.CharField()


class SeriesCreatedSerializer(serializers.Serializer):
    series = SeriesSerializer()
    booked = BookingSerializer(many=True)
    skipped = SeriesSkippedSerializer(many=True)


class SeriesEndedSerializer(serializers.Serializer):
    series = SeriesSerializer()
    cancelled = serializers.IntegerField(help_text=gettext_lazy("How many occurrences were cancelled."))


class SeriesListApi(ClubApi):
    required_permission = {"GET": perms.CLUB_BOOKINGS, "POST": perms.CLUB_BOOKING_WRITE}

    @extend_schema(
        parameters=[
            OpenApiParameter("facility", int),
            OpenApiParameter("status", str, enum=BookingSeries.Status.values),
        ],
        responses={200: SeriesSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        qs = series_list(
            scope=self.scope(request),
            facility_id=query_int(request, "facility"),
            status=query_choice(request, "status", BookingSeries.Status.values),
        )
        return self.page(request, qs, SeriesSerializer)

    @extend_schema(request=SeriesCreateSerializer, responses={201: SeriesCreatedSerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(SeriesCreateSerializer, request)
        facility = facility_get(scope=self.scope(request), facility_id=data["facility"])
        if facility is None:
            raise Http404
        user = api_user(request)
        staff = self.manages(request)
        unit = None
        if data.get("unit"):
            unit = (
                self.staff_unit(request, data["unit"])
                if staff
                else resident_units(user_id=user.pk).filter(pk=data["unit"]).first()
            )
            if unit is None:
                raise Http404
        elif not staff:
            raise serializers.ValidationError({"unit": [_("Choose the home you book for.")]})
        result = service.series_create(
            facility=facility,
            by=user,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            as_staff=staff,
            party_size=data["party_size"],
            last_date=data["last_date"],
            unit=unit,
            guest_name=data["guest_name"],
            guest_phone=data["guest_phone"],
        )
        body: dict[str, Any] = {
            "series": SeriesSerializer(series_get(scope=self.scope(request), series_id=result.series.pk)).data,
            "booked": BookingSerializer(result.booked, many=True).data,
            "skipped": [{"date": day.isoformat(), "reason": why} for day, why in result.skipped],
        }
        return Response(body, status=status.HTTP_201_CREATED)


class SeriesLookup(ClubApi):
    def series(self, request: Request, pk: int) -> BookingSeries:
        found = series_get(scope=self.scope(request), series_id=pk)
        if found is None:
            raise Http404
        return found


class SeriesDetailApi(SeriesLookup):
    required_permission = perms.CLUB_BOOKINGS

    @extend_schema(responses={200: SeriesSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(SeriesSerializer(self.series(request, pk)).data)


class SeriesEndApi(SeriesLookup):
    """End the series: its occurrences not yet started are cancelled, and no more weeks are booked."""

    required_permission = perms.CLUB_BOOKING_WRITE

    @extend_schema(
        request=None,
        responses={
            200: SeriesEndedSerializer,
            409: CONFLICT,
            404: ERRORS[404],
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        found = self.series(request, pk)
        cancelled = service.series_end(series=found, by=api_user(request), as_staff=self.manages(request))
        return Response({"series": SeriesSerializer(self.series(request, pk)).data, "cancelled": cancelled})


urlpatterns: list[URLPattern] = [
    path("api/v1/club/series/", SeriesListApi.as_view(), name="api-club-series"),
    path("api/v1/club/series/<int:pk>/", SeriesDetailApi.as_view(), name="api-club-series-detail"),
    path("api/v1/club/series/<int:pk>/end/", SeriesEndApi.as_view(), name="api-club-series-end"),
]
