"""Billing API: arrears and dunning (欠费催缴). (Routes are collected by backend/billing/urls.py.)

    GET  api/v1/arrears/                    units in arrears: paged, with totals and aging over every match
    GET  api/v1/arrears/<unit_pk>/letter/   the unit's demand letter (催缴函) as PDF; issuing it is logged
    GET  api/v1/dunning-contacts/?unit=     the contact log
    POST api/v1/dunning-contacts/           log a contact

Finance, customer service and company admins; every unit is looked up within the caller's data scope.
Money is integer fen with a `*_display` yuan twin (see backend/billing/api_fields.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.permissions import api_user, request_membership
from backend.errors import ApplicationError
from backend.properties.masking import mask_phone, may_see_full
from backend.properties.models import Unit
from backend.properties.scope import Scope

from .api_fields import FenField, PeriodField, YuanField
from .arrears import BUCKETS, ORDERINGS, ArrearsFilters, ArrearsRow, arrears_list
from .dunning import dunning_contact_record
from .letters import demand_letter_issue
from .models import DunningContact


def _scope(request: Request) -> Scope:
    return Scope.of(request_membership(request))


def _unit_in_scope(request: Request, unit_id: int) -> Unit:
    unit = _scope(request).filter_units(Unit.objects.all()).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def _int_param(request: Request, name: str, errors: dict[str, list[str]], *, minimum: int = 1) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = [_("Must be a whole number.")]
        return None
    if value < minimum:
        errors[name] = [_("Must be at least %(n)s.") % {"n": minimum}]
        return None
    return value


def arrears_filters_from(request: Request) -> tuple[ArrearsFilters, str]:
    errors: dict[str, list[str]] = {}
    bucket = request.query_params.get("bucket", "")
    if bucket and bucket not in BUCKETS:
        errors["bucket"] = [_("One of %(values)s.") % {"values": ", ".join(BUCKETS)}]
    ordering = request.query_params.get("ordering", "-amount")
    if ordering not in ORDERINGS:
        errors["ordering"] = [_("One of %(values)s.") % {"values": ", ".join(ORDERINGS)}]
    filters = ArrearsFilters(
        office_id=_int_param(request, "office", errors),
        estate_id=_int_param(request, "estate", errors),
        building_id=_int_param(request, "building", errors),
        fee_item_id=_int_param(request, "fee_item", errors),
        min_amount=_int_param(request, "min_amount", errors, minimum=0),
        bucket=bucket if bucket in BUCKETS else "",
        follow_up_due=request.query_params.get("follow_up_due") in ("1", "true"),
    )
    if errors:
        raise serializers.ValidationError(errors)
    return filters, ordering


def aging_field() -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Fen per aging bucket (0-30, 31-90, 91-180, 180+ days), by each unpaid line's days past due.",
    )


# No list has a billion rows: a larger page number is simply not there.
MAX_PAGE = 10_000_000


class ArrearsRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit_id")
    unit_label = serializers.CharField()
    estate = serializers.CharField(source="estate_name")
    building = serializers.CharField(source="building_name")
    occupant = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField(help_text="Masked unless the caller's role may see it in full.")
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    lines = serializers.IntegerField()
    oldest_period = PeriodField()
    oldest_due = serializers.DateField()
    days_overdue = serializers.IntegerField()
    bucket = serializers.CharField()
    aging = aging_field()
    last_contacted_at = serializers.DateTimeField(allow_null=True)
    last_category = serializers.CharField()
    next_follow_up = serializers.DateField(allow_null=True)
    follow_up_due = serializers.BooleanField()

    def get_occupant(self, row: ArrearsRow) -> str:
        return row.occupant_name

    def get_phone(self, row: ArrearsRow) -> str:
        return row.occupant_phone if self.context.get("full_view") else mask_phone(row.occupant_phone)


class ArrearsTotalsSerializer(serializers.Serializer):
    units = serializers.IntegerField()
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    aging = aging_field()
    aging_units = serializers.DictField(child=serializers.IntegerField())


class ArrearsPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    totals = ArrearsTotalsSerializer()
    results = ArrearsRowSerializer(many=True)


ARREARS_PARAMETERS = [
    OpenApiParameter("office", int),
    OpenApiParameter("estate", int),
    OpenApiParameter("building", int),
    OpenApiParameter("fee_item", int),
    OpenApiParameter("min_amount", int, description="fen"),
    OpenApiParameter("bucket", str, enum=list(BUCKETS), description="by the unit's oldest unpaid line"),
    OpenApiParameter("follow_up_due", bool),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS)),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int),
]


class ArrearsListApi(APIView):
    """欠费: units with overdue unpaid bills (only what is really owed), in the caller's data scope."""

    required_permission = perms.DUNNING

    @extend_schema(parameters=ARREARS_PARAMETERS, responses={200: ArrearsPageSerializer})
    def get(self, request: Request) -> Response:
        filters, ordering = arrears_filters_from(request)
        query = arrears_list(scope=_scope(request), filters=filters, ordering=ordering)
        paginator = PageNumberPagination()
        size = paginator.get_page_size(request) or 20
        try:
            number = int(request.query_params.get(paginator.page_query_param) or 1)
        except ValueError:
            raise NotFound(_("Invalid page.")) from None
        if not 1 <= number <= MAX_PAGE:  # an offset past PostgreSQL's bigint would be a server error
            raise NotFound(_("Invalid page."))
        # One statement for the page and the totals of the whole list (arrears.ArrearsQuery.page).
        rows, totals, served = query.page(number, size)
        if served != number:
            raise NotFound(_("Invalid page."))
        paginator.request = request
        paginator.page = Page(rows, served, Paginator(range(totals.units), size))
        context = {"full_view": may_see_full(request_membership(request))}
        response = paginator.get_paginated_response(ArrearsRowSerializer(rows, many=True, context=context).data)
        response.data["totals"] = ArrearsTotalsSerializer(totals).data
        return response


class DunningContactSerializer(serializers.ModelSerializer):
    unit_label = serializers.CharField(source="unit.label", read_only=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    amount_owed = FenField(read_only=True)
    amount_owed_display = YuanField(source="amount_owed")

    class Meta:
        model = DunningContact
        fields = [
            "id",
            "unit",
            "unit_label",
            "staff",
            "staff_name",
            "channel",
            "contact_name",
            "summary",
            "category",
            "promised_date",
            "amount_owed",
            "amount_owed_display",
            "contacted_at",
            "promise_reminded_at",
        ]
        read_only_fields = fields


class DunningContactIn(serializers.Serializer):
    unit = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=DunningContact.Channel.choices)
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=500)
    category = serializers.ChoiceField(choices=DunningContact.Category.choices)
    promised_date = serializers.DateField(required=False, allow_null=True, default=None)


class DunningContactListApi(APIView):
    """催缴记录: GET the log (?unit= for one unit), POST a new contact."""

    required_permission = perms.DUNNING
    pagination_class = PageNumberPagination  # documents the paged list (and its page parameters)

    @extend_schema(parameters=[OpenApiParameter("unit", int)], responses={200: DunningContactSerializer(many=True)})
    def get(self, request: Request) -> Response:
        errors: dict[str, list[str]] = {}
        unit_id = _int_param(request, "unit", errors)
        if errors:
            raise serializers.ValidationError(errors)
        units = _scope(request).filter_units(Unit.objects.all())
        qs = DunningContact.objects.filter(unit__in=units.values("pk")).select_related("unit", "staff")
        if unit_id:
            qs = qs.filter(unit_id=unit_id)
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs.order_by("-contacted_at", "-id"), request, view=self)
        return paginator.get_paginated_response(DunningContactSerializer(page, many=True).data)

    @extend_schema(request=DunningContactIn, responses={201: DunningContactSerializer})
    def post(self, request: Request) -> Response:
        data = DunningContactIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        unit = _unit_in_scope(request, v["unit"])
        contact = dunning_contact_record(
            unit=unit,
            staff=api_user(request),
            channel=v["channel"],
            contact_name=v["contact_name"],
            summary=v["summary"],
            category=v["category"],
            promised_date=v["promised_date"],
        )
        return Response(DunningContactSerializer(contact).data, status=status.HTTP_201_CREATED)


def letter_response(data: bytes, unit: Unit, *, download: bool) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="demand-letter-{unit.pk}.pdf"'
    return response


def parse_deadline(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ApplicationError.for_fields({"deadline": [_("Write the date as 2026-07-31.")]}) from None


class DemandLetterApi(APIView):
    """催缴函 as PDF for one unit in arrears. Every issue is logged as a contact (channel letter) and audited."""

    required_permission = perms.DUNNING

    @extend_schema(
        parameters=[OpenApiParameter("deadline", OpenApiTypes.DATE, description="default: 15 days from today")],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), 400: None, 404: None},
    )
    def get(self, request: Request, unit_pk: int) -> HttpResponse:
        unit = _unit_in_scope(request, unit_pk)
        data, _contact = demand_letter_issue(
            unit=unit, by=api_user(request), deadline=parse_deadline(request.query_params.get("deadline"))
        )
        return letter_response(data, unit, download=True)


urlpatterns: list[URLPattern] = [
    path("api/v1/arrears/", ArrearsListApi.as_view(), name="api-arrears"),
    path("api/v1/arrears/<int:unit_pk>/letter/", DemandLetterApi.as_view(), name="api-arrears-letter"),
    path("api/v1/dunning-contacts/", DunningContactListApi.as_view(), name="api-dunning-contacts"),
]
