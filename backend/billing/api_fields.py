"""DRF serializers of the billing API (input validation and the OpenAPI schema).

Money crosses the API as integer fen (`amount`, `owed`, …; 1 yuan = 100 fen, never floats) with a read-only
`*_display` twin that formats the same amount as a yuan string ("¥1,234.56") for people. Rates and
percentages are decimal strings. Business rules are checked by the services; these only check types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.properties.models import UnitType

from .models import (
    BillLine,
    BillRun,
    ChargeMethod,
    Cycle,
    Deposit,
    FeeCategory,
    FeeItem,
    FeeStandard,
    LateFeeMode,
    LedgerEntry,
    MeterKind,
    Payment,
    WaiverRequest,
)
from .money import yuan

FEN_HELP = _("Integer fen (1 yuan = 100 fen).")
DISPLAY_HELP = _("The same amount as a yuan string for people, e.g. '¥1,234.56' (read-only).")


class FenField(serializers.IntegerField):
    """An amount of money in integer fen. Input amounts must be above zero unless `min_value` says otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", FEN_HELP)
        if not kwargs.get("read_only"):
            kwargs.setdefault("min_value", 1)
            kwargs.setdefault("max_value", 10**13)
            messages = {
                "min_value": _("Enter an amount above zero (in fen).")
                if kwargs["min_value"] >= 1
                else _("Enter an amount of zero or more (in fen)."),
                "invalid": _("Enter a whole number of fen (1 yuan = 100 fen)."),
            }
            kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.STR)
class YuanField(serializers.ReadOnlyField):
    """The fen amount at `source`, formatted as yuan for display."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DISPLAY_HELP)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return yuan(value)


@extend_schema_field(OpenApiTypes.STR)
class PeriodField(serializers.ReadOnlyField):
    """A month as "YYYY-MM" (the date at `source` is its first day)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _('The month, "YYYY-MM".'))
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        return f"{value:%Y-%m}" if value else None


def _money(source: str, help_text: Any = FEN_HELP) -> tuple[serializers.Field, serializers.Field]:
    return FenField(source=source, read_only=True, help_text=help_text), YuanField(source=source)


# --- fee items and standards -----------------------------------------------------------------------------


class FeeItemSerializer(serializers.ModelSerializer):
    """收费项目: what is charged, how it is computed and how often, per management office."""

    late_fee_fixed = FenField(read_only=True, help_text=_("Fixed late fee, integer fen."))
    late_fee_fixed_display = YuanField(source="late_fee_fixed")
    late_fee_cap = FenField(read_only=True, allow_null=True, help_text=_("Late fee cap, integer fen; null: no cap."))

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
        choices=MeterKind.choices, allow_blank=True, required=False, help_text=_("Meter items only; blank otherwise.")
    )
    priority = serializers.IntegerField(
        min_value=0, max_value=32767, required=False, help_text=_("Lower settles first when settling by priority.")
    )
    late_fee_mode = serializers.ChoiceField(choices=LateFeeMode.choices, required=False)
    late_fee_fixed = FenField(min_value=0, required=False, help_text=_("Fixed late fee, integer fen."))
    late_fee_daily_percent = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=0,
        required=False,
        help_text=_("Percent per day as a decimal string, e.g. '0.03' for 0.03%/day."),
    )
    late_fee_grace_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    late_fee_cap = FenField(
        min_value=0, allow_null=True, required=False, help_text=_("Late fee cap, integer fen; null: no cap.")
    )
    is_active = serializers.BooleanField(required=False)


class FeeItemCreateSerializer(FeeItemUpdateSerializer):
    office = serializers.IntegerField(help_text=_("The management office the item belongs to."))
    code = serializers.SlugField(max_length=30, help_text=_("Short code, unique within the office."))
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
    start_date = serializers.DateField(help_text=_("Billed from this month on; the first of a month."))


class FeeUnassignSerializer(_UnitSelectionSerializer):
    end_date = serializers.DateField(help_text=_("Billed until this day; months before it still bill."))


class FeeAssignResultSerializer(serializers.Serializer):
    selected = serializers.IntegerField(help_text=_("Units in the selection."))
    assigned = serializers.IntegerField(help_text=_("Units that now carry the item."))
    already = serializers.IntegerField(help_text=_("Units that carried it already (left as they were)."))


class FeeUnassignResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text=_("Assignments that now end on end_date."))


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
        extra_kwargs = {"rate": {"help_text": _("Yuan (decimal string) per unit, per m², or per unit of usage.")}}


class FeeStandardCreateSerializer(serializers.Serializer):
    fee_item = serializers.IntegerField()
    effective_from = serializers.DateField(help_text=_("The first of a month."))
    rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        min_value=0,
        help_text=_("Yuan as a decimal string (up to 4 decimals) per unit, per m² of area, or per unit of usage."),
    )
    unit_type = serializers.ChoiceField(
        choices=UnitType.choices, allow_blank=True, default="", help_text=_("Blank: every unit type.")
    )
    custody_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        default=Decimal(100),
        help_text=_("Percent charged to units in custody (托管), e.g. '70'."),
    )
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


# --- bill runs -----------------------------------------------------------------------------------------


class BillRunPreviewItemSerializer(serializers.Serializer):
    fee_item = serializers.IntegerField()
    name = serializers.CharField()
    lines = serializers.IntegerField(help_text=_("Lines the run would bill for this item."))
    amount = FenField(read_only=True)
    existing = serializers.IntegerField(help_text=_("Of those, lines that exist already (not billed again)."))
    new_lines = serializers.IntegerField()
    new_amount = FenField(read_only=True)


class BillRunPreviewSerializer(serializers.Serializer):
    """What a run would bill, computed when it is created."""

    period = serializers.DateField(required=False)
    units = serializers.IntegerField(required=False)
    items = BillRunPreviewItemSerializer(many=True, required=False)
    lines = serializers.IntegerField(required=False)
    amount = FenField(read_only=True)
    new_lines = serializers.IntegerField(required=False)
    new_amount = FenField(read_only=True)
    existing = serializers.IntegerField(required=False)
    items_without_standard = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("Assigned items with no price for the period.")
    )
    flagged_readings = serializers.IntegerField(
        required=False, help_text=_("Meter readings awaiting review: not billed until confirmed.")
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance or {})
        for key in ("amount", "new_amount"):
            if key in data:
                data[f"{key}_display"] = yuan(data[key])
        return data


class BillRunSerializer(serializers.ModelSerializer):
    """计费 / 月结: a run over a month and a scope (offices, estates or buildings; none: the whole company)."""

    period = PeriodField()
    period_start = serializers.DateField(source="period", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    preview = BillRunPreviewSerializer(read_only=True)
    amount_created = FenField(read_only=True, help_text=_("Total of the lines this run posted, integer fen."))
    amount_created_display = YuanField(source="amount_created")

    class Meta:
        model = BillRun
        fields = [
            "id",
            "period",
            "period_start",
            "status",
            "progress_percent",
            "office_ids",
            "estate_ids",
            "building_ids",
            "preview",
            "total_units",
            "done_units",
            "lines_created",
            "amount_created",
            "amount_created_display",
            "lines_existing",
            "error",
            "scheduled",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class BillRunCreateSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=10, help_text=_('The month to bill, "YYYY-MM".'))
    office_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    estate_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    building_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


# --- bills (bill lines) --------------------------------------------------------------------------------


class BillLineSerializer(serializers.ModelSerializer):
    """One thing a unit owes. `amount` is what was charged when the line was made; charged / waived /
    settled / owed are derived from the ledger (owed = charged − waived − settled)."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    fee_item_name = serializers.CharField(source="fee_item.name", read_only=True)
    period = PeriodField(source="period_start")
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    charged = FenField(read_only=True, help_text=_("Charged so far (late fees accrue daily), integer fen."))
    charged_display = YuanField(source="charged")
    waived = FenField(read_only=True, help_text=_("Waived or corrected (减免 / 红冲), integer fen."))
    waived_display = YuanField(source="waived")
    settled = FenField(read_only=True, help_text=_("Paid (settled by payments or prepaid credit), integer fen."))
    settled_display = YuanField(source="settled")
    owed = FenField(read_only=True, help_text=_("Still owed, integer fen."))
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


class AdhocChargeSerializer(serializers.Serializer):
    """临时费用: a one-off charge on one unit."""

    unit = serializers.IntegerField()
    fee_item = serializers.IntegerField(help_text=_("An item of the unit's management office."))
    amount = FenField()
    description = serializers.CharField(max_length=200, allow_blank=True)
    due_date = serializers.DateField(required=False, allow_null=True, help_text=_("Default: today."))


# --- ledger -------------------------------------------------------------------------------------------


class LedgerEntrySerializer(serializers.ModelSerializer):
    """One movement on a unit's account; `amount` is always positive, the kind gives its direction."""

    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "amount_display",
            "currency",
            "bill_line",
            "payment",
            "deposit",
            "waiver_kind",
            "reason",
            "approved_by",
            "created_by",
            "occurred_on",
            "created_at",
        ]
        read_only_fields = fields


class AccountSerializer(serializers.Serializer):
    """A unit's account, derived from the ledger. balance = owed − prepaid (positive: the unit owes)."""

    unit = serializers.IntegerField()
    unit_label = serializers.CharField()
    charged = FenField(read_only=True)
    charged_display = YuanField(source="charged")
    waived = FenField(read_only=True)
    waived_display = YuanField(source="waived")
    paid = FenField(read_only=True, help_text=_("Money received (payments and prepayments), integer fen."))
    paid_display = YuanField(source="paid")
    refunded = FenField(read_only=True)
    refunded_display = YuanField(source="refunded")
    owed = FenField(read_only=True, help_text=_("Still owed over all bill lines, integer fen."))
    owed_display = YuanField(source="owed")
    prepaid = FenField(read_only=True, help_text=_("Prepaid credit (预收) not yet used, integer fen."))
    prepaid_display = YuanField(source="prepaid")
    deposits_held = FenField(read_only=True, help_text=_("Deposits (押金) still held, integer fen."))
    deposits_held_display = YuanField(source="deposits_held")
    balance = serializers.IntegerField(read_only=True, help_text=_("owed − prepaid, integer fen; may be negative."))
    balance_display = YuanField(source="balance")


class StatementRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)
    occurred_on = serializers.DateField()
    description = serializers.CharField()
    bill_line = serializers.IntegerField(allow_null=True)
    payment = serializers.IntegerField(allow_null=True)
    amount = FenField(read_only=True)
    signed = serializers.IntegerField(help_text=_("The effect on the balance, integer fen (negative: credit)."))
    signed_display = YuanField(source="signed")
    balance = serializers.IntegerField(help_text=_("Running balance after this row, integer fen."))
    balance_display = YuanField(source="balance")


class StatementSerializer(serializers.Serializer):
    """对账单: what moved the balance between start and end, with the opening, a running and the closing balance."""

    unit = serializers.IntegerField()
    unit_label = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    opening = serializers.IntegerField(help_text=_("Balance before start, integer fen."))
    opening_display = YuanField(source="opening")
    rows = StatementRowSerializer(many=True)
    closing = serializers.IntegerField(help_text=_("Balance after the last row, integer fen."))
    closing_display = YuanField(source="closing")
    account = AccountSerializer()


class AllocationSerializer(serializers.Serializer):
    bill_line = serializers.IntegerField()
    amount = FenField(read_only=True, help_text=_("Settled on this line by the payment, integer fen."))


class PaymentSerializer(serializers.ModelSerializer):
    """Money received for a unit. `settled` went to bill lines; `prepaid_credit` is its part of the prepaid
    balance still unused."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    settled = FenField(read_only=True, help_text=_("Settled on bill lines (net of reversals), integer fen."))
    settled_display = YuanField(source="settled")
    refunded = FenField(read_only=True)
    prepaid_credit = serializers.IntegerField(read_only=True, help_text=_("Unused prepaid credit, integer fen."))
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
    allocations = AllocationSerializer(many=True, read_only=True, help_text=_("The bill lines this payment settled."))

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
        help_text=_("Settle exactly these bill lines of the unit; the rest goes to the prepaid balance."),
    )
    to_prepaid = serializers.BooleanField(default=False, help_text=_("A top-up of the prepaid balance (预收)."))
    reference = serializers.CharField(max_length=80, allow_blank=True, default="")
    payer_name = serializers.CharField(max_length=60, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, allow_blank=True, default="")
    received_at = serializers.DateTimeField(required=False, allow_null=True, help_text=_("Default: now."))


# --- waivers ----------------------------------------------------------------------------------------


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
    amount = FenField(help_text=_("Integer fen; a waiver up to what is owed, a correction up to what was charged."))
    reason = serializers.CharField(max_length=300, allow_blank=True)
    kind = serializers.ChoiceField(choices=LedgerEntry.WaiverKind.choices, default=LedgerEntry.WaiverKind.WAIVER)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, allow_blank=True, default="")


# --- deposits ---------------------------------------------------------------------------------------


class DepositSerializer(serializers.ModelSerializer):
    """押金 / 装修保证金 held for a unit; `held` is what is still held after refunds and forfeits."""

    unit_label = serializers.CharField(source="unit.label", read_only=True)
    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")
    held = FenField(read_only=True, help_text=_("Still held, integer fen."))
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
    purpose = serializers.CharField(max_length=100, allow_blank=True, help_text=_("e.g. renovation deposit."))
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = serializers.CharField(max_length=80, allow_blank=True, default="")
    payer_name = serializers.CharField(max_length=60, allow_blank=True, default="")
    received_at = serializers.DateTimeField(required=False, allow_null=True, help_text=_("Default: now."))


class DepositReleaseSerializer(serializers.Serializer):
    refund = FenField(min_value=0, default=0, help_text=_("Given back to the payer, integer fen."))
    forfeit = FenField(min_value=0, default=0, help_text=_("Kept by the company, integer fen."))
    reason = serializers.CharField(max_length=300, allow_blank=True)
