"""Billing API: meters and readings (抄表). (Routes are collected by backend/billing/urls.py.)

Read: any staff member, within their offices / estates. Record readings (and import them): engineer,
finance, customer service, company admin. Meter setup and confirming / rejecting flagged readings: finance
and company admin."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.errors import error_body
from backend.api.pagination import PageNumberPagination
from backend.api.params import query_int
from backend.api.permissions import api_user, request_membership
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import READINGS_IMPORT

from . import meter_imports, meter_readings, meters, reading_review
from .models import Meter, MeterKind, MeterReading
from .periods import parse_period


class ScopedApi(APIView):
    # APIView does not page by itself; naming the paginator lets the OpenAPI schema describe paged lists.
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def page(self, request: Request, qs: Any, serializer: type[serializers.BaseSerializer]) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True).data)


def _bool(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    raise serializers.ValidationError({name: ["Use true or false."]})


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-07"})
class PeriodField(serializers.Field):
    """A month: '2026-07' (or '2026-07-01') in, '2026-07' out."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return parse_period(str(data))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, value: Any) -> str:
        return f"{value:%Y-%m}"


# --- meters -----------------------------------------------------------------------------------------------


class MeterOut(serializers.ModelSerializer):
    shared = serializers.BooleanField(source="is_shared")
    unit_label = serializers.SerializerMethodField()
    shared_units = serializers.SerializerMethodField()
    multiplier = serializers.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        model = Meter
        fields = [
            "id",
            "estate",
            "kind",
            "number",
            "unit",
            "unit_label",
            "shared",
            "fee_item",
            "shared_units",
            "multiplier",
            "is_active",
        ]

    def get_unit_label(self, meter: Meter) -> str:
        return meter.unit.label if meter.unit else ""

    def get_shared_units(self, meter: Meter) -> list[int]:
        if not meter.is_shared:
            return []
        return sorted(u.pk for u in meter.shared_units.all())


class MeterIn(serializers.Serializer):
    """A unit meter: give `unit`. A shared meter (公摊): give `estate`, `fee_item` and `building_ids` and / or
    `unit_ids`."""

    kind = serializers.ChoiceField(choices=MeterKind.choices)
    number = serializers.CharField(max_length=40, allow_blank=True)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    estate = serializers.IntegerField(required=False, allow_null=True, default=None)
    fee_item = serializers.IntegerField(required=False, allow_null=True, default=None)
    building_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    unit_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=50000)
    multiplier = serializers.CharField(max_length=20, required=False, default="1")


class MeterPatch(serializers.Serializer):
    number = serializers.CharField(max_length=40, allow_blank=True, required=False)
    kind = serializers.ChoiceField(choices=MeterKind.choices, required=False)
    multiplier = serializers.CharField(max_length=20, required=False)
    is_active = serializers.BooleanField(required=False)
    fee_item = serializers.IntegerField(required=False)
    building_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    unit_ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=50000)


class MeterListApi(ScopedApi):
    required_permission = {"GET": perms.METER_READ, "POST": perms.METER_MANAGE}

    @extend_schema(
        parameters=[
            OpenApiParameter("estate", int),
            OpenApiParameter("building", int),
            OpenApiParameter("unit", int),
            OpenApiParameter("kind", str, enum=MeterKind.values),
            OpenApiParameter("shared", bool),
            OpenApiParameter("active", bool),
            OpenApiParameter("q", str, description="meter number contains"),
        ],
        responses={200: MeterOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        if kind and kind not in MeterKind.values:
            raise serializers.ValidationError({"kind": [f"One of {', '.join(MeterKind.values)}."]})
        qs = meters.meter_list(
            scope=self.scope(request),
            estate_id=query_int(request, "estate"),
            building_id=query_int(request, "building"),
            unit_id=query_int(request, "unit"),
            kind=kind,
            shared=_bool(request, "shared"),
            active=_bool(request, "active"),
            q=request.query_params.get("q", ""),
        ).prefetch_related("shared_units")
        return self.page(request, qs, MeterOut)

    @extend_schema(request=MeterIn, responses={201: MeterOut})
    def post(self, request: Request) -> Response:
        data = MeterIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scope = self.scope(request)
        if v["fee_item"] is not None or v["building_ids"] or v["unit_ids"]:
            meter = meters.shared_meter_create(
                scope=scope,
                estate_id=v["estate"],
                kind=v["kind"],
                number=v["number"],
                fee_item_id=v["fee_item"],
                building_ids=v["building_ids"],
                unit_ids=v["unit_ids"],
                multiplier=v["multiplier"],
            )
        else:
            meter = meters.meter_create(
                scope=scope,
                estate_id=v["estate"],
                unit_id=v["unit"],
                kind=v["kind"],
                number=v["number"],
                multiplier=v["multiplier"],
            )
        return Response(MeterOut(meter).data, status=status.HTTP_201_CREATED)


class MeterDetailApi(ScopedApi):
    required_permission = {"GET": perms.METER_READ, "PATCH": perms.METER_MANAGE}

    def _get(self, request: Request, pk: int) -> Meter:
        meter = meters.meter_get(scope=self.scope(request), meter_id=pk)
        if meter is None:
            raise Http404
        return meter

    @extend_schema(responses={200: MeterOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(MeterOut(self._get(request, pk)).data)

    @extend_schema(request=MeterPatch, responses={200: MeterOut})
    def patch(self, request: Request, pk: int) -> Response:
        meter = self._get(request, pk)
        data = MeterPatch(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        meter = meters.meter_update(
            meter=meter,
            scope=self.scope(request),
            number=v.get("number"),
            kind=v.get("kind"),
            multiplier=v.get("multiplier"),
            is_active=v.get("is_active"),
            fee_item_id=v.get("fee_item"),
            building_ids=v.get("building_ids"),
            unit_ids=v.get("unit_ids"),
        )
        return Response(MeterOut(meter).data)


# --- readings ---------------------------------------------------------------------------------------------


class ReadingOut(serializers.ModelSerializer):
    period = PeriodField()
    meter_number = serializers.CharField(source="meter.number")
    unit = serializers.IntegerField(source="meter.unit_id", allow_null=True)
    reading = serializers.DecimalField(max_digits=14, decimal_places=2)
    previous = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    usage = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        model = MeterReading
        fields = [
            "id",
            "meter",
            "meter_number",
            "unit",
            "period",
            "reading",
            "previous",
            "usage",
            "status",
            "flag_reason",
            "read_on",
            "entered_by",
            "reviewed_by",
            "reviewed_at",
        ]


class ReadingIn(serializers.Serializer):
    meter = serializers.IntegerField()
    period = PeriodField()
    reading = serializers.CharField(max_length=30, allow_blank=True)
    read_on = serializers.DateField(required=False, allow_null=True, default=None)
    initial = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="the meter's starting reading; only for its first reading (else usage is 0)",
    )


class RejectIn(serializers.Serializer):
    reason = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")


class ReadingListApi(ScopedApi):
    required_permission = {"GET": perms.METER_READ, "POST": perms.READING_RECORD}

    @extend_schema(
        parameters=[
            OpenApiParameter("meter", int),
            OpenApiParameter("period", str, description="YYYY-MM"),
            OpenApiParameter("status", str, enum=MeterReading.Status.values),
            OpenApiParameter("estate", int),
            OpenApiParameter("building", int),
        ],
        responses={200: ReadingOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        period = None
        if request.query_params.get("period"):
            try:
                period = parse_period(request.query_params["period"])
            except ValueError as exc:
                raise serializers.ValidationError({"period": [str(exc)]}) from exc
        reading_status = request.query_params.get("status", "")
        if reading_status and reading_status not in MeterReading.Status.values:
            raise serializers.ValidationError({"status": [f"One of {', '.join(MeterReading.Status.values)}."]})
        qs = meter_readings.reading_list(
            scope=self.scope(request),
            meter_id=query_int(request, "meter"),
            period=period,
            status=reading_status,
            estate_id=query_int(request, "estate"),
            building_id=query_int(request, "building"),
        )
        return self.page(request, qs, ReadingOut)

    @extend_schema(request=ReadingIn, responses={201: ReadingOut})
    def post(self, request: Request) -> Response:
        data = ReadingIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        meter = meters.meter_get(scope=self.scope(request), meter_id=v["meter"])
        if meter is None:
            raise ApplicationError.for_fields({"meter": [_("Choose a meter you manage.")]})
        reading = meter_readings.reading_record(
            meter=meter,
            period=v["period"],
            reading=v["reading"],
            read_on=v["read_on"],
            initial=v["initial"] or None,
            by=api_user(request),
        )
        return Response(ReadingOut(reading).data, status=status.HTTP_201_CREATED)


class ReadingConfirmApi(ScopedApi):
    required_permission = perms.METER_MANAGE

    @extend_schema(request=None, responses={200: ReadingOut})
    def post(self, request: Request, pk: int) -> Response:
        reading = meter_readings.reading_get(scope=self.scope(request), reading_id=pk)
        if reading is None:
            raise Http404
        return Response(ReadingOut(reading_review.reading_confirm(reading=reading, by=api_user(request))).data)


class ReadingRejectApi(ScopedApi):
    required_permission = perms.METER_MANAGE

    @extend_schema(request=RejectIn, responses={200: ReadingOut})
    def post(self, request: Request, pk: int) -> Response:
        data = RejectIn(data=request.data)
        data.is_valid(raise_exception=True)
        reading = meter_readings.reading_get(scope=self.scope(request), reading_id=pk)
        if reading is None:
            raise Http404
        reading = reading_review.reading_reject(
            reading=reading, by=api_user(request), reason=data.validated_data["reason"]
        )
        return Response(ReadingOut(reading).data)


class ImportIn(serializers.Serializer):
    file = UploadSerializerField(kind=READINGS_IMPORT)


ImportOut = inline_serializer(
    name="ReadingImportResult",
    fields={
        "rows": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "replaced": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "flagged": serializers.IntegerField(help_text="readings flagged for review (not billed until confirmed)"),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)


class ReadingImportApi(ScopedApi):
    """An .xlsx of readings (columns 小区, 表号, 月份, 读数, 抄表日期). All rows or none: a file with any bad row
    imports nothing and answers 400 with every problem in `rows` (row, column, message)."""

    required_permission = perms.READING_RECORD
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": ImportIn}, responses={200: ImportOut})
    def post(self, request: Request) -> Response:
        data = ImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = meter_imports.readings_import(data=upload.data, scope=self.scope(request), by=api_user(request))
        body = result.as_dict()
        if not result.ok:
            message = _("Nothing was imported: the file has %(n)s problem(s).") % {"n": len(result.errors)}
            fields = {"file": [_("Row %(row)s, %(column)s: %(message)s") % e.as_dict() for e in result.errors[:20]]}
            return Response(
                {**error_body("import_failed", message, fields), "rows": body["errors"]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(body)


urlpatterns = [
    path("api/v1/meters/", MeterListApi.as_view(), name="api-meters"),
    path("api/v1/meters/<int:pk>/", MeterDetailApi.as_view(), name="api-meter"),
    path("api/v1/readings/", ReadingListApi.as_view(), name="api-readings"),
    path("api/v1/readings/import/", ReadingImportApi.as_view(), name="api-readings-import"),
    path("api/v1/readings/<int:pk>/confirm/", ReadingConfirmApi.as_view(), name="api-reading-confirm"),
    path("api/v1/readings/<int:pk>/reject/", ReadingRejectApi.as_view(), name="api-reading-reject"),
]
