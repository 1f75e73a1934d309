"""Every payment in the caller's scope, filtered by day range, method, channel, cashier and unit; one
payment (what it settled, its receipt, its online payment, its refunds) with a refund form.

Every lookup by id goes through the caller's data scope (404 outside it); writes go through backend/payments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.models import LedgerEntry, Payment
from backend.billing.money import yuan
from backend.errors import ApplicationError
from backend.payments import reports
from backend.payments.models import Refund
from backend.payments.refunds import refund_create, refund_left
from portal.access import permission_check, permission_required
from portal.common.forms import add_service_errors
from portal.common.links import receipt_url, statement_url
from portal.common.scope import scope_of
from portal.staff.payments.forms import PaymentFilterForm, RefundForm
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/payments"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- payments list ---------------------------------------------------------------------------------------


@permission_required(perms.PAYMENTS_READ)
def payment_list(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
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
        reports.payments_in_scope(scope_of(request))
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
            "receipt_url": receipt_url(receipt.pk) if receipt is not None else None,
            "online": getattr(payment, "online", None),
            "refunds": Refund.objects.filter(payment=payment).select_related("requested_by").order_by("created_at"),
            "refundable": left,
            "can_refund": left > 0 and not voided and perms.PAYMENT_RECORD.granted_to(request.membership),
            "form": form,
            "statement_url": statement_url(payment.unit_id),
        },
        status=400 if request.method == "POST" else 200,
    )
