"""The cashier's counter (收费窗口): find a home, take the money, show and print the receipt (收费票据, PDF;
reprints marked 补打), void a receipt with a reason, list receipts, and the cashier's day close (日结).
Every lookup by id goes through the caller's data scope (404 outside it). The writes are the payments
services: counter_collect, receipt_printed, receipt_void, day_close."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from backend.accounts import permissions as perms
from backend.accounts.models import Membership, User
from backend.billing.models import BillLine, Payment
from backend.billing.money import chinese_capital, yuan
from backend.billing.periods import local_day_bounds
from backend.billing.selectors import owed_lines, unit_account
from backend.errors import ApplicationError
from backend.payments.counter import counter_collect, counter_find
from backend.payments.dayclose import day_close, day_summary
from backend.payments.models import DayClose, Receipt, Refund
from backend.payments.receipt_pdf import receipt_pdf_response, receipt_view
from backend.payments.receipts import receipt_void
from backend.properties.models import Unit
from backend.properties.scope import Scope
from portal.access import permission_check, permission_required
from portal.common.forms import add_service_errors
from portal.common.money_forms import PaymentForm
from portal.staff.payments.forms import CounterPaymentForm, DayCloseForm, ReceiptFilterForm, VoidForm
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/payments"


# --- scope ---------------------------------------------------------------------------------------------------


def _units(request: CompanyRequest) -> QuerySet[Unit]:
    return Scope.of(request.membership).filter_units(Unit.objects.all())


def _receipts(request: CompanyRequest) -> QuerySet[Receipt]:
    return Receipt.objects.filter(payment__unit__in=_units(request)).select_related(
        "payment__unit", "payment__recorded_by", "voided_by"
    )


def _receipt_or_404(request: CompanyRequest, pk: int) -> Receipt:
    receipt = _receipts(request).filter(pk=pk).first()
    if receipt is None:
        raise Http404
    return receipt


def _money_members(request: CompanyRequest) -> list[tuple[int, str]]:
    """Who can take money in this company: the people a day can be closed for."""
    users = (
        Membership.objects.filter(
            tenant=request.tenant, is_active=True, roles__overlap=list(perms.PAYMENT_RECORD.roles)
        )
        .select_related("user")
        .order_by("user__name", "user_id")
    )
    return [(m.user_id, m.user.name or str(m.user)) for m in users]


def _cashiers(request: CompanyRequest, extra_ids: set[int] | None = None) -> list[tuple[int, str]]:
    """The money members, and anyone else who recorded payments (a former cashier), by name."""
    known = dict(_money_members(request))
    missing = (extra_ids or set()) - set(known)
    for user in User.objects.filter(pk__in=missing):
        known[user.pk] = user.name or str(user)
    return sorted(known.items(), key=lambda kv: (kv[1], kv[0]))


def _today() -> dt.date:
    return timezone.localdate()


# --- the counter (收费窗口) -----------------------------------------------------------------------------------


def _already_recorded(key: str) -> HttpResponse | None:
    payment = Payment.objects.filter(idempotency_key=key).select_related("receipt").first() if key else None
    if payment is None or not hasattr(payment, "receipt"):
        return None
    return redirect("portal:payments-receipt", pk=payment.receipt.pk)


def _occupants(units: list[Unit]) -> dict[int, list[str]]:
    from backend.properties.models import Occupancy

    names: dict[int, list[str]] = {}
    current = Occupancy.objects.filter(unit__in=units, end_date__isnull=True).select_related("person")
    for occ in current.order_by("start_date", "pk"):
        names.setdefault(occ.unit_id, [])
        if occ.person.name not in names[occ.unit_id]:
            names[occ.unit_id].append(occ.person.name)
    return names


@permission_required(perms.PAYMENT_RECORD)
@require_http_methods(["GET", "POST"])
def counter(request: CompanyRequest) -> HttpResponse:
    """Search a home; with ?unit= its owed lines, account and the payment form."""
    q = request.GET.get("q", "").strip()[:60]
    results = counter_find(_units(request), q) if q else []
    unit = None
    raw_unit = request.GET.get("unit", "")
    if raw_unit.isdigit():
        unit = _units(request).select_related("office", "estate", "building").filter(pk=int(raw_unit)).first()
        if unit is None:
            raise Http404
    if request.method == "POST" and unit is None:
        raise Http404
    status = 200
    form = None
    lines: list[BillLine] = []
    if unit is not None:
        key = request.POST.get("idempotency_key", "") if request.method == "POST" else ""
        if done := _already_recorded(key):
            # The same form sent twice (a double click, a reload): the payment exists, show its receipt.
            messages.info(request, _("This payment was recorded already."))
            return done
        lines = owed_lines(unit.pk, order="oldest_first")
        form = CounterPaymentForm(request.POST or None, lines=lines)
        if request.method == "POST":
            status = 400
            if form.is_valid():
                data = form.cleaned_data
                topup = data["mode"] == PaymentForm.MODE_TOPUP
                try:
                    payment = counter_collect(
                        unit=unit,
                        amount=data["amount"],
                        method=data["method"],
                        by=request.user,
                        line_ids=None if topup else [int(i) for i in data["line_ids"]],
                        to_prepaid=topup,
                        reference=data["reference"],
                        payer_name=data["payer_name"],
                        note=data["note"],
                        idempotency_key=data["idempotency_key"],
                    )
                except ApplicationError as error:
                    add_service_errors(form, error)
                    if done := _already_recorded(key):
                        return done  # a twin request won the race while this one was being checked
                else:
                    messages.success(
                        request,
                        _("Received %(amount)s. Receipt %(number)s.")
                        % {"amount": yuan(payment.amount), "number": payment.receipt.number},  # type: ignore[attr-defined]
                    )
                    return redirect("portal:payments-receipt", pk=payment.receipt.pk)  # type: ignore[attr-defined]
    recent = _receipts(request).filter(payment__unit=unit).order_by("-issued_at", "-id")[:10] if unit else []
    return render(
        request,
        f"{TEMPLATES}/counter.html",
        {
            "q": q,
            "results": results,
            "occupants": _occupants([*results, *([unit] if unit else [])]),
            "unit": unit,
            "account": unit_account(unit.pk) if unit else None,
            "lines": lines,
            "form": form,
            "chosen": form.chosen_ids if form else set(),
            "mode_fields": [form["mode"]] if form else [],
            "fields": [form[n] for n in ("amount", "method", "reference", "payer_name", "note")] if form else [],
            "remainder": [form["remainder_to_prepaid"]] if form else [],
            "recent": recent,
            "action": f"{reverse('portal:payments-counter')}?{urlencode({'unit': unit.pk})}" if unit else "",
        },
        status=status,
    )


# --- receipts (收费票据) ---------------------------------------------------------------------------------------


@permission_required(perms.PAYMENTS_READ)
@require_http_methods(["GET", "POST"])
def receipt_detail(request: CompanyRequest, pk: int) -> HttpResponse:
    receipt = _receipt_or_404(request, pk)
    form = VoidForm(request.POST or None)
    status = 200
    if request.method == "POST":
        permission_check(request, perms.PAYMENT_RECORD)
        status = 400
        if form.is_valid():
            try:
                receipt_void(receipt=receipt, reason=form.cleaned_data["reason"], by=request.user)
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Receipt %(number)s is void; %(unit)s's lines are open again.")
                    % {"number": receipt.number, "unit": receipt.payment.unit.label},
                )
                return redirect("portal:payments-receipt", pk=receipt.pk)
        receipt.refresh_from_db()
    payment = receipt.payment
    return render(
        request,
        f"{TEMPLATES}/receipt.html",
        {
            "receipt": receipt,
            "view": receipt_view(receipt),
            "capitals": chinese_capital(payment.amount),
            "payment": payment,
            "refunds": Refund.objects.filter(payment=payment).select_related("requested_by"),
            "form": form,
            "may_void": receipt.status == Receipt.Status.VALID
            and payment.channel == Payment.Channel.COUNTER
            and perms.PAYMENT_RECORD.granted_to(request.membership),
            "unit": payment.unit,
        },
        status=status,
    )


@permission_required(perms.PAYMENTS_READ)
@require_GET
def receipt_pdf(request: CompanyRequest, pk: int) -> HttpResponse:
    """Every download counts as a print; from the second one on the receipt is marked 补打."""
    return receipt_pdf_response(_receipt_or_404(request, pk), count_print=True)


@permission_required(perms.PAYMENTS_READ)
@require_GET
def receipts(request: CompanyRequest) -> HttpResponse:
    qs = _receipts(request)
    cashier_ids = set(qs.exclude(payment__recorded_by=None).values_list("payment__recorded_by_id", flat=True))
    form = ReceiptFilterForm(request.GET or None, cashiers=_cashiers(request, cashier_ids))
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["day"]:
            start, end = local_day_bounds(data["day"])
            qs = qs.filter(payment__received_at__gte=start, payment__received_at__lt=end)
        if data["cashier"]:
            qs = qs.filter(payment__recorded_by_id=data["cashier"])
        if data["method"]:
            qs = qs.filter(payment__method=data["method"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["q"].strip():
            qs = qs.filter(Q(number__icontains=data["q"].strip()))
    page = Paginator(qs.order_by("-issued_at", "-id"), 30).get_page(request.GET.get("page"))
    query = urlencode([(k, str(v)) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        f"{TEMPLATES}/receipts.html",
        {"form": form, "page": page, "query": query},
        status=200 if not form.is_bound or form.is_valid() else 400,
    )


# --- day close (日结) -------------------------------------------------------------------------------------------


def _day_from(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@permission_required(perms.PAYMENTS_READ)
@require_http_methods(["GET", "POST"])
def day_close_page(request: CompanyRequest) -> HttpResponse:
    day = _day_from(request.POST.get("day") if request.method == "POST" else request.GET.get("day")) or _today()
    summary = day_summary(day, units=_units(request))
    cashiers = _cashiers(request, {row["cashier"] for row in summary["by_cashier"] if row["cashier"]})
    form = DayCloseForm(
        request.POST or None,
        cashiers=cashiers,
        initial={"day": day, "cashier": request.user.pk},
    )
    status = 200
    if request.method == "POST":
        permission_check(request, perms.PAYMENT_RECORD)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            cashier = User.objects.get(pk=data["cashier"])
            try:
                close = day_close(cashier=cashier, day=data["day"], by=request.user, note=data["note"])
            except ApplicationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(day)s closed for %(cashier)s: %(count)s payments, %(total)s.")
                    % {
                        "day": close.business_date.isoformat(),
                        "cashier": cashier.name,
                        "count": close.payment_count,
                        "total": yuan(close.total),
                    },
                )
                return redirect(f"{reverse('portal:payments-day-close')}?{urlencode({'day': day.isoformat()})}")
    names = dict(cashiers)
    method_labels = dict(Payment.Method.choices)
    channel_labels = dict(Payment.Channel.choices)
    closed: dict[int, DayClose] = summary["closed"]
    by_cashier = [
        {
            **row,
            "name": row["name"] or names.get(row["cashier"], _("Online payment (在线支付)")),
            "close": closed.get(row["cashier"]),
        }
        for row in summary["by_cashier"]
    ]
    recent = DayClose.objects.select_related("cashier", "closed_by").order_by("-business_date", "-closed_at")
    return render(
        request,
        f"{TEMPLATES}/day_close.html",
        {
            "day": day,
            "today": _today(),
            "summary": summary,
            "by_method": [(method_labels.get(m, m), v) for m, v in summary["by_method"].items()],
            "by_channel": [(channel_labels.get(c, c), v) for c, v in summary["by_channel"].items()],
            "by_cashier": by_cashier,
            "closes": sorted(closed.values(), key=lambda c: (c.cashier.name, c.pk)),
            "mine": closed.get(request.user.pk),
            "form": form,
            "recent": Paginator(recent, 30).get_page(request.GET.get("page")),
            "query": urlencode({"day": day.isoformat()}),
        },
        status=status,
    )
