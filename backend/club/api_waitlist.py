"""The waitlist under /api/v1/club/waitlist/: a resident joins a full slot's line for one of their homes, sees
their entries (with their place in line and any open offer), accepts or declines an offer, or leaves; club
staff list the lines of the facilities in their scope. Refusals are the booking's (409 "full"-like codes:
not_full, already_waiting, booked, offer_expired, invalid_state)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.params import query_choice, query_int, validated
from backend.api.permissions import api_user
from backend.properties.selectors import resident_units

from . import waitlist as service
from .api_base import CONFLICT, ERRORS, ClubApi
from .api_bookings import BookingSerializer
from .models import WaitlistEntry
from .selectors import facility_get
from .selectors_flow import waitlist_get, waitlist_list, waitlist_positions


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """A place in a slot's line. `position` (1 = next) while waiting; `booking` is the offer (status
    offered, held until `offered_until`) once one is made."""

    facility_name = serializers.CharField(source="facility.name", read_only=True)
    unit_label = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "facility",
            "facility_name",
            "unit",
            "unit_label",
            "starts_at",
            "ends_at",
            "party_size",
            "status",
            "position",
            "booking",
            "offered_until",
            "created_at",
        ]
        read_only_fields = fields

    def get_unit_label(self, obj: WaitlistEntry) -> str:
        return obj.unit.label if obj.unit else ""

    def get_position(self, obj: WaitlistEntry) -> int | None:
        positions: dict[int, int] = self.context.get("positions", {})
        return positions.get(obj.pk)


class WaitlistJoinSerializer(serializers.Serializer):
    facility = serializers.IntegerField(min_value=1)
    unit = serializers.IntegerField(min_value=1, help_text=gettext_lazy("The home: one the resident lives in."))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    party_size = serializers.IntegerField(min_value=1, max_value=1000, default=1)


def entry_body(entry: WaitlistEntry) -> dict[str, Any]:
    return dict(WaitlistEntrySerializer(entry, context={"positions": waitlist_positions([entry])}).data)


class WaitlistApi(ClubApi):
    """GET: residents their own entries, staff the lines of their facilities. POST: a resident joins."""

    required_permission = {"GET": perms.CLUB_BOOKINGS, "POST": perms.CLUB_BOOK}

    @extend_schema(
        parameters=[
            OpenApiParameter("facility", int),
            OpenApiParameter("status", str, enum=WaitlistEntry.Status.values),
        ],
        responses={200: WaitlistEntrySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        qs = waitlist_list(
            scope=self.scope(request),
            facility_id=query_int(request, "facility"),
            status=query_choice(request, "status", WaitlistEntry.Status.values),
        )
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        context = {"positions": waitlist_positions(list(page))}
        return paginator.get_paginated_response(WaitlistEntrySerializer(page, many=True, context=context).data)

    @extend_schema(request=WaitlistJoinSerializer, responses={201: WaitlistEntrySerializer, 409: CONFLICT, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(WaitlistJoinSerializer, request)
        user = api_user(request)
        facility = facility_get(scope=self.scope(request), facility_id=data["facility"])
        unit = resident_units(user_id=user.pk).filter(pk=data["unit"]).first()
        if facility is None or unit is None:
            raise Http404
        entry = service.waitlist_join(
            facility=facility,
            user=user,
            unit=unit,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            party_size=data["party_size"],
        )
        return Response(entry_body(entry), status=status.HTTP_201_CREATED)


class EntryLookup(ClubApi):
    def entry(self, request: Request, pk: int) -> WaitlistEntry:
        entry = waitlist_get(scope=self.scope(request), entry_id=pk)
        if entry is None:
            raise Http404
        return entry


class WaitlistEntryApi(EntryLookup):
    required_permission = perms.CLUB_BOOKINGS

    @extend_schema(responses={200: WaitlistEntrySerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(entry_body(self.entry(request, pk)))


class WaitlistLeaveApi(EntryLookup):
    """Leave the line (an open offer is declined, and goes to the next in line)."""

    required_permission = perms.CLUB_BOOK

    @extend_schema(request=None, responses={200: WaitlistEntrySerializer, 409: CONFLICT, 404: ERRORS[404]})
    def post(self, request: Request, pk: int) -> Response:
        entry = service.waitlist_leave(entry=self.entry(request, pk), by=api_user(request))
        return Response(entry_body(entry))


class WaitlistAcceptApi(EntryLookup):
    """Take the offered place: the booking is confirmed, or held for payment when it costs money."""

    required_permission = perms.CLUB_BOOK

    @extend_schema(request=None, responses={200: BookingSerializer, 409: CONFLICT, 404: ERRORS[404]})
    def post(self, request: Request, pk: int) -> Response:
        booking = service.waitlist_accept(entry=self.entry(request, pk), by=api_user(request))
        return Response(BookingSerializer(self.booking(request, booking.pk)).data)


class WaitlistDeclineApi(EntryLookup):
    required_permission = perms.CLUB_BOOK

    @extend_schema(request=None, responses={200: WaitlistEntrySerializer, 409: CONFLICT, 404: ERRORS[404]})
    def post(self, request: Request, pk: int) -> Response:
        entry = service.waitlist_decline(entry=self.entry(request, pk), by=api_user(request))
        return Response(entry_body(entry))


urlpatterns: list[URLPattern] = [
    path("api/v1/club/waitlist/", WaitlistApi.as_view(), name="api-club-waitlist"),
    path("api/v1/club/waitlist/<int:pk>/", WaitlistEntryApi.as_view(), name="api-club-waitlist-entry"),
    path("api/v1/club/waitlist/<int:pk>/leave/", WaitlistLeaveApi.as_view(), name="api-club-waitlist-leave"),
    path("api/v1/club/waitlist/<int:pk>/accept/", WaitlistAcceptApi.as_view(), name="api-club-waitlist-accept"),
    path("api/v1/club/waitlist/<int:pk>/decline/", WaitlistDeclineApi.as_view(), name="api-club-waitlist-decline"),
]
