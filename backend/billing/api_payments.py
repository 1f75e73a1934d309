"""Counter payments under /api/v1/ledger/payments/: record one (numbered receipt, closed days honoured, by
ledger.payment_record) and list those of the units in the caller's scope. An Idempotency-Key sent again
answers the payment already recorded (200) instead of a second one (201). Online payments, receipts and
refunds are backend/payments/api.py."""

from __future__ import annotations

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import idempotency_key, query_choice, query_int, validated
from backend.api.permissions import api_user

from . import ledger
from .api_base import ERRORS, UNIT_PARAM, BillingApi
from .api_fields import FenField, YuanField
from .models import Payment
from .selectors import payment_allocations, payments_with_totals


class AllocationSerializer(serializers.Serializer):
    bill_line = serializers.IntegerField()
    amount = FenField(read_only=True, help_text=gettext_lazy("Settled on this line by the payment, integer fen."))


class PaymentSerializer(serializers.ModelSerializer):
    """Money received for a unit. `settled` went to bill lines; `prepaid_credit` is its part of the prepaid
    balance still unused."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    settled = FenField(read_only=True, help_text=gettext_lazy("Settled on bill lines (net of reversals), integer fen."))
    settled_display = YuanField(source="settled")
    refunded = FenField(read_only=True)
    prepaid_credit = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Unused prepaid credit, integer fen.")
    )
    prepaid_credit_display = YuanField(source="prepaid_credit")

    class Meta:
        model = Payment
        fields = [
            "id",
            "unit",
            "unit_label",
            "amount",
            "amount_display",
            "currency",
            "method",
            "channel",
            "reference",
            "payer_name",
            "note",
            "to_prepaid",
            "settled",
            "settled_display",
            "refunded",
            "prepaid_credit",
            "prepaid_credit_display",
            "received_at",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class PaymentRecordedSerializer(PaymentSerializer):
    allocations = AllocationSerializer(
        many=True, read_only=True, help_text=gettext_lazy("The bill lines this payment settled.")
    )

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "allocations"]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    """A counter payment (cash, POS, bank transfer…). Without line_ids it settles what the unit owes, oldest
    first; what is left goes to the prepaid balance. Send an `Idempotency-Key` header to make a retry safe."""

    unit = serializers.IntegerField()
    amount = FenField()
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    line_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        max_length=1000,
        help_text=gettext_lazy("Settle exactly these bill lines of the unit; the rest goes to the prepaid balance."),
    )
    to_prepaid = serializers.BooleanField(
        default=False, help_text=gettext_lazy("A top-up of the prepaid balance (预收).")
    )
    reference = serializers.CharField(max_length=80, allow_blank=True, default="")
    payer_name = serializers.CharField(max_length=60, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, allow_blank=True, default="")
    received_at = serializers.DateTimeField(required=False, allow_null=True, help_text=gettext_lazy("Default: now."))


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Optional, at most 100 characters. Sending the same key again returns the payment already "
    "recorded (200) instead of recording it twice; the key with another unit or amount is a 409.",
)


class PaymentListApi(BillingApi):
    """Counter payments (POST: finance, company admin) and the payments of units in the caller's scope."""

    required_permission = {"GET": perms.BILLS_OR_OWN_HOMES, "POST": perms.PAYMENT_RECORD}

    @extend_schema(
        parameters=[UNIT_PARAM, OpenApiParameter("method", str, enum=Payment.Method.values)],
        responses={200: PaymentSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        qs = Payment.objects.filter(unit__in=self.units(request).values("pk")).select_related("unit")
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        if method := query_choice(request, "method", Payment.Method.values):
            qs = qs.filter(method=method)
        qs = payments_with_totals(qs).order_by("-received_at", "-id")
        return self.page(request, qs, PaymentSerializer)

    @extend_schema(
        request=PaymentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: PaymentRecordedSerializer,
            200: OpenApiResponse(PaymentRecordedSerializer, description="Replay of an Idempotency-Key"),
            409: OpenApiResponse(description="The Idempotency-Key was used for a different payment"),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(PaymentCreateSerializer, request)
        unit = self.unit(request, data["unit"])
        payment, created = ledger.payment_record(
            unit=unit,
            amount=data["amount"],
            method=data["method"],
            line_ids=data.get("line_ids") or None,
            to_prepaid=data["to_prepaid"],
            reference=data["reference"],
            payer_name=data["payer_name"],
            note=data["note"],
            received_at=data.get("received_at"),
            recorded_by=api_user(request),
            idempotency_key=idempotency_key(request),
        )
        recorded = payments_with_totals(Payment.objects.select_related("unit")).get(pk=payment.pk)
        recorded.allocations = payment_allocations(payment)  # type: ignore[attr-defined]
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK  # 200: a replay of the key
        return Response(PaymentRecordedSerializer(recorded).data, status=answer)


urlpatterns: list[URLPattern] = [
    path("api/v1/ledger/payments/", PaymentListApi.as_view(), name="api-ledger-payments"),
]
