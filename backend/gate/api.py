"""The gate under /api/v1/gate/: visitor passes (residents issue and cancel them for their homes; staff list
them within their scope), the gate's scan (security: a code in or out), the entries log, and parcels (staff
log them and hand them over by pickup code with a signature; residents see their homes'). A pass or parcel
outside the caller's scope is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.params import query_choice, validated
from backend.api.permissions import api_user, request_membership
from backend.properties.scope import Scope

from . import services
from .models import Carrier, Direction, GateEntry, Parcel, ParcelStatus, VisitorPass
from .selectors import entries_visible, parcel_get, parcels_visible, pass_get, passes_visible
from .signature import signature_from_data_url

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found within the caller's scope"),
}
REFUSED = OpenApiResponse(description="Refused now (cancelled, expired, used, picked up…): {error: {code, message}}")


class PassSerializer(serializers.ModelSerializer):
    """A visitor pass. `code` is what its QR code carries; `share_path` the visitor's page (no sign-in)."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    share_path = serializers.SerializerMethodField()

    class Meta:
        model = VisitorPass
        fields = [
            "id",
            "code",
            "unit",
            "unit_label",
            "estate",
            "visitor_name",
            "visitor_phone",
            "plate",
            "valid_from",
            "valid_until",
            "multiple",
            "free_parking_minutes",
            "status",
            "entries",
            "created_at",
            "share_path",
        ]
        read_only_fields = fields

    def get_share_path(self, obj: VisitorPass) -> str:
        return f"/v/{obj.token}/"


class PassCreateSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    visitor_name = serializers.CharField(max_length=40)
    visitor_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    plate = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
    multiple = serializers.BooleanField(required=False, default=False)


class EntrySerializer(serializers.ModelSerializer):
    visitor_name = serializers.CharField(source="visitor_pass.visitor_name", read_only=True)
    pass_code = serializers.CharField(source="visitor_pass.code", read_only=True)
    free_parking_minutes = serializers.IntegerField(source="visitor_pass.free_parking_minutes", read_only=True)

    class Meta:
        model = GateEntry
        fields = [
            "id",
            "visitor_pass",
            "pass_code",
            "visitor_name",
            "direction",
            "at",
            "plate",
            "parked_minutes",
            "free_parking_minutes",
            "over_minutes",
        ]
        read_only_fields = fields


class ScanSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.IN)


class ParcelSerializer(serializers.ModelSerializer):
    """A parcel. `pickup_code` is shown to the home's residents and to staff while it waits."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    pickup_code = serializers.SerializerMethodField()

    class Meta:
        model = Parcel
        fields = [
            "id",
            "unit",
            "unit_label",
            "estate",
            "carrier",
            "tracking_number",
            "shelf",
            "pickup_code",
            "status",
            "logged_at",
            "collected_at",
            "collected_name",
            "reminders",
        ]
        read_only_fields = fields

    def get_pickup_code(self, obj: Parcel) -> str:
        return obj.pickup_code if obj.status == ParcelStatus.WAITING else ""


class ParcelCreateSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    carrier = serializers.ChoiceField(choices=Carrier.choices)
    tracking_number = serializers.CharField(max_length=60)
    shelf = serializers.CharField(max_length=20)


class PickupSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12)
    name = serializers.CharField(max_length=40)
    signature = serializers.CharField(help_text="The signature as a PNG data URL: data:image/png;base64,…")


class GateApi(APIView):
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def page(self, request: Request, qs: Any, serializer: type[serializers.Serializer]) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True).data)


class PassListApi(GateApi):
    """GET: the passes the caller may see, newest first (residents: their homes'; staff: their estates').
    POST: a resident issues a pass for one of their homes."""

    required_permission = {"GET": perms.GATE_READ, "POST": perms.GATE_RESIDENT}

    @extend_schema(responses={200: PassSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        qs = passes_visible(scope=self.scope(request)).select_related("unit").order_by("-created_at", "-pk")
        return self.page(request, qs, PassSerializer)

    @extend_schema(request=PassCreateSerializer, responses={201: PassSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(PassCreateSerializer, request)
        visitor_pass = services.pass_issue(
            user=api_user(request),
            unit_id=data["unit"],
            visitor_name=data["visitor_name"],
            visitor_phone=data["visitor_phone"],
            plate=data["plate"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            multiple=data["multiple"],
        )
        return Response(PassSerializer(visitor_pass).data, status=status.HTTP_201_CREATED)


class OnePassApi(GateApi):
    def one(self, request: Request, pk: int) -> VisitorPass:
        found = pass_get(scope=self.scope(request), pass_id=pk)
        if found is None:
            raise Http404
        return found


class PassApi(OnePassApi):
    required_permission = perms.GATE_READ

    @extend_schema(responses={200: PassSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(PassSerializer(self.one(request, pk)).data)


class PassCancelApi(OnePassApi):
    """A resident of the pass's home withdraws it."""

    required_permission = perms.GATE_RESIDENT

    @extend_schema(request=None, responses={200: PassSerializer, 409: REFUSED, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        cancelled = services.pass_cancel(visitor_pass=self.one(request, pk), user=api_user(request))
        return Response(PassSerializer(cancelled).data)


class ScanApi(GateApi):
    """Security at the gate: a pass's code (as scanned or typed), in (default) or out. 403 for another
    estate's pass, 409 with the reason for a pass that may not pass now (not yet, expired, used, cancelled)."""

    required_permission = perms.GATE_CHECK

    @extend_schema(request=ScanSerializer, responses={201: EntrySerializer, 403: REFUSED, 409: REFUSED, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(ScanSerializer, request)
        entry = services.pass_scan(
            code=data["code"], direction=data["direction"], by=api_user(request), scope=self.scope(request)
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class EntryListApi(GateApi):
    """The gate's log, newest first: staff their estates', residents their passes'."""

    required_permission = perms.GATE_READ

    @extend_schema(responses={200: EntrySerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        qs = entries_visible(scope=self.scope(request)).select_related("visitor_pass").order_by("-at", "-pk")
        return self.page(request, qs, EntrySerializer)


class ParcelListApi(GateApi):
    """GET: parcels the caller may see, newest first (?status=waiting for the shelf). POST: staff log a parcel
    for a home of their estates; its residents are told at once with the pickup code."""

    required_permission = {"GET": perms.GATE_READ, "POST": perms.GATE_PARCELS}

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=list(ParcelStatus.values), required=False)],
        responses={200: ParcelSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        qs = parcels_visible(scope=self.scope(request)).select_related("unit").order_by("-logged_at", "-pk")
        wanted = query_choice(request, "status", list(ParcelStatus.values))
        if wanted:
            qs = qs.filter(status=wanted)
        return self.page(request, qs, ParcelSerializer)

    @extend_schema(request=ParcelCreateSerializer, responses={201: ParcelSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(ParcelCreateSerializer, request)
        parcel = services.parcel_log(
            by=api_user(request),
            scope=self.scope(request),
            unit_id=data["unit"],
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            shelf=data["shelf"],
        )
        return Response(ParcelSerializer(parcel).data, status=status.HTTP_201_CREATED)


class ParcelApi(GateApi):
    required_permission = perms.GATE_READ

    @extend_schema(responses={200: ParcelSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        parcel = parcel_get(scope=self.scope(request), parcel_id=pk)
        if parcel is None:
            raise Http404
        return Response(ParcelSerializer(parcel).data)


class PickupApi(GateApi):
    """Hand a parcel over: its pickup code, who takes it and their signature (a PNG data URL). 404 for a code
    no parcel of the caller's estates is waiting with; 409 when it was picked up meanwhile."""

    required_permission = perms.GATE_PARCELS

    @extend_schema(request=PickupSerializer, responses={200: ParcelSerializer, 409: REFUSED, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(PickupSerializer, request)
        signature = signature_from_data_url(data["signature"])
        parcel = services.parcel_pickup(
            code=data["code"],
            signature=signature,
            name=data["name"],
            by=api_user(request),
            scope=self.scope(request),
        )
        return Response(ParcelSerializer(parcel).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/gate/passes/", PassListApi.as_view(), name="api-gate-passes"),
    path("api/v1/gate/passes/<int:pk>/", PassApi.as_view(), name="api-gate-pass"),
    path("api/v1/gate/passes/<int:pk>/cancel/", PassCancelApi.as_view(), name="api-gate-pass-cancel"),
    path("api/v1/gate/scan/", ScanApi.as_view(), name="api-gate-scan"),
    path("api/v1/gate/entries/", EntryListApi.as_view(), name="api-gate-entries"),
    path("api/v1/gate/parcels/", ParcelListApi.as_view(), name="api-gate-parcels"),
    path("api/v1/gate/parcels/<int:pk>/", ParcelApi.as_view(), name="api-gate-parcel"),
    path("api/v1/gate/parcels/pickup/", PickupApi.as_view(), name="api-gate-pickup"),
]
