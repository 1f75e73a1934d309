"""Forms of the money pages (record a payment, waivers, deposits, one-off charges, billing settings).
They collect and check input; the ledger services in backend/billing/ledger.py decide and write."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.billing.models import BillLine, FeeItem, LedgerEntry, Payment, Sanction, SettlementOrder
from backend.billing.money import parse_yuan, yuan

# The ways money reaches a counter (the online ones are posted by the payments module, not typed in).
COUNTER_METHODS = [
    (Payment.Method.CASH.value, Payment.Method.CASH.label),
    (Payment.Method.POS.value, Payment.Method.POS.label),
    (Payment.Method.BANK_TRANSFER.value, Payment.Method.BANK_TRANSFER.label),
    (Payment.Method.REMOTE_TRANSFER.value, Payment.Method.REMOTE_TRANSFER.label),
    (Payment.Method.BANK_COLLECTION.value, Payment.Method.BANK_COLLECTION.label),
]

# money.parse_yuan speaks plain English; these make its messages translatable.
_YUAN_MESSAGES = {
    "Enter an amount.": _("Enter an amount."),
    "Enter an amount in yuan, e.g. 128.50.": _("Enter an amount in yuan, e.g. 128.50."),
    "An amount has at most two decimals (fen).": _("An amount has at most two decimals (fen)."),
}

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9:_-]{8,100}$")


def new_idempotency_key() -> str:
    return f"portal-{uuid.uuid4().hex}"


class YuanField(forms.CharField):
    """An amount typed in yuan ('1,234.50', '¥12') → integer fen. Empty → None (or 0 with `empty_zero`)."""

    def __init__(self, *args: Any, empty_zero: bool = False, positive: bool = True, **kwargs: Any) -> None:
        # No max_length: CharField would check it against the integer this field returns.
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00", "maxlength": "20"}
            ),
        )
        self.empty_zero = empty_zero
        self.positive = positive
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if text in self.empty_values:
            return 0 if self.empty_zero else None
        try:
            fen = parse_yuan(text)
        except ValueError as error:
            raise forms.ValidationError(_YUAN_MESSAGES.get(str(error), str(error)), code="invalid") from None
        if fen < 0 or (self.positive and fen == 0):
            raise forms.ValidationError(_("Enter an amount above zero."), code="min_value")
        return fen

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return yuan(value, sign=False).replace(",", "")
        return value


class PaymentForm(forms.Form):
    MODE_LINES = "lines"
    MODE_TOPUP = "topup"

    mode = forms.ChoiceField(
        label=_("What the payment is for"),
        choices=[
            (MODE_LINES, _("Settle the ticked lines")),
            (MODE_TOPUP, _("Top up the prepaid balance only (预收)")),
        ],
        widget=forms.RadioSelect,
        initial=MODE_LINES,
    )
    line_ids = forms.MultipleChoiceField(
        label=_("Lines to settle"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("A ticked line is paid already or not this unit's; reload the page.")},
    )
    amount = YuanField(label=_("Amount received (yuan)"))
    method = forms.ChoiceField(label=_("Method"), choices=COUNTER_METHODS)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=80,
        required=False,
        help_text=_("Receipt, POS slip or bank transaction number."),
    )
    payer_name = forms.CharField(label=_("Payer"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    remainder_to_prepaid = forms.BooleanField(
        label=_("Put the remainder to the prepaid balance (余额转预收)"),
        required=False,
        help_text=_("Needed when the amount is more than the ticked lines owe."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args: Any, lines: Iterable[BillLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        self.owed_by_id = {str(line.pk): int(line.owed) for line in self.lines}  # type: ignore[attr-defined]
        field = self.fields["line_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(line.pk), str(line)) for line in self.lines]
        if not self.is_bound:
            self.initial.setdefault("line_ids", list(self.owed_by_id))
            self.initial.setdefault("mode", self.MODE_LINES if self.lines else self.MODE_TOPUP)
            self.initial.setdefault("idempotency_key", new_idempotency_key())
            if self.lines:
                self.initial.setdefault("amount", sum(self.owed_by_id.values()))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("idempotency_key") or ""
        if not IDEMPOTENCY_KEY.match(key):
            self.add_error(None, _("This form has expired. Check the amounts and submit it again."))
        if data.get("mode") == self.MODE_TOPUP:
            # A top-up settles no line: ticked boxes (perhaps of lines paid meanwhile) do not matter.
            self.errors.pop("line_ids", None)
            data["line_ids"] = []
        if data.get("mode") == self.MODE_LINES and "line_ids" in data:
            chosen = data.get("line_ids") or []
            if not chosen:
                self.add_error("line_ids", _("Tick the lines this payment settles, or choose to top up only."))
            elif data.get("amount") and not data.get("remainder_to_prepaid"):
                owed = sum(self.owed_by_id.get(i, 0) for i in chosen)
                if data["amount"] > owed:
                    self.add_error(
                        "amount",
                        _(
                            "%(amount)s is more than the ticked lines owe (%(owed)s). Tick 'put the remainder to "
                            "the prepaid balance' or enter less."
                        )
                        % {"amount": yuan(data["amount"]), "owed": yuan(owed)},
                    )
        return data

    @property
    def chosen_ids(self) -> set[str]:
        if self.is_bound:
            return set(self.data.getlist(self.add_prefix("line_ids")))  # type: ignore[attr-defined]
        return set(self.initial.get("line_ids") or [])


class WaiverRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=LedgerEntry.WaiverKind.choices,
        widget=forms.RadioSelect,
        initial=LedgerEntry.WaiverKind.WAIVER,
        help_text=_(
            "A waiver (减免) lowers what is still owed. A correction (红冲) reverses a wrong charge, even a paid "
            "one: the paid part goes to the prepaid balance."
        ),
    )
    amount = YuanField(label=_("Amount (yuan)"))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class WaiverDecisionForm(forms.Form):
    waiver = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the waiver is rejected."))
        return data


class DepositHoldForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), max_length=100, help_text=_("e.g. 装修保证金 (renovation deposit)"))
    amount = YuanField(label=_("Amount (yuan)"))
    method = forms.ChoiceField(label=_("Method"), choices=COUNTER_METHODS)
    reference = forms.CharField(label=_("Reference"), max_length=80, required=False)
    payer_name = forms.CharField(label=_("Payer"), max_length=60, required=False)


class DepositReleaseForm(forms.Form):
    deposit = forms.IntegerField(widget=forms.HiddenInput)
    refund = YuanField(label=_("Refund (yuan)"), required=False, empty_zero=True, positive=False)
    forfeit = YuanField(label=_("Forfeit (yuan)"), required=False, empty_zero=True, positive=False)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "refund" in data and "forfeit" in data and not (data["refund"] or data["forfeit"]):
            self.add_error("refund", _("Refund or forfeit an amount above zero."))
        return data


class AdhocChargeForm(forms.Form):
    fee_item = forms.ChoiceField(label=_("Fee item"))
    amount = YuanField(label=_("Amount (yuan)"))
    description = forms.CharField(
        label=_("Description"), max_length=200, help_text=_("e.g. 装修垃圾清运 3 车 (renovation debris, 3 loads)")
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: today."),
    )

    def __init__(self, *args: Any, items: Iterable[FeeItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = {str(item.pk): item for item in items}
        field = self.fields["fee_item"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(pk, f"{item.name} ({item.code})") for pk, item in self.items.items()]

    def clean_fee_item(self) -> FeeItem:
        return self.items[self.cleaned_data["fee_item"]]


class BillingSettingsForm(forms.Form):
    billing_day = forms.IntegerField(
        label=_("Bill run day of the month"),
        min_value=1,
        max_value=28,
        help_text=_("1–28, so that every month has it."),
    )
    payment_due_day = forms.IntegerField(
        label=_("Payment due day of the month"),
        min_value=1,
        max_value=31,
        help_text=_("In shorter months the last day of the month."),
    )
    auto_bill_run = forms.BooleanField(label=_("Run bills automatically on the billing day"), required=False)
    settlement_order = forms.ChoiceField(
        label=_("The prepaid balance settles"), choices=SettlementOrder.choices, widget=forms.RadioSelect
    )
    meter_anomaly_ratio = forms.DecimalField(
        label=_("Flag meter usage above this multiple of the unit's average"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("1.01"),
        max_value=Decimal("999.99"),
    )
    reminders_enabled = forms.BooleanField(label=_("Send payment reminders"), required=False)
    remind_days_before_due = forms.IntegerField(
        label=_("Remind this many days before the due date"), min_value=0, max_value=60
    )
    remind_on_overdue = forms.BooleanField(label=_("Remind on the day a bill becomes overdue"), required=False)
    remind_every_days = forms.IntegerField(label=_("Then remind every N days"), min_value=1, max_value=90)
    remind_max_per_week = forms.IntegerField(label=_("At most this many reminders a week"), min_value=1, max_value=7)
    remind_hour_from = forms.IntegerField(label=_("Send reminders from (hour)"), min_value=0, max_value=23)
    remind_hour_to = forms.IntegerField(label=_("Send reminders until (hour)"), min_value=1, max_value=24)
    sanctions = forms.MultipleChoiceField(
        label=_("Sanctions for units in arrears"),
        choices=Sanction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Never water, power or heating."),
    )
    sanction_min_overdue_days = forms.IntegerField(
        label=_("Sanctions apply after this many overdue days"), min_value=1, max_value=3650
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("remind_hour_from"), data.get("remind_hour_to")
        if start is not None and end is not None and start >= end:
            self.add_error("remind_hour_to", _("The end hour must come after the start hour."))
        return data
