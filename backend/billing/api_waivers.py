"""减免 / 红冲 under /api/v1/waivers/: the billing desk asks for a waiver or a correction of a bill line, a
second person from finance approves (and the credit is posted) or rejects it (four-eyes: 403 for the one who
asked)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_choice, query_int, validated
from backend.api.permissions import api_user

from . import ledger
from .api_base import ERRORS, UNIT_PARAM, BillingApi
from .api_fields import FenField, PeriodField, YuanField
from .models import LedgerEntry, WaiverRequest
from .selectors import bill_lines_for


class WaiverSerializer(serializers.ModelSerializer):
    """减免 / 红冲 on one bill line; a second person approves it."""

    unit = serializers.IntegerField(source="bill_line.unit_id", read_only=True)
    unit_label = serializers.CharField(source="bill_line.unit.label", read_only=True)
    fee_item_name = serializers.CharField(source="bill_line.fee_item.name", read_only=True)
    period = PeriodField(source="bill_line.period_start")
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    requested_by_name = serializers.CharField(source="requested_by.name", read_only=True)

    class Meta:
        model = WaiverRequest
        fields = [
            "id",
            "bill_line",
            "unit",
            "unit_label",
            "fee_item_name",
            "period",
            "kind",
            "amount",
            "amount_display",
            "reason",
            "status",
            "requested_by",
            "requested_by_name",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "entry",
        ]
        read_only_fields = fields


class WaiverCreateSerializer(serializers.Serializer):
    bill_line = serializers.IntegerField()
    amount = FenField(
        help_text=gettext_lazy("Integer fen; a waiver up to what is owed, a correction up to what was charged.")
    )
    reason = serializers.CharField(max_length=300, allow_blank=True)
    kind = serializers.ChoiceField(choices=LedgerEntry.WaiverKind.choices, default=LedgerEntry.WaiverKind.WAIVER)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, allow_blank=True, default="")


class WaiverApi(BillingApi):
    def waivers(self, request: Request) -> QuerySet[WaiverRequest]:
        return WaiverRequest.objects.filter(bill_line__unit__in=self.units(request).values("pk")).select_related(
            "bill_line__unit", "bill_line__fee_item", "requested_by"
        )

    def waiver(self, request: Request, pk: int) -> WaiverRequest:
        waiver = self.waivers(request).filter(pk=pk).first()
        if waiver is None:
            raise Http404
        return waiver


class WaiverListApi(WaiverApi):
    """减免 / 红冲 requests. Finance, company admin and customer service may ask; a second person approves."""

    required_permission = {"GET": perms.BILLING_READ, "POST": perms.WAIVER_REQUEST}

    @extend_schema(
        parameters=[UNIT_PARAM, OpenApiParameter("status", str, enum=WaiverRequest.Status.values)],
        responses={200: WaiverSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = self.waivers(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(bill_line__unit=self.unit(request, unit_id))
        if waiver_status := query_choice(request, "status", WaiverRequest.Status.values):
            qs = qs.filter(status=waiver_status)
        return self.page(request, qs.order_by("-requested_at", "-id"), WaiverSerializer)

    @extend_schema(request=WaiverCreateSerializer, responses={201: WaiverSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(WaiverCreateSerializer, request)
        line = bill_lines_for(self.scope(request)).filter(pk=data["bill_line"]).select_related("unit").first()
        if line is None:
            raise Http404
        waiver = ledger.waiver_request(
            line=line, amount=data["amount"], reason=data["reason"], by=api_user(request), kind=data["kind"]
        )
        return Response(WaiverSerializer(self.waiver(request, waiver.pk)).data, status=status.HTTP_201_CREATED)


class WaiverDecideApi(WaiverApi):
    required_permission = perms.WAIVER_APPROVE
    approve = True

    def post(self, request: Request, pk: int) -> Response:
        data = validated(DecisionSerializer, request)
        ledger.waiver_decide(
            request=self.waiver(request, pk), by=api_user(request), approve=self.approve, note=data["note"]
        )
        return Response(WaiverSerializer(self.waiver(request, pk)).data)


class WaiverApproveApi(WaiverDecideApi):
    """Approve and post the credit. The person who asked cannot approve (four-eyes: 403)."""

    approve = True

    @extend_schema(request=DecisionSerializer, responses={200: WaiverSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class WaiverRejectApi(WaiverDecideApi):
    approve = False

    @extend_schema(request=DecisionSerializer, responses={200: WaiverSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


urlpatterns: list[URLPattern] = [
    path("api/v1/waivers/", WaiverListApi.as_view(), name="api-waivers"),
    path("api/v1/waivers/<int:pk>/approve/", WaiverApproveApi.as_view(), name="api-waiver-approve"),
    path("api/v1/waivers/<int:pk>/reject/", WaiverRejectApi.as_view(), name="api-waiver-reject"),
]
