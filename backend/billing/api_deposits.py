"""押金 under /api/v1/deposits/: deposits held for units (residents: their own), taking one, and refunding or
forfeiting (part of) what one still holds."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_int, validated
from backend.api.permissions import api_user

from . import ledger
from .api_base import ERRORS, UNIT_PARAM, BillingApi
from .api_fields import FenField, YuanField
from .models import Deposit, Payment
from .selectors import deposits_with_totals


class DepositSerializer(serializers.ModelSerializer):
    """押金 / 装修保证金 held for a unit; `held` is what is still held after refunds and forfeits."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    held = FenField(read_only=True, help_text=gettext_lazy("Still held, integer fen."))
    held_display = YuanField(source="held")
    refunded = FenField(read_only=True)
    refunded_display = YuanField(source="refunded")
    forfeited = FenField(read_only=True)
    forfeited_display = YuanField(source="forfeited")

    class Meta:
        model = Deposit
        fields = [
            "id",
            "unit",
            "unit_label",
            "purpose",
            "amount",
            "amount_display",
            "currency",
            "method",
            "reference",
            "payer_name",
            "held",
            "held_display",
            "refunded",
            "refunded_display",
            "forfeited",
            "forfeited_display",
            "received_at",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class DepositCreateSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    amount = FenField()
    purpose = serializers.CharField(
        max_length=100, allow_blank=True, help_text=gettext_lazy("e.g. renovation deposit.")
    )
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = serializers.CharField(max_length=80, allow_blank=True, default="")
    payer_name = serializers.CharField(max_length=60, allow_blank=True, default="")
    received_at = serializers.DateTimeField(required=False, allow_null=True, help_text=gettext_lazy("Default: now."))


class DepositReleaseSerializer(serializers.Serializer):
    refund = FenField(min_value=0, default=0, help_text=gettext_lazy("Given back to the payer, integer fen."))
    forfeit = FenField(min_value=0, default=0, help_text=gettext_lazy("Kept by the company, integer fen."))
    reason = serializers.CharField(max_length=300, allow_blank=True)


class DepositApi(BillingApi):
    def deposits(self, request: Request) -> QuerySet[Deposit]:
        qs = Deposit.objects.filter(unit__in=self.units(request).values("pk")).select_related("unit")
        return deposits_with_totals(qs)

    def deposit(self, request: Request, pk: int) -> Deposit:
        deposit = self.deposits(request).filter(pk=pk).first()
        if deposit is None:
            raise Http404
        return deposit


class DepositListApi(DepositApi):
    """押金: deposits held for units (residents: their own)."""

    required_permission = {"GET": perms.BILLS_OR_OWN_HOMES, "POST": perms.PAYMENT_RECORD}

    @extend_schema(parameters=[UNIT_PARAM], responses={200: DepositSerializer(many=True), 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        qs = self.deposits(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        return self.page(request, qs.order_by("-received_at", "-id"), DepositSerializer)

    @extend_schema(request=DepositCreateSerializer, responses={201: DepositSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(DepositCreateSerializer, request)
        deposit = ledger.deposit_hold(
            unit=self.unit(request, data.pop("unit")),
            amount=data["amount"],
            purpose=data["purpose"],
            method=data["method"],
            reference=data["reference"],
            payer_name=data["payer_name"],
            received_at=data.get("received_at"),
            by=api_user(request),
        )
        return Response(DepositSerializer(self.deposit(request, deposit.pk)).data, status=status.HTTP_201_CREATED)


class DepositReleaseApi(DepositApi):
    """Refund and/or forfeit (part of) what a deposit still holds."""

    required_permission = perms.PAYMENT_RECORD

    @extend_schema(request=DepositReleaseSerializer, responses={200: DepositSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        deposit = self.deposit(request, pk)
        data = validated(DepositReleaseSerializer, request)
        ledger.deposit_release(
            deposit=deposit, refund=data["refund"], forfeit=data["forfeit"], reason=data["reason"], by=api_user(request)
        )
        return Response(DepositSerializer(self.deposit(request, pk)).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/deposits/", DepositListApi.as_view(), name="api-deposits"),
    path("api/v1/deposits/<int:pk>/release/", DepositReleaseApi.as_view(), name="api-deposit-release"),
]
