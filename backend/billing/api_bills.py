"""Bills under /api/v1/bills/: bill lines with what was charged, waived, settled and is still owed (staff:
their scope; residents: the homes they live in now), and one-off charges (临时费用)."""

from __future__ import annotations

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
from backend.api.serializer_fields_cache import CachedModelFields

from . import ledger
from .api_base import ERRORS, UNIT_PARAM, BillingApi, period_value
from .api_fields import FenField, PeriodField, YuanField
from .models import BillLine
from .selectors import bill_lines_for, lines_with_balances


class BillLineSerializer(CachedModelFields, serializers.ModelSerializer):
    """One thing a unit owes. `amount` is what was charged when the line was made; charged / waived /
    settled / owed are derived from the ledger (owed = charged − waived − settled)."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    fee_item_name = serializers.CharField(source="fee_item.name", read_only=True)
    period = PeriodField(source="period_start")
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    charged = FenField(read_only=True, help_text=gettext_lazy("Charged so far (late fees accrue daily), integer fen."))
    charged_display = YuanField(source="charged")
    waived = FenField(read_only=True, help_text=gettext_lazy("Waived or corrected (减免 / 红冲), integer fen."))
    waived_display = YuanField(source="waived")
    settled = FenField(
        read_only=True, help_text=gettext_lazy("Paid (settled by payments or prepaid credit), integer fen.")
    )
    settled_display = YuanField(source="settled")
    owed = FenField(read_only=True, help_text=gettext_lazy("Still owed, integer fen."))
    owed_display = YuanField(source="owed")

    class Meta:
        model = BillLine
        fields = [
            "id",
            "unit",
            "unit_label",
            "fee_item",
            "fee_item_name",
            "kind",
            "period",
            "period_start",
            "period_end",
            "description",
            "quantity",
            "rate",
            "percent",
            "due_date",
            "currency",
            "amount",
            "amount_display",
            "charged",
            "charged_display",
            "waived",
            "waived_display",
            "settled",
            "settled_display",
            "owed",
            "owed_display",
            "parent",
            "bill_run",
            "created_at",
        ]
        read_only_fields = fields


# The columns BillLineSerializer writes (of the line, its unit and its fee item): the list reads these only,
# not the unit's and the fee item's every column.
BILL_LINE_API_COLUMNS = (
    *(f for f in BillLineSerializer.Meta.fields if f in {f.attname for f in BillLine._meta.concrete_fields}),
    "unit",
    "fee_item",
    "parent",
    "bill_run",
    "unit__id",
    "unit__label",
    "fee_item__id",
    "fee_item__name",
)


class AdhocChargeSerializer(serializers.Serializer):
    """临时费用: a one-off charge on one unit."""

    unit = serializers.IntegerField()
    fee_item = serializers.IntegerField(help_text=gettext_lazy("An item of the unit's management office."))
    amount = FenField()
    description = serializers.CharField(max_length=200, allow_blank=True)
    due_date = serializers.DateField(required=False, allow_null=True, help_text=gettext_lazy("Default: today."))


BILL_FILTERS = [
    UNIT_PARAM,
    OpenApiParameter("period", str, description='"YYYY-MM": lines whose period covers that month.'),
    OpenApiParameter("unpaid", bool, description="1: only lines with something still owed."),
    OpenApiParameter("kind", str, enum=BillLine.Kind.values),
    OpenApiParameter("fee_item", int),
]


class BillListApi(BillingApi):
    """Bill lines with what was charged, waived, settled and is still owed. Staff: their scope; residents:
    the units they live in now."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(parameters=BILL_FILTERS, responses={200: BillLineSerializer(many=True), 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        # The page is chosen on the lines alone (the count and the ids are plain indexed queries; "unpaid" is
        # the `outstanding` column the ledger triggers keep equal to the derived owed, BillLine.outstanding),
        # then only that page's lines are summed up from the ledger, instead of grouping every line of the
        # caller's scope by its ledger entries to count them and to sort them.
        qs = bill_lines_for(self.scope(request))
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        if (period := period_value(request.query_params.get("period"))) is not None:
            qs = qs.filter(period_start__lte=period, period_end__gte=period)
        if request.query_params.get("unpaid") in ("1", "true"):
            qs = qs.filter(outstanding__gt=0)
        if kind := query_choice(request, "kind", BillLine.Kind.values):
            qs = qs.filter(kind=kind)
        if (item := query_int(request, "fee_item")) is not None:
            qs = qs.filter(fee_item_id=item)
        ids = qs.order_by("-period_start", "unit_id", "fee_item__priority", "id").values_list("pk", flat=True)
        paginator = PageNumberPagination()
        page = list(paginator.paginate_queryset(ids, request, view=self) or [])
        lines = lines_with_balances(
            BillLine.objects.filter(pk__in=page).select_related("unit", "fee_item").only(*BILL_LINE_API_COLUMNS)
        )
        by_id = {line.pk: line for line in lines}
        rows = [by_id[pk] for pk in page if pk in by_id]
        return paginator.get_paginated_response(BillLineSerializer(rows, many=True).data)


class BillDetailApi(BillingApi):
    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(responses={200: BillLineSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        line = self.bill_lines(request).filter(pk=pk).first()
        if line is None:
            raise Http404
        return Response(BillLineSerializer(line).data)


class AdhocChargeApi(BillingApi):
    """临时费用: post a one-off charge on a unit (settled from its prepaid balance if it has one)."""

    required_permission = perms.PAYMENT_RECORD

    @extend_schema(request=AdhocChargeSerializer, responses={201: BillLineSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(AdhocChargeSerializer, request)
        unit = self.unit(request, data["unit"])
        item = self.fee_item(request, data["fee_item"])
        line = ledger.adhoc_charge_post(
            unit=unit,
            fee_item=item,
            amount=data["amount"],
            description=data["description"],
            due_date=data.get("due_date"),
            by=api_user(request),
        )
        line = lines_with_balances(BillLine.objects.select_related("unit", "fee_item")).get(pk=line.pk)
        return Response(BillLineSerializer(line).data, status=status.HTTP_201_CREATED)


urlpatterns: list[URLPattern] = [
    path("api/v1/bills/", BillListApi.as_view(), name="api-bills"),
    path("api/v1/bills/adhoc/", AdhocChargeApi.as_view(), name="api-bills-adhoc"),
    path("api/v1/bills/<int:pk>/", BillDetailApi.as_view(), name="api-bill"),
]
