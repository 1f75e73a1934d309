"""Money at a unit: record a payment, hold and release deposits (押金), post one-off charges (临时费用).
Every write goes through backend/billing/ledger.py (validates, locks the unit, audits); every lookup by id
goes through the caller's data scope (404 outside it)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing import ledger
from backend.billing.models import BillLine, Deposit, FeeItem, LedgerEntry, Payment
from backend.billing.money import yuan
from backend.billing.selectors import lines_with_balances, owed_lines, payment_unallocated, unit_account, unit_deposits
from backend.errors import ApplicationError
from backend.properties.models import Unit
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.links import statement_url
from portal.common.money_forms import PaymentForm
from portal.common.scope import unit_in_scope_or_404
from portal.staff.billing.forms import AdhocChargeForm, DepositHoldForm, DepositReleaseForm
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/billing"


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


@permission_required(perms.PAYMENT_RECORD)
@require_http_methods(["GET", "POST"])
def payment_record(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = unit_in_scope_or_404(request, pk)
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
            "statement_url": statement_url(unit.pk),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- deposits (押金 / 保证金) ----------------------------------------------------------------------------


@permission_required(perms.PAYMENT_RECORD)
@require_http_methods(["GET", "POST"])
def deposits(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = unit_in_scope_or_404(request, pk)
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
        {**_unit_context(unit), "rows": rows, "hold": hold, "statement_url": statement_url(unit.pk)},
        status=status,
    )


# --- one-off charges (临时费用) ---------------------------------------------------------------------------


@permission_required(perms.PAYMENT_RECORD)
@require_http_methods(["GET", "POST"])
def adhoc_charge(request: CompanyRequest, pk: int) -> HttpResponse:
    unit = unit_in_scope_or_404(request, pk)
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
            "statement_url": statement_url(unit.pk),
        },
        status=400 if request.method == "POST" else 200,
    )
