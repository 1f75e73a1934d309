"""Amounts in yuan and the payment form, shared by the pages that take money: recording a payment at a unit
(staff/billing) and the cashier's counter (staff/payments). The ledger services decide and write."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.billing.models import BillLine, Payment
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
