"""Portal pages: payments for finance (finance and company admins). Routes are added to portal/urls_tenant.py
through `urlpatterns`.

- payments-list: every payment in the caller's scope, filtered by day range, method, channel, cashier, unit
- payments-detail: one payment (what it settled, its receipt, its online payment, its refunds) and a refund form
- payments-followup: online payments whose webhook never came (re-check against Stripe), and the company's
  flagged or failed webhook events (process again)
- payments-report: money received over a day range by day, method, cashier and channel, refunds, net; .xlsx
- payments-settings: receipt numbering, online methods, follow-up delay; company admins: own Stripe keys

Every lookup by id goes through the caller's data scope (404 outside it); writes go through backend/payments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.models import LedgerEntry, Payment
from backend.billing.money import parse_yuan, yuan
from backend.errors import ApplicationError
from backend.gateway.config import stripe_config
from backend.gateway.models import StripeAccount, WebhookEvent
from backend.payments import reports
from backend.payments.configuration import (
    PREFIX_RE,
    SETTINGS_FIELDS,
    payment_settings_update,
    stripe_account_update,
)
from backend.payments.models import OnlinePayment, PaymentSettings, ReceiptCounter, Refund
from backend.payments.online import online_payment_refresh
from backend.payments.receipts import receipt_number
from backend.payments.refunds import refund_create, refund_left
from backend.properties.scope import Scope
from portal.forms import add_service_errors
from tenants.db import connection
from tenants.http import CompanyRequest

from ..access import permission_check, permission_required

TEMPLATES = "portal/payments/finance"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(request: CompanyRequest) -> Scope:
    return Scope.of(request.membership)


def _receipt_url(receipt_id: int) -> str | None:
    """The receipt page (another module's); None while it does not exist."""
    try:
        return reverse("portal:payments-receipt", args=[receipt_id])
    except NoReverseMatch:
        return None


def _statement_url(unit_id: int) -> str | None:
    try:
        return reverse("portal:billing-statement", args=[unit_id])
    except NoReverseMatch:
        return None


# --- forms -----------------------------------------------------------------------------------------------


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


# --- payments list ---------------------------------------------------------------------------------------


@permission_required(perms.PAYMENTS_READ)
def payment_list(request: CompanyRequest) -> HttpResponse:
    scope = _scope(request)
    form = PaymentFilterForm(request.GET or None, cashiers=reports.cashiers_in_scope(scope))
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    days = None
    start: dt.date | None = data.get("start") or data.get("end")
    end: dt.date | None = data.get("end") or start
    if start is not None and end is not None:
        days = reports.DayRange(start, end)
    qs = reports.payment_list(
        scope=scope,
        days=days,
        method=data.get("method") or "",
        channel=data.get("channel") or "",
        cashier_id=data.get("cashier"),
        unit_text=data.get("unit") or "",
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = urlencode({k: str(v) for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        f"{TEMPLATES}/list.html",
        {"form": form, "page": page, "totals": reports.payment_totals(qs), "query": query},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- one payment, refunds --------------------------------------------------------------------------------


def _payment_or_404(request: CompanyRequest, pk: int) -> Payment:
    payment = (
        reports.payments_in_scope(_scope(request))
        .select_related("unit", "recorded_by", "receipt", "online")
        .filter(pk=pk)
        .first()
    )
    if payment is None:
        raise Http404
    return payment


def _settled_lines(payment: Payment) -> list[dict[str, Any]]:
    """The bill lines the payment settled, net of any settlement reversed since (unsettle)."""
    rows = (
        LedgerEntry.objects.filter(payment=payment, kind__in=[LedgerEntry.Kind.SETTLE, LedgerEntry.Kind.UNSETTLE])
        .values(
            "bill_line_id",
            "bill_line__fee_item__name",
            "bill_line__description",
            "bill_line__period_start",
            "bill_line__period_end",
        )
        .annotate(
            settled=Sum("amount", filter=Q(kind=LedgerEntry.Kind.SETTLE)),
            unsettled=Sum("amount", filter=Q(kind=LedgerEntry.Kind.UNSETTLE)),
        )
        .order_by("bill_line__period_start", "bill_line_id")
    )
    out = []
    for r in rows:
        settled, unsettled = int(r["settled"] or 0), int(r["unsettled"] or 0)
        out.append(
            {
                "line_id": r["bill_line_id"],
                "name": r["bill_line__fee_item__name"],
                "description": r["bill_line__description"],
                "period_start": r["bill_line__period_start"],
                "period_end": r["bill_line__period_end"],
                "settled": settled,
                "unsettled": unsettled,
                "net": settled - unsettled,
            }
        )
    return out


@permission_required(perms.PAYMENTS_READ)
@require_http_methods(["GET", "POST"])
def payment_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    payment = _payment_or_404(request, pk)
    receipt = getattr(payment, "receipt", None)
    form = RefundForm(request.POST or None)
    if request.method == "POST":
        permission_check(request, perms.PAYMENT_RECORD)
    if request.method == "POST" and form.is_valid():
        try:
            refund = refund_create(
                payment=payment, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"], by=request.user
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            if refund.status == Refund.Status.PENDING:
                text = _("Refund of %(amount)s requested; the gateway is still processing it.")
            else:
                text = _("Refunded %(amount)s.")
            messages.success(request, text % {"amount": yuan(refund.amount)})
            return redirect("portal:payments-detail", pk=payment.pk)
    left = refund_left(payment)  # refunds waiting for Stripe's answer count too
    voided = receipt is not None and receipt.status == "voided"
    return render(
        request,
        f"{TEMPLATES}/detail.html",
        {
            "payment": payment,
            "settled": _settled_lines(payment),
            "receipt": receipt,
            "receipt_url": _receipt_url(receipt.pk) if receipt is not None else None,
            "online": getattr(payment, "online", None),
            "refunds": Refund.objects.filter(payment=payment).select_related("requested_by").order_by("created_at"),
            "refundable": left,
            "can_refund": left > 0 and not voided and perms.PAYMENT_RECORD.granted_to(request.membership),
            "form": form,
            "statement_url": _statement_url(payment.unit_id),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- follow-up -------------------------------------------------------------------------------------------


@permission_required(perms.PAYMENTS_READ)
@require_http_methods(["GET", "POST"])
def followup(request: CompanyRequest) -> HttpResponse:
    scope = _scope(request)
    if request.method == "POST":
        permission_check(request, perms.PAYMENT_RECORD)
        action = request.POST.get("action", "")
        raw = request.POST.get("pk", "")
        if not raw.isdigit():
            raise Http404
        if action == "recheck":
            op = OnlinePayment.objects.filter(scope.unit_q("unit__"), pk=int(raw)).first()
            if op is None:
                raise Http404
            try:
                op = online_payment_refresh(op)
            except ApplicationError as error:  # GatewayUnavailable among them
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("Online payment %(pk)s re-checked: %(status)s.")
                    % {"pk": op.pk, "status": op.get_status_display()},
                )
        elif action == "retry":
            event = reports.webhook_events_to_review(connection.schema_name).filter(pk=int(raw)).first()
            if event is None:
                raise Http404
            try:
                done = _webhook_retry(event.pk)
            finally:
                # It ran in the company's schema and came back; make sure this request is still there.
                connection.set_tenant(request.tenant)
            if done.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
                messages.success(request, _("Webhook event %(id)s processed.") % {"id": done.event_id})
            else:
                messages.error(
                    request,
                    _("Webhook event %(id)s is still %(status)s: %(note)s")
                    % {"id": done.event_id, "status": done.get_status_display(), "note": done.note},
                )
        else:
            raise Http404
        return redirect("portal:payments-followup")
    rule = PaymentSettings.load()
    now = timezone.now()
    stale = list(reports.followup_online_payments(scope=scope, now=now)[:200])
    for op in stale:
        op.age_minutes = int((now - op.confirmed_at).total_seconds() // 60)  # type: ignore[attr-defined,operator]
    events = list(reports.webhook_events_to_review(connection.schema_name)[:100])
    return render(
        request,
        f"{TEMPLATES}/followup.html",
        {"stale": stale, "events": events, "minutes": rule.followup_minutes},
    )


def _webhook_retry(event_pk: int) -> WebhookEvent:
    from backend.gateway.webhooks import webhook_event_process_now

    # The event row lives in the public schema; processing switches into this company's schema itself.
    return webhook_event_process_now(event_pk)


# --- report ----------------------------------------------------------------------------------------------


@permission_required(perms.PAYMENTS_READ)
def report(request: CompanyRequest) -> HttpResponse:
    scope = _scope(request)
    errors: dict[str, list[str]] = {}
    try:
        days = reports.parse_day_range(request.GET)
    except ApplicationError as error:
        errors = error.fields
        days = reports.this_month()
    summary = reports.payments_summary(scope=scope, days=days)
    if request.GET.get("format") == "xlsx" and not errors:
        response = HttpResponse(reports.summary_xlsx(summary), content_type=XLSX)
        name = f"payments-{days.start:%Y%m%d}-{days.end:%Y%m%d}"
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    values = {"start": days.start.isoformat(), "end": days.end.isoformat()}
    if errors:
        values = {k: str(request.GET.get(k, "")) for k in ("start", "end")}
    return render(
        request,
        f"{TEMPLATES}/report.html",
        {
            "summary": summary,
            "errors": errors,
            "values": values,
            "export_url": f"{reverse('portal:payments-report')}?{urlencode({**days.params(), 'format': 'xlsx'})}",
            "list_url": f"{reverse('portal:payments-list')}?{urlencode(days.params())}",
            "sections": [
                (_("By method"), _("Method"), summary.by_method),
                (_("By cashier"), _("Cashier"), summary.by_cashier),
                (_("By channel"), _("Channel"), summary.by_channel),
            ],
        },
        status=400 if errors else 200,
    )


# --- settings --------------------------------------------------------------------------------------------


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


urlpatterns: list[URLPattern] = [
    path("staff/payments/", payment_list, name="payments-list"),
    path("staff/payments/<int:pk>/", payment_detail, name="payments-detail"),
    path("staff/payments/followup/", followup, name="payments-followup"),
    path("staff/payments/report/", report, name="payments-report"),
    path("staff/payments/settings/", payment_settings, name="payments-settings"),
]
