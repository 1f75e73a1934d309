"""收费项目 and 收费标准 under /api/v1/fee-items/ and /api/v1/fee-standards/: fee items of the offices the caller
manages, charging them to a selection of units from a month on (and stopping), and the versioned rates.
Routes are collected by backend/billing/urls.py; the shared view base is api_base.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_int, validated
from backend.api.permissions import api_user
from backend.properties.models import UnitType

from . import services
from .api_base import ERRORS, BillingApi
from .api_fields import FenField, YuanField
from .models import ChargeMethod, Cycle, FeeCategory, FeeItem, FeeStandard, LateFeeMode, MeterKind


class FeeItemSerializer(serializers.ModelSerializer):
    """收费项目: what is charged, how it is computed and how often, per management office."""

    late_fee_fixed = FenField(read_only=True, help_text=gettext_lazy("Fixed late fee, integer fen."))
    late_fee_fixed_display = YuanField(source="late_fee_fixed")
    late_fee_cap = FenField(
        read_only=True, allow_null=True, help_text=gettext_lazy("Late fee cap, integer fen; null: no cap.")
    )

    class Meta:
        model = FeeItem
        fields = [
            "id",
            "office",
            "code",
            "name",
            "category",
            "method",
            "cycle",
            "meter_kind",
            "priority",
            "late_fee_mode",
            "late_fee_fixed",
            "late_fee_fixed_display",
            "late_fee_daily_percent",
            "late_fee_grace_days",
            "late_fee_cap",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class FeeItemUpdateSerializer(serializers.Serializer):
    """What may change on an item. How it is computed (method, cycle, meter kind) is fixed once it has billed."""

    name = serializers.CharField(max_length=60, allow_blank=True, required=False)
    category = serializers.ChoiceField(choices=FeeCategory.choices, required=False)
    method = serializers.ChoiceField(choices=ChargeMethod.choices, required=False)
    cycle = serializers.ChoiceField(choices=Cycle.choices, required=False)
    meter_kind = serializers.ChoiceField(
        choices=MeterKind.choices,
        allow_blank=True,
        required=False,
        help_text=gettext_lazy("Meter items only; blank otherwise."),
    )
    priority = serializers.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        help_text=gettext_lazy("Lower settles first when settling by priority."),
    )
    late_fee_mode = serializers.ChoiceField(choices=LateFeeMode.choices, required=False)
    late_fee_fixed = FenField(min_value=0, required=False, help_text=gettext_lazy("Fixed late fee, integer fen."))
    late_fee_daily_percent = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=0,
        required=False,
        help_text=gettext_lazy("Percent per day as a decimal string, e.g. '0.03' for 0.03%/day."),
    )
    late_fee_grace_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    late_fee_cap = FenField(
        min_value=0, allow_null=True, required=False, help_text=gettext_lazy("Late fee cap, integer fen; null: no cap.")
    )
    is_active = serializers.BooleanField(required=False)


class FeeItemCreateSerializer(FeeItemUpdateSerializer):
    office = serializers.IntegerField(help_text=gettext_lazy("The management office the item belongs to."))
    code = serializers.SlugField(max_length=30, help_text=gettext_lazy("Short code, unique within the office."))
    name = serializers.CharField(max_length=60, allow_blank=True)
    category = serializers.ChoiceField(choices=FeeCategory.choices)
    method = serializers.ChoiceField(choices=ChargeMethod.choices)
    cycle = serializers.ChoiceField(choices=Cycle.choices, default=Cycle.MONTHLY)


class _UnitSelectionSerializer(serializers.Serializer):
    """A selection of units (within the item's office and the caller's scope): any of estate, building,
    unit type and unit ids, combined with AND."""

    estate = serializers.IntegerField(required=False, allow_null=True)
    building = serializers.IntegerField(required=False, allow_null=True)
    unit_type = serializers.ChoiceField(choices=UnitType.choices, required=False, allow_blank=True)
    unit_ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=100000)


class FeeAssignSerializer(_UnitSelectionSerializer):
    start_date = serializers.DateField(help_text=gettext_lazy("Billed from this month on; the first of a month."))


class FeeUnassignSerializer(_UnitSelectionSerializer):
    end_date = serializers.DateField(help_text=gettext_lazy("Billed until this day; months before it still bill."))


class FeeAssignResultSerializer(serializers.Serializer):
    selected = serializers.IntegerField(help_text=gettext_lazy("Units in the selection."))
    assigned = serializers.IntegerField(help_text=gettext_lazy("Units that now carry the item."))
    already = serializers.IntegerField(help_text=gettext_lazy("Units that carried it already (left as they were)."))


class FeeUnassignResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text=gettext_lazy("Assignments that now end on end_date."))


class FeeStandardSerializer(serializers.ModelSerializer):
    """收费标准: a fee item's rate from a month on, optionally for one unit type."""

    fee_item_name = serializers.CharField(source="fee_item.name", read_only=True)

    class Meta:
        model = FeeStandard
        fields = [
            "id",
            "fee_item",
            "fee_item_name",
            "unit_type",
            "effective_from",
            "rate",
            "custody_percent",
            "note",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "rate": {"help_text": gettext_lazy("Yuan (decimal string) per unit, per m², or per unit of usage.")}
        }


class FeeStandardCreateSerializer(serializers.Serializer):
    fee_item = serializers.IntegerField()
    effective_from = serializers.DateField(help_text=gettext_lazy("The first of a month."))
    rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        min_value=0,
        help_text=gettext_lazy(
            "Yuan as a decimal string (up to 4 decimals) per unit, per m² of area, or per unit of usage."
        ),
    )
    unit_type = serializers.ChoiceField(
        choices=UnitType.choices, allow_blank=True, default="", help_text=gettext_lazy("Blank: every unit type.")
    )
    custody_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        default=Decimal(100),
        help_text=gettext_lazy("Percent charged to units in custody (托管), e.g. '70'."),
    )
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class FeeItemListApi(BillingApi):
    """收费项目 of the offices the caller manages."""

    required_permission = {"GET": perms.FEE_ITEMS_READ, "POST": perms.BILLING_MANAGE}

    @extend_schema(
        parameters=[
            OpenApiParameter("office", int),
            OpenApiParameter("active", bool, description="1: active items only; 0: inactive only."),
        ],
        responses={200: FeeItemSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = self.fee_items(request)
        if (office := query_int(request, "office")) is not None:
            qs = qs.filter(office_id=office)
        active = request.query_params.get("active")
        if active in ("1", "true"):
            qs = qs.filter(is_active=True)
        elif active in ("0", "false"):
            qs = qs.filter(is_active=False)
        return self.page(request, qs.order_by("office_id", "priority", "code"), FeeItemSerializer)

    @extend_schema(request=FeeItemCreateSerializer, responses={201: FeeItemSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(FeeItemCreateSerializer, request)
        office = self.offices(request).filter(pk=data.pop("office")).first()
        if office is None:
            raise Http404
        item = services.fee_item_create(office=office, scope=self.scope(request), **data)
        return Response(FeeItemSerializer(item).data, status=status.HTTP_201_CREATED)


class FeeItemDetailApi(BillingApi):
    required_permission = {"GET": perms.FEE_ITEMS_READ, "PATCH": perms.BILLING_MANAGE}

    @extend_schema(responses={200: FeeItemSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(FeeItemSerializer(self.fee_item(request, pk)).data)

    @extend_schema(request=FeeItemUpdateSerializer, responses={200: FeeItemSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        item = self.fee_item(request, pk)
        data = validated(FeeItemUpdateSerializer, request, partial=True)
        if data:
            item = services.fee_item_update(item=item, **data)
        return Response(FeeItemSerializer(item).data)


def _selection(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "estate_id": data.get("estate"),
        "building_id": data.get("building"),
        "unit_type": data.get("unit_type") or None,
        "unit_ids": data.get("unit_ids") or None,
    }


class FeeItemAssignApi(BillingApi):
    """Charge the item to a selection of units from a month on (bulk: estate / building / type / unit ids)."""

    required_permission = perms.BILLING_MANAGE

    @extend_schema(request=FeeAssignSerializer, responses={200: FeeAssignResultSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        item = self.fee_item(request, pk)
        data = validated(FeeAssignSerializer, request)
        result = services.fee_assign(
            item=item, scope=self.scope(request), start_date=data["start_date"], **_selection(data)
        )
        return Response(FeeAssignResultSerializer(result).data)


class FeeItemUnassignApi(BillingApi):
    """Stop charging the item to a selection of units after a day (earlier months still bill)."""

    required_permission = perms.BILLING_MANAGE

    @extend_schema(request=FeeUnassignSerializer, responses={200: FeeUnassignResultSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        item = self.fee_item(request, pk)
        data = validated(FeeUnassignSerializer, request)
        changed = services.fee_unassign(
            item=item, scope=self.scope(request), end_date=data["end_date"], **_selection(data)
        )
        return Response({"changed": changed})


class FeeStandardListApi(BillingApi):
    """收费标准: versioned rates. A new price starts on the first of a month; earlier months keep theirs."""

    required_permission = {"GET": perms.FEE_ITEMS_READ, "POST": perms.BILLING_MANAGE}

    @extend_schema(parameters=[OpenApiParameter("fee_item", int)], responses={200: FeeStandardSerializer(many=True)})
    def get(self, request: Request) -> Response:
        qs = FeeStandard.objects.filter(fee_item__in=self.fee_items(request).values("pk")).select_related("fee_item")
        if (item := query_int(request, "fee_item")) is not None:
            qs = qs.filter(fee_item_id=item)
        return self.page(request, qs.order_by("fee_item_id", "unit_type", "-effective_from"), FeeStandardSerializer)

    @extend_schema(request=FeeStandardCreateSerializer, responses={201: FeeStandardSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(FeeStandardCreateSerializer, request)
        item = self.fee_item(request, data.pop("fee_item"))
        standard = services.fee_standard_create(item=item, by=api_user(request), **data)
        return Response(FeeStandardSerializer(standard).data, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern] = [
    path("api/v1/fee-items/", FeeItemListApi.as_view(), name="api-fee-items"),
    path("api/v1/fee-items/<int:pk>/", FeeItemDetailApi.as_view(), name="api-fee-item"),
    path("api/v1/fee-items/<int:pk>/assign/", FeeItemAssignApi.as_view(), name="api-fee-item-assign"),
    path("api/v1/fee-items/<int:pk>/unassign/", FeeItemUnassignApi.as_view(), name="api-fee-item-unassign"),
    path("api/v1/fee-standards/", FeeStandardListApi.as_view(), name="api-fee-standards"),
]
