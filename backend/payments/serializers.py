"""DRF serializers of the payments API (input types and the OpenAPI schema).

Money is integer fen with a read-only `*_display` twin in yuan, as in billing's API. Business rules (what is
owed, what can still be refunded, closed days) are checked by the services; these only check types."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from backend.billing.api_fields import FenField, YuanField
from backend.billing.models import Payment

from .models import AutopayMandate, DayClose, OnlinePayment, Receipt, Refund

# --- online payments ------------------------------------------------------------------------------------


class OnlinePaymentStartSerializer(serializers.Serializer):
    """Pay chosen bill lines (`line_ids`), everything the home owes (neither), or top up the prepaid balance
    (`top_up`, in fen). The server prices the lines; send an `Idempotency-Key` header to make a retry safe."""

    unit = serializers.IntegerField()
    line_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        max_length=1000,
        help_text=_("Pay exactly these bill lines of the home. Leave out to pay everything owed."),
    )
    top_up = FenField(required=False, allow_null=True, help_text=_("A top-up of the prepaid balance, integer fen."))
    method_type = serializers.ChoiceField(choices=OnlinePayment.MethodType.choices, default="card")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("top_up") is not None and attrs.get("line_ids"):
            raise serializers.ValidationError({"top_up": [_("A top-up does not pay chosen lines.")]})
        return attrs


class OnlinePaymentSerializer(serializers.ModelSerializer):
    """One attempt to pay online. `payment` is the ledger payment once it succeeded."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    receipt_number = serializers.SerializerMethodField()

    class Meta:
        model = OnlinePayment
        fields = [
            "id",
            "unit",
            "unit_label",
            "user",
            "amount",
            "amount_display",
            "currency",
            "line_ids",
            "to_prepaid",
            "method_type",
            "channel",
            "status",
            "failure_code",
            "failure_message",
            "intent_id",
            "payment",
            "receipt_number",
            "created_at",
            "confirmed_at",
            "succeeded_at",
            "webhook_at",
            "checked_at",
        ]
        read_only_fields = fields

    def get_receipt_number(self, obj: OnlinePayment) -> str | None:
        # Querysets select_related("payment__receipt"); a payment without a receipt raises an AttributeError.
        receipt = getattr(obj.payment, "receipt", None) if obj.payment_id is not None else None
        return receipt.number if receipt is not None else None


class OnlinePaymentActionSerializer(OnlinePaymentSerializer):
    """For the payer's page: what Stripe.js needs next (the client secret while the payment is open)."""

    client_secret = serializers.SerializerMethodField(
        help_text=_("For Stripe.js (confirmCardPayment on requires_action); empty once the payment is final.")
    )
    publishable_key = serializers.SerializerMethodField()
    is_local_gateway = serializers.SerializerMethodField(
        help_text=_("True when the gateway is a local test gateway (localstripe), not Stripe.")
    )
    next_action = serializers.SerializerMethodField(
        help_text=_("Alipay / WeChat Pay: Stripe's next action (a redirect URL or a QR code).")
    )

    class Meta(OnlinePaymentSerializer.Meta):
        fields = [
            *OnlinePaymentSerializer.Meta.fields,
            "client_secret",
            "publishable_key",
            "is_local_gateway",
            "next_action",
        ]
        read_only_fields = fields

    def get_client_secret(self, obj: OnlinePayment) -> str:
        return "" if obj.is_final else obj.client_secret

    def get_publishable_key(self, obj: OnlinePayment) -> str:
        return str(self.context.get("publishable_key", ""))

    def get_is_local_gateway(self, obj: OnlinePayment) -> bool:
        return bool(self.context.get("is_local_gateway", False))

    def get_next_action(self, obj: OnlinePayment) -> dict[str, Any] | None:
        value = self.context.get("next_action")
        return dict(value) if value else None


class OnlinePaymentConfirmSerializer(serializers.Serializer):
    payment_method = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Cards: the payment method Stripe.js saved (confirmCardSetup)."),
    )
    return_url = serializers.URLField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Alipay / WeChat Pay: where the payer comes back to after paying."),
    )


class CardSetupSerializer(serializers.Serializer):
    setup_intent = serializers.CharField(read_only=True)
    client_secret = serializers.CharField(read_only=True, help_text=_("For Stripe.js confirmCardSetup."))
    publishable_key = serializers.CharField(read_only=True)
    js_url = serializers.CharField(read_only=True, help_text=_("Where the page loads Stripe.js from."))
    is_local_gateway = serializers.BooleanField(read_only=True)


# --- autopay ---------------------------------------------------------------------------------------------


class AutopayMandateSerializer(serializers.ModelSerializer):
    monthly_max = FenField(read_only=True)
    monthly_max_display = YuanField(source="monthly_max")

    class Meta:
        model = AutopayMandate
        fields = [
            "id",
            "unit",
            "user",
            "card_brand",
            "card_last4",
            "monthly_max",
            "monthly_max_display",
            "active",
            "created_at",
            "disabled_at",
        ]
        read_only_fields = fields


class AutopayStatusSerializer(serializers.Serializer):
    """A home's autopay: the active mandate, if any."""

    unit = serializers.IntegerField()
    active = serializers.BooleanField()
    offered = serializers.BooleanField(help_text=_("The company offers autopay."))
    mandate = AutopayMandateSerializer(allow_null=True)


class AutopayEnableSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    payment_method = serializers.CharField(max_length=100, help_text=_("A card saved with a SetupIntent."))
    monthly_max = FenField(help_text=_("Charge at most this much a month, integer fen."))


# --- receipts ----------------------------------------------------------------------------------------------


class ReceiptSerializer(serializers.ModelSerializer):
    """收费票据: one per payment, numbered by the company's rule."""

    unit = serializers.IntegerField(source="payment.unit_id", read_only=True)
    unit_label = serializers.CharField(source="payment.unit.label", read_only=True)
    amount = FenField(source="payment.amount", read_only=True)
    amount_display = YuanField(source="payment.amount")
    method = serializers.ChoiceField(source="payment.method", choices=Payment.Method.choices, read_only=True)
    channel = serializers.ChoiceField(source="payment.channel", choices=Payment.Channel.choices, read_only=True)
    reference = serializers.CharField(source="payment.reference", read_only=True)
    payer_name = serializers.CharField(source="payment.payer_name", read_only=True)
    received_at = serializers.DateTimeField(source="payment.received_at", read_only=True)
    cashier = serializers.IntegerField(source="payment.recorded_by_id", read_only=True, allow_null=True)
    cashier_name = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = [
            "id",
            "number",
            "status",
            "payment",
            "unit",
            "unit_label",
            "amount",
            "amount_display",
            "method",
            "channel",
            "reference",
            "payer_name",
            "received_at",
            "cashier",
            "cashier_name",
            "issued_at",
            "print_count",
            "last_printed_at",
            "voided_at",
            "voided_by",
            "void_reason",
        ]
        read_only_fields = fields

    def get_cashier_name(self, obj: Receipt) -> str:
        by = obj.payment.recorded_by
        return by.name if by is not None else ""


class ReceiptVoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Why the receipt is voided (作废)."))


# --- refunds -----------------------------------------------------------------------------------------------


class RefundSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="payment.unit_id", read_only=True)
    unit_label = serializers.CharField(source="payment.unit.label", read_only=True)
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    requested_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = [
            "id",
            "payment",
            "unit",
            "unit_label",
            "kind",
            "amount",
            "amount_display",
            "reason",
            "provider",
            "provider_refund_id",
            "status",
            "requested_by",
            "requested_by_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_requested_by_name(self, obj: Refund) -> str:
        return obj.requested_by.name if obj.requested_by is not None else ""


class RefundCreateSerializer(serializers.Serializer):
    """Refund (part of) a payment: Stripe refunds the card for online payments, a cash refund otherwise."""

    payment = serializers.IntegerField()
    amount = FenField(help_text=_("At most what is left of the payment after earlier refunds, integer fen."))
    reason = serializers.CharField(max_length=300)


# --- day closes ------------------------------------------------------------------------------------------


class DayCloseSerializer(serializers.ModelSerializer):
    """日结: a cashier's day, totalled by method and locked."""

    cashier_name = serializers.CharField(source="cashier.name", read_only=True)
    closed_by_name = serializers.CharField(source="closed_by.name", read_only=True)
    total = FenField(read_only=True)
    total_display = YuanField(source="total")
    refund_total = FenField(read_only=True)
    totals = serializers.DictField(child=serializers.IntegerField(), help_text=_("Fen by payment method."))

    class Meta:
        model = DayClose
        fields = [
            "id",
            "business_date",
            "cashier",
            "cashier_name",
            "payment_count",
            "total",
            "total_display",
            "refund_total",
            "totals",
            "closed_by",
            "closed_by_name",
            "closed_at",
            "note",
        ]
        read_only_fields = fields


class DayCloseCreateSerializer(serializers.Serializer):
    day = serializers.DateField()
    cashier = serializers.IntegerField(required=False, allow_null=True, help_text=_("Default: the caller."))
    note = serializers.CharField(max_length=300, allow_blank=True, default="")


class CountAmountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = FenField(read_only=True)


class CashierTotalSerializer(serializers.Serializer):
    cashier = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    count = serializers.IntegerField()
    amount = FenField(read_only=True)
    cash = FenField(read_only=True)
    closed = serializers.BooleanField()


class DaySummarySerializer(serializers.Serializer):
    """Payments received on a day by method, channel and cashier, refunds given, and the days closed."""

    day = serializers.DateField()
    count = serializers.IntegerField()
    total = FenField(read_only=True)
    total_display = YuanField(source="total")
    refunds = FenField(read_only=True)
    by_method = serializers.DictField(child=CountAmountSerializer())
    by_channel = serializers.DictField(child=CountAmountSerializer())
    by_cashier = CashierTotalSerializer(many=True)
    closed = DayCloseSerializer(many=True)
