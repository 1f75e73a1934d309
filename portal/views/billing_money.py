"""Portal pages: billing (money operations) — record a payment, waivers with approval, deposits, one-off charges
and the company's billing settings. Every write goes through backend/billing/ledger.py (validates, locks the
unit, audits); every lookup by id goes through the caller's data scope (404 outside it).
Routes are added to portal/urls_tenant.py through `urlpatterns`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts.roles import Role
from backend.audit.services import audit_record
from backend.billing import ledger
from backend.billing.models import BillingSettings, BillLine, Deposit, FeeItem, LedgerEntry, Payment, WaiverRequest
from backend.billing.money import yuan
from backend.billing.selectors import (
    bill_lines_for,
    lines_with_balances,
    owed_lines,
    payment_unallocated,
    unit_account,
    unit_deposits,
)
from backend.errors import ApplicationError
from backend.properties.models import Unit
from backend.properties.scope import Scope
from portal.forms import add_service_errors
from portal.forms_billing_money import (
    AdhocChargeForm,
    BillingSettingsForm,
    DepositHoldForm,
    DepositReleaseForm,
    PaymentForm,
    WaiverDecisionForm,
    WaiverRequestForm,
)
from tenants.company.models import CompanySettings
from tenants.company.selectors import company_settings_get
from tenants.http import CompanyRequest

from ..access import role_required

MONEY_ROLES = frozenset({Role.FINANCE, Role.COMPANY_ADMIN})
WAIVER_REQUEST_ROLES = frozenset({Role.FINANCE, Role.COMPANY_ADMIN, Role.CUSTOMER_SERVICE})

money_staff = role_required(MONEY_ROLES)
waiver_requesters = role_required(WAIVER_REQUEST_ROLES)

TEMPLATES = "portal/billing/money"


# --- lookups through the data scope ----------------------------------------------------------------------


def _scope(request: CompanyRequest) -> Scope:
    return Scope.of(request.membership)


def _units(request: CompanyRequest) -> QuerySet[Unit]:
    return _scope(request).filter_units(Unit.objects.all())


def _unit_or_404(request: CompanyRequest, pk: int) -> Unit:
    unit = _units(request).select_related("office", "estate", "building").filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def _statement_url(unit_id: int) -> str | None:
    """The unit's statement page (another module's); None while it does not exist."""
    try:
        return reverse("portal:billing-statement", args=[unit_id])
    except NoReverseMatch:
        return None


def _unit_context(unit: Unit) -> dict[str, Any]:
    return {"unit": unit, "account": unit_account(unit.pk)}


# --- record a payment (收款) ------------------------------------------------------------------------------


def _lines_oldest_first(unit: Unit) -> list[BillLine]:
    return owed_lines(unit.pk, order="oldest_first")


def _show_payment(unit: Unit, payment: Payment) -> HttpResponse:
    return redirect(f"{reverse('portal:billing-payment-record', args=[unit.pk])}?payment={payment.pk}")


def _already_recorded(unit: Unit, key: str) -> HttpResponse | None:
    payment = Payment.objects.filter(unit=unit, idempotency_key=key).first() if key else None
    return _show_payment(unit, payment) if payment is not None else None


@money_staff
@require_http_methods(["GET", "POST"])
def payment_record(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = _unit_or_404(request, pk)
    if request.method == "POST" and (done := _already_recorded(unit, request.POST.get("idempotency_key", ""))):
        # The same form sent twice (a double click, a reload): the payment exists, show it.
        messages.info(request, _("This payment was recorded already."))
        return done
    lines = _lines_oldest_first(unit)
    form = PaymentForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        topup = data["mode"] == PaymentForm.MODE_TOPUP
        try:
            payment = ledger.payment_record(
                unit=unit,
                amount=data["amount"],
                method=data["method"],
                channel=Payment.Channel.COUNTER,
                line_ids=None if topup else [int(i) for i in data["line_ids"]],
                to_prepaid=topup,
                reference=data["reference"],
                payer_name=data["payer_name"],
                note=data["note"],
                recorded_by=request.user,
                idempotency_key=data["idempotency_key"],
            ).payment
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Payment of %(amount)s recorded.") % {"amount": yuan(payment.amount)})
            return _show_payment(unit, payment)
    if request.method == "POST" and (done := _already_recorded(unit, request.POST.get("idempotency_key", ""))):
        return done  # a twin request won the race while this one was being checked
    result = None
    shown = request.GET.get("payment", "")
    if request.method == "GET" and shown.isdigit():
        recorded = Payment.objects.filter(unit=unit, pk=int(shown)).first()
        if recorded is not None:
            settled = (
                LedgerEntry.objects.filter(payment=recorded, kind=LedgerEntry.Kind.SETTLE)
                .select_related("bill_line__fee_item")
                .order_by("id")
            )
            result = {"payment": recorded, "settled": settled, "to_prepaid": payment_unallocated(recorded.pk)}
    return render(
        request,
        f"{TEMPLATES}/payment.html",
        {
            **_unit_context(unit),
            "form": form,
            "lines": lines,
            "chosen": form.chosen_ids,
            "mode_fields": [form["mode"]],
            "fields": [form[n] for n in ("amount", "method", "reference", "payer_name", "note")],
            "remainder": [form["remainder_to_prepaid"]],
            "result": result,
            "statement_url": _statement_url(unit.pk),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- waivers (减免 / 红冲) with approval -------------------------------------------------------------------


@waiver_requesters
@require_http_methods(["GET", "POST"])
def waiver_request(request: CompanyRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    line = (
        lines_with_balances(bill_lines_for(scope, BillLine.objects.filter(pk=pk)))
        .select_related("fee_item", "unit")
        .first()
    )
    if line is None:
        raise Http404
    form = WaiverRequestForm(request.POST or None, initial={"amount": int(line.owed) or None})  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ledger.waiver_request(
                line=line, amount=data["amount"], reason=data["reason"], by=request.user, kind=data["kind"]
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Waiver requested. A second person approves it."))
            return redirect("portal:billing-waiver-request", pk=line.pk)
    return render(
        request,
        f"{TEMPLATES}/waiver_request.html",
        {
            "line": line,
            "unit": line.unit,
            "form": form,
            "requests": WaiverRequest.objects.filter(bill_line=line).select_related("requested_by", "decided_by"),
            "statement_url": _statement_url(line.unit_id),
            "may_decide": request.membership is not None and request.membership.has_any_role(MONEY_ROLES),
        },
        status=400 if request.method == "POST" else 200,
    )


def _waivers_in_scope(request: CompanyRequest) -> QuerySet[WaiverRequest]:
    return WaiverRequest.objects.filter(bill_line__unit__in=_units(request)).select_related(
        "bill_line__fee_item", "bill_line__unit", "requested_by", "decided_by"
    )


@money_staff
@require_http_methods(["GET", "POST"])
def waivers(request: CompanyRequest) -> HttpResponse:
    """Pending waivers to approve or reject (four-eyes: not the requester), and the ones decided."""
    failed: dict[int, WaiverDecisionForm] = {}
    status = 200
    if request.method == "POST":
        raw = request.POST.get("waiver", "")
        waiver = _waivers_in_scope(request).filter(pk=int(raw)).first() if raw.isdigit() else None
        if waiver is None:
            raise Http404
        form = WaiverDecisionForm(request.POST)
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            try:
                ledger.waiver_decide(request=waiver, by=request.user, approve=approve, note=form.cleaned_data["note"])
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                if approve:
                    messages.success(
                        request,
                        _("Approved: %(amount)s credited to %(unit)s.")
                        % {"amount": yuan(waiver.amount), "unit": waiver.bill_line.unit.label},
                    )
                else:
                    messages.success(request, _("Rejected. The requester has been told why."))
                return redirect("portal:billing-waivers")
        failed[waiver.pk] = form
        status = 400
    pending = lines_and_owed(
        _waivers_in_scope(request).filter(status=WaiverRequest.Status.PENDING).order_by("requested_at", "id")
    )
    decided = _waivers_in_scope(request).exclude(status=WaiverRequest.Status.PENDING).order_by("-decided_at", "-id")
    page = Paginator(decided, 30).get_page(request.GET.get("page"))
    return render(
        request,
        f"{TEMPLATES}/waivers.html",
        {
            "pending": pending,
            "page": page,
            "failed": failed,
            # a decision on a waiver no longer pending (decided meanwhile by someone else): say so on top
            "stray": [form for pk, form in failed.items() if pk not in {w.pk for w in pending}],
            "query": "",
        },
        status=status,
    )


def lines_and_owed(waivers_qs: QuerySet[WaiverRequest]) -> list[WaiverRequest]:
    """The waivers with their line's current owed amount (`line_owed`), for the approver to compare."""
    rows = list(waivers_qs)
    lines = lines_with_balances(BillLine.objects.filter(pk__in={w.bill_line_id for w in rows}))
    owed = {line.pk: line.owed for line in lines}  # type: ignore[attr-defined]
    for w in rows:
        w.line_owed = int(owed.get(w.bill_line_id, 0))  # type: ignore[attr-defined]
    return rows


# --- deposits (押金 / 保证金) ----------------------------------------------------------------------------


@money_staff
@require_http_methods(["GET", "POST"])
def deposits(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = _unit_or_404(request, pk)
    hold = DepositHoldForm(prefix="hold")
    release_forms: dict[int, DepositReleaseForm] = {}
    status = 200
    if request.method == "POST":
        status = 400
        if request.POST.get("action") == "release":
            release = DepositReleaseForm(request.POST, prefix="release")
            deposit_id = request.POST.get("release-deposit", "")
            deposit = Deposit.objects.filter(unit=unit, pk=int(deposit_id)).first() if deposit_id.isdigit() else None
            if deposit is None:
                raise Http404
            release_forms[deposit.pk] = release
            if release.is_valid():
                data = release.cleaned_data
                try:
                    ledger.deposit_release(
                        deposit=deposit,
                        refund=data["refund"],
                        forfeit=data["forfeit"],
                        reason=data["reason"],
                        by=request.user,
                    )
                except ApplicationError as error:
                    add_service_errors(release, error)
                else:
                    messages.success(
                        request,
                        _("Deposit released: %(refund)s refunded, %(forfeit)s forfeited.")
                        % {"refund": yuan(data["refund"]), "forfeit": yuan(data["forfeit"])},
                    )
                    return redirect("portal:billing-deposits", pk=unit.pk)
        else:
            hold = DepositHoldForm(request.POST, prefix="hold")
            if hold.is_valid():
                data = hold.cleaned_data
                try:
                    deposit = ledger.deposit_hold(unit=unit, by=request.user, **data)
                except ApplicationError as error:
                    add_service_errors(hold, error)
                else:
                    messages.success(
                        request,
                        _("Deposit of %(amount)s held for %(purpose)s.")
                        % {"amount": yuan(deposit.amount), "purpose": deposit.purpose},
                    )
                    return redirect("portal:billing-deposits", pk=unit.pk)
    rows = unit_deposits(unit.pk)
    for row in rows:
        d = row["deposit"]
        row["release"] = release_forms.get(d.pk) or DepositReleaseForm(prefix="release", initial={"deposit": d.pk})
    return render(
        request,
        f"{TEMPLATES}/deposits.html",
        {**_unit_context(unit), "rows": rows, "hold": hold, "statement_url": _statement_url(unit.pk)},
        status=status,
    )


# --- one-off charges (临时费用) ---------------------------------------------------------------------------


@money_staff
@require_http_methods(["GET", "POST"])
def adhoc_charge(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = _unit_or_404(request, pk)
    items = FeeItem.objects.filter(office_id=unit.office_id, is_active=True).order_by("priority", "code")
    form = AdhocChargeForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            line = ledger.adhoc_charge_post(
                unit=unit,
                fee_item=data["fee_item"],
                amount=data["amount"],
                description=data["description"],
                due_date=data["due_date"],
                by=request.user,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            owed = int(lines_with_balances(BillLine.objects.filter(pk=line.pk)).get().owed)  # type: ignore[attr-defined]
            text = _("One-off charge of %(amount)s posted.") % {"amount": yuan(line.amount)}
            if owed < line.amount:
                text += " " + _("%(settled)s of it was settled from the prepaid balance.") % {
                    "settled": yuan(line.amount - owed)
                }
            messages.success(request, text)
            return redirect("portal:billing-adhoc", pk=unit.pk)
    recent = lines_with_balances(
        BillLine.objects.filter(unit=unit, kind=BillLine.Kind.ADHOC).select_related("fee_item")
    ).order_by("-created_at", "-id")[:20]
    return render(
        request,
        f"{TEMPLATES}/adhoc.html",
        {
            **_unit_context(unit),
            "form": form,
            "recent": recent,
            "has_items": bool(form.items),
            "statement_url": _statement_url(unit.pk),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- billing settings ------------------------------------------------------------------------------------

BILLING_FIELDS = (
    "auto_bill_run",
    "settlement_order",
    "meter_anomaly_ratio",
    "reminders_enabled",
    "remind_days_before_due",
    "remind_on_overdue",
    "remind_every_days",
    "remind_max_per_week",
    "remind_hour_from",
    "remind_hour_to",
    "sanctions",
    "sanction_min_overdue_days",
)
COMPANY_FIELDS = ("billing_day", "payment_due_day")


def _settings_values(billing: BillingSettings, company: CompanySettings) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(billing, k) for k in BILLING_FIELDS}
    values.update({k: getattr(company, k) for k in COMPANY_FIELDS})
    values["sanctions"] = sorted(values["sanctions"] or [])
    return values


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, bool | int | str | list) or v is None else str(v)) for k, v in values.items()}


def billing_settings_update(data: dict[str, Any]) -> dict[str, Any]:
    """Save the company's billing settings; audited with what changed (before → after). Returns the changes."""
    with transaction.atomic():
        billing = BillingSettings.objects.select_for_update().get(pk=BillingSettings.load().pk)
        company = CompanySettings.objects.select_for_update().get(pk=company_settings_get().pk)
        before = _settings_values(billing, company)
        after = {**before, **{k: data[k] for k in (*BILLING_FIELDS, *COMPANY_FIELDS) if k in data}}
        after["sanctions"] = sorted(after["sanctions"] or [])
        changed = [k for k in after if after[k] != before[k]]
        if not changed:
            return {}
        for k in BILLING_FIELDS:
            setattr(billing, k, after[k])
        for k in COMPANY_FIELDS:
            setattr(company, k, after[k])
        billing.save()
        company.save()
        changes = {
            "before": _jsonable({k: before[k] for k in changed}),
            "after": _jsonable({k: after[k] for k in changed}),
        }
        audit_record(
            action="billing.settings_update",
            target=billing,
            object_repr=_("Billing settings"),
            changes=changes,
        )
    return changes


@money_staff
@require_http_methods(["GET", "POST"])
def billing_settings(request: CompanyRequest) -> HttpResponse:
    current = _settings_values(BillingSettings.load(), company_settings_get())
    form = BillingSettingsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        changes = billing_settings_update(form.cleaned_data)
        messages.success(request, _("Billing settings saved.") if changes else _("Nothing changed."))
        return redirect("portal:billing-settings")
    groups = [
        (_("Bill runs"), ["billing_day", "payment_due_day", "auto_bill_run", "meter_anomaly_ratio"]),
        (_("Prepaid balance (预收)"), ["settlement_order"]),
        (
            _("Payment reminders (催缴)"),
            [
                "reminders_enabled",
                "remind_days_before_due",
                "remind_on_overdue",
                "remind_every_days",
                "remind_max_per_week",
                "remind_hour_from",
                "remind_hour_to",
            ],
        ),
        (_("Sanctions"), ["sanctions", "sanction_min_overdue_days"]),
    ]
    return render(
        request,
        f"{TEMPLATES}/settings.html",
        {"form": form, "groups": [(title, [form[n] for n in names]) for title, names in groups]},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns: list[URLPattern] = [
    path("staff/billing/units/<int:pk>/payment/", payment_record, name="billing-payment-record"),
    path("staff/billing/units/<int:pk>/deposits/", deposits, name="billing-deposits"),
    path("staff/billing/units/<int:pk>/adhoc/", adhoc_charge, name="billing-adhoc"),
    path("staff/billing/lines/<int:pk>/waiver/", waiver_request, name="billing-waiver-request"),
    path("staff/billing/waivers/", waivers, name="billing-waivers"),
    path("staff/billing/settings/", billing_settings, name="billing-settings"),
]
