"""The payment settings page: receipt numbering (单据编码规则), online methods, the follow-up delay; company
admins also set the company's own Stripe keys here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.gateway.config import stripe_config
from backend.gateway.models import StripeAccount
from backend.payments.configuration import payment_settings_update, stripe_account_update
from backend.payments.models import PaymentSettings, ReceiptCounter
from backend.payments.receipts import receipt_number
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.staff.payments.forms import PaymentSettingsForm, StripeAccountForm
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/payments"


def _next_sequence() -> int:
    """The sequence number the next receipt of this year would take (an example: nothing is reserved)."""
    year = timezone.localdate().year
    return (ReceiptCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0) + 1


def _gateway_in_use(request: CompanyRequest) -> dict[str, Any]:
    config = stripe_config(request.tenant.pk)
    if not config.configured:
        kind, label = "none", _("Not configured: residents cannot pay online until keys are set.")
    elif config.own_account:
        kind, label = "own", _("The company's own Stripe account")
    elif config.is_local:
        kind, label = "local", _("Local test gateway (localstripe): no real money moves")
    else:
        kind, label = "platform", _("The platform's Stripe account")
    return {"kind": kind, "label": label, "api_base": config.api_base, "local": config.is_local}


def _last4(secret: str) -> str:
    return f"…{secret[-4:]}" if secret else ""


@permission_required(perms.PAYMENT_SETTINGS)
@require_http_methods(["GET", "POST"])
def payment_settings(request: CompanyRequest) -> HttpResponse:
    admin = perms.STRIPE_ACCOUNT.granted_to(request.membership)
    rule = PaymentSettings.load()
    account = StripeAccount.objects.filter(tenant=request.tenant).first() if admin else None
    which = request.POST.get("form", "settings") if request.method == "POST" else ""
    form = PaymentSettingsForm(request.POST if which == "settings" else None, instance=rule, prefix="rule")
    stripe_form = None
    if admin:
        initial = {"publishable_key": account.publishable_key, "api_base": account.api_base} if account else {}
        stripe_form = StripeAccountForm(request.POST if which == "stripe" else None, initial=initial, prefix="stripe")
    if which == "settings" and form.is_valid():
        try:
            changed = payment_settings_update(values=form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Payment settings saved.") if changed else _("Nothing changed."))
            return redirect("portal:payments-settings")
    if which == "stripe":
        if stripe_form is None:
            raise Http404
        if stripe_form.is_valid():
            try:
                changed_keys = stripe_account_update(tenant=request.tenant, **stripe_form.cleaned_data)
            except ApplicationError as error:
                add_service_errors(stripe_form, error)
            else:
                messages.success(request, _("Stripe account saved.") if changed_keys else _("Nothing changed."))
                return redirect("portal:payments-settings")
    example_rule = rule
    if which == "settings" and form.is_bound:
        # Show the example for what was typed, where it is valid.
        example_rule = PaymentSettings(
            receipt_prefix=form.cleaned_data.get("receipt_prefix", rule.receipt_prefix),
            receipt_date_format=form.cleaned_data.get("receipt_date_format", rule.receipt_date_format),
            receipt_digits=form.cleaned_data.get("receipt_digits", rule.receipt_digits),
        )
    groups = [
        (_("Receipt numbers (单据编码规则)"), ["receipt_prefix", "receipt_date_format", "receipt_digits"]),
        (
            _("Online payment"),
            ["online_enabled", "card_enabled", "alipay_enabled", "wechat_enabled", "autopay_enabled"],
        ),
        (_("Follow-up"), ["followup_minutes"]),
    ]
    today = timezone.localdate()
    sequence = _next_sequence()
    return render(
        request,
        f"{TEMPLATES}/settings.html",
        {
            "form": form,
            "groups": [(title, [form[n] for n in names]) for title, names in groups],
            "example": receipt_number(example_rule, today, sequence),
            "example_date": {
                "YYYYMMDD": f"{today:%Y%m%d}",
                "YYYYMM": f"{today:%Y%m}",
                "YYYY": f"{today:%Y}",
            },
            "next_sequence": sequence,
            "stripe_form": stripe_form,
            "account": account,
            "secret_last4": _last4(account.secret_key) if account else "",
            "webhook_last4": _last4(account.webhook_secret) if account else "",
            "gateway": _gateway_in_use(request),
        },
        status=400 if request.method == "POST" else 200,
    )
