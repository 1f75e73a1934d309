"""Forms of the staff payment pages: the counter's payment, voiding a receipt, closing a day, filtering
receipts and payments, refunds, the payment settings and the company's own Stripe keys."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.billing.models import Payment
from backend.billing.money import parse_yuan
from backend.payments.configuration import PREFIX_RE, SETTINGS_FIELDS
from backend.payments.models import PaymentSettings, Receipt
from portal.common.money_forms import PaymentForm

# What a cashier takes at the window (bank collection 托收 is imported, not typed in here).
WINDOW_METHODS = [
    (Payment.Method.CASH.value, Payment.Method.CASH.label),
    (Payment.Method.POS.value, Payment.Method.POS.label),
    (Payment.Method.BANK_TRANSFER.value, Payment.Method.BANK_TRANSFER.label),
    (Payment.Method.REMOTE_TRANSFER.value, Payment.Method.REMOTE_TRANSFER.label),
]


class CounterPaymentForm(PaymentForm):
    """The money page's payment form with the window's methods; the service requires a reference for all
    but cash."""

    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=WINDOW_METHODS)
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("POS slip or bank transaction number (not needed for cash)."),
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for voiding"),
        max_length=300,
        required=False,  # the service says what is missing, in one place
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DayCloseForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    cashier = forms.TypedChoiceField(label=gettext_lazy("Cashier"), coerce=int)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, cashiers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cashier"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = cashiers


class ReceiptFilterForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    cashier = forms.TypedChoiceField(label=gettext_lazy("Cashier"), coerce=int, required=False, empty_value=None)
    method = forms.ChoiceField(label=gettext_lazy("Method"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    q = forms.CharField(label=gettext_lazy("Receipt number"), max_length=40, required=False)

    def __init__(self, *args: Any, cashiers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = [("", _("All"))]
        self.fields["cashier"].choices = [*everyone, *cashiers]  # type: ignore[attr-defined]
        self.fields["method"].choices = [*everyone, *Payment.Method.choices]  # type: ignore[attr-defined]
        self.fields["status"].choices = [*everyone, *Receipt.Status.choices]  # type: ignore[attr-defined]


class PaymentFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=gettext_lazy("Method"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    cashier = forms.TypedChoiceField(label=gettext_lazy("Cashier"), required=False, coerce=int, empty_value=None)
    unit = forms.CharField(label=gettext_lazy("Unit"), required=False, max_length=60)

    def __init__(self, *args: Any, cashiers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        self.fields["method"].choices = anything + list(Payment.Method.choices)  # type: ignore[attr-defined]
        self.fields["channel"].choices = anything + list(Payment.Channel.choices)  # type: ignore[attr-defined]
        self.fields["cashier"].choices = anything + [(str(pk), name) for pk, name in cashiers]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The last day comes after the first."))
        return data


class RefundForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Amount to refund (¥)"), max_length=20)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)

    def clean_amount(self) -> int:
        try:
            fen = parse_yuan(self.cleaned_data.get("amount"))
        except ValueError as error:
            raise forms.ValidationError(_(str(error))) from None
        if fen <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        return fen

    def clean_reason(self) -> str:
        reason = (self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for the refund."))
        return reason


class PaymentSettingsForm(forms.ModelForm):
    class Meta:
        model = PaymentSettings
        fields = list(SETTINGS_FIELDS)
        help_texts = {
            "receipt_prefix": gettext_lazy("Letters and digits only, at most 10."),
            "receipt_digits": gettext_lazy("From 3 to 10; the sequence starts again at 1 each year."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receipt_digits"].widget.attrs.update({"min": 3, "max": 10})
        self.fields["followup_minutes"].widget.attrs.update({"min": 1})

    def clean_receipt_prefix(self) -> str:
        prefix = (self.cleaned_data.get("receipt_prefix") or "").strip()
        if not PREFIX_RE.match(prefix):
            raise forms.ValidationError(_("Use at most 10 letters and digits, nothing else."))
        return prefix

    def clean_receipt_digits(self) -> int:
        digits = self.cleaned_data.get("receipt_digits")
        if digits is None or not 3 <= digits <= 10:
            raise forms.ValidationError(_("Between 3 and 10 digits."))
        return int(digits)

    def clean_followup_minutes(self) -> int:
        minutes = self.cleaned_data.get("followup_minutes")
        if minutes is None or minutes < 1:
            raise forms.ValidationError(_("At least one minute."))
        return int(minutes)


class StripeAccountForm(forms.Form):
    """The company's own Stripe keys. Secrets are write-only: blank keeps the stored one."""

    secret_key = forms.CharField(
        label=gettext_lazy("Secret key"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    publishable_key = forms.CharField(label=gettext_lazy("Publishable key"), required=False, max_length=200)
    webhook_secret = forms.CharField(
        label=gettext_lazy("Webhook signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    api_base = forms.URLField(label=gettext_lazy("API base URL"), required=False, assume_scheme="https")
    remove = forms.BooleanField(
        label=gettext_lazy("Stop using our own account (delete the keys; the platform's account is used)"),
        required=False,
    )

    def clean_secret_key(self) -> str:
        key = (self.cleaned_data.get("secret_key") or "").strip()
        if key and not key.startswith(("sk_", "rk_")):
            raise forms.ValidationError(_("A Stripe secret key starts with sk_ (or rk_ for a restricted key)."))
        return key

    def clean_publishable_key(self) -> str:
        key = (self.cleaned_data.get("publishable_key") or "").strip()
        if key and not key.startswith("pk_"):
            raise forms.ValidationError(_("A Stripe publishable key starts with pk_."))
        return key

    def clean_webhook_secret(self) -> str:
        secret = (self.cleaned_data.get("webhook_secret") or "").strip()
        if secret and not secret.startswith("whsec_"):
            raise forms.ValidationError(_("A Stripe webhook signing secret starts with whsec_."))
        return secret
