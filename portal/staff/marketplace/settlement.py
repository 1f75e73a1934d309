"""The staff's settlement pages (结算与付款, finance) and marketplace reports: the statements of this company's
merchants with what is still owed to each, a statement with its entries, PDF and xlsx, the payout (a bank
transfer's reference, or a Stripe Transfer where the merchant has a Connect account), the merchants' payout
accounts, and sales and commission by merchant, category and month with a chart and xlsx. Reads through
marketplace.settlement.selectors (this company's schema only), writes through its services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from marketplace.models import Merchant
from marketplace.settlement import documents, payouts, reports, selectors, statements
from marketplace.settlement.models import Statement, StatementStatus
from portal.access import permission_required
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/marketplace"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _statement_or_404(pk: int) -> Statement:
    statement = selectors.statement_get(pk)
    if statement is None:
        raise Http404
    return statement


@permission_required(perms.MARKETPLACE_SETTLEMENT)
def settlement(request: CompanyRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in StatementStatus.values:
        status = ""
    rows = selectors.statement_list(status=status)[:200]
    return render(
        request,
        f"{TEMPLATES}/settlement.html",
        {
            "rows": rows,
            "status": status,
            "statuses": StatementStatus.choices,
            "balances": selectors.merchant_balances(),
            "last_month": statements.last_month(),
        },
    )


@require_POST
@permission_required(perms.MARKETPLACE_SETTLEMENT)
def settlement_build(request: CompanyRequest) -> HttpResponseBase:
    made = statements.statements_build_month()
    messages.success(request, _("%(n)d statements issued.") % {"n": len(made)})
    return redirect("portal:staff-marketplace-settlement")


@require_http_methods(["GET", "POST"])
@permission_required(perms.MARKETPLACE_SETTLEMENT)
def statement_detail(request: CompanyRequest, pk: int) -> HttpResponseBase:
    statement = _statement_or_404(pk)
    if request.method == "POST":
        try:
            if request.POST.get("method") == "stripe":
                payout = payouts.payout_stripe(statement_id=statement.pk, by=request.user)
                if payout.status == "failed":
                    messages.error(request, payout.failure)
                else:
                    messages.success(request, _("Paid by Stripe Transfer %(ref)s.") % {"ref": payout.reference})
            else:
                payouts.payout_record_bank(
                    statement_id=statement.pk, reference=request.POST.get("reference", ""), by=request.user
                )
                messages.success(request, _("Payout recorded."))
        except ApplicationError as error:
            messages.error(request, error.text)
        return redirect("portal:staff-marketplace-statement", pk=statement.pk)
    return render(
        request,
        f"{TEMPLATES}/statement.html",
        {
            "s": statement,
            "summary": documents.summary_rows(statement),
            "entries": documents.statement_entries(statement),
            "payouts": selectors.statement_payouts(statement),
            "account": selectors.payout_account(statement.merchant_id),
            "tz": company_time_zone(),
        },
    )


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permission_required(perms.MARKETPLACE_SETTLEMENT)
def statement_pdf(request: CompanyRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    data = documents.statement_pdf(statement, company_name=request.tenant.name)
    return _download(data, "application/pdf", f"{statement.code}.pdf")


@permission_required(perms.MARKETPLACE_SETTLEMENT)
def statement_xlsx(request: CompanyRequest, pk: int) -> HttpResponse:
    statement = _statement_or_404(pk)
    return _download(
        documents.statement_xlsx(statement, company_name=request.tenant.name), XLSX, f"{statement.code}.xlsx"
    )


@require_http_methods(["GET", "POST"])
@permission_required(perms.MARKETPLACE_SETTLEMENT)
def payout_account(request: CompanyRequest, merchant_id: int) -> HttpResponseBase:
    merchant = Merchant.objects.filter(pk=merchant_id).first()
    known = merchant is not None and (
        selectors.payout_account(merchant_id) is not None
        or Statement.objects.filter(merchant_id=merchant_id).exists()
        or merchant.applications.filter(tenant=request.tenant).exists()
    )
    if not known:
        raise Http404
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            payouts.payout_account_set(merchant_id=merchant_id, values=request.POST.dict(), by=request.user)
            messages.success(request, _("Payout account saved."))
            return redirect("portal:staff-marketplace-settlement")
        except ApplicationError as error:
            errors = error.fields
    return render(
        request,
        f"{TEMPLATES}/payout_account.html",
        {
            "merchant": merchant,
            "account": selectors.payout_account(merchant_id),
            "values": request.POST if request.method == "POST" else None,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _report(query: Any) -> tuple[reports.Report, str, dict[str, str]]:
    today = timezone.now().astimezone(company_time_zone()).date()
    group, start, end = reports.report_query(query, today=today)
    params = {"group": group, "start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}
    return reports.marketplace_report(group=group, start=start, end=end), group, params


def _group_labels() -> dict[str, str]:
    return {"merchant": _("Merchant"), "category": _("Category"), "month": _("Month")}


@permission_required(perms.MARKETPLACE_REPORTS)
def marketplace_reports(request: CompanyRequest) -> HttpResponse:
    try:
        report, group, params = _report(request.GET)
        errors: dict[str, list[str]] = {}
    except ApplicationError as error:
        errors = error.fields
        report, group, params = _report({})
    url = reverse("portal:staff-marketplace-reports")
    labels = _group_labels()
    return render(
        request,
        f"{TEMPLATES}/reports.html",
        {
            "report": report,
            "group": group,
            "group_label": labels[group],
            "params": params,
            "errors": errors,
            "tabs": [
                {
                    "code": g,
                    "label": labels[g],
                    "url": f"{url}?{urlencode({**params, 'group': g})}",
                    "current": g == group,
                }
                for g in reports.GROUPS
            ],
            "chart": reports.month_chart(report),
            "export_url": f"{reverse('portal:staff-marketplace-reports-export')}?{urlencode(params)}",
        },
        status=400 if errors else 200,
    )


@permission_required(perms.MARKETPLACE_REPORTS)
def marketplace_reports_export(request: CompanyRequest) -> HttpResponseBase:
    try:
        report, group, params = _report(request.GET)
    except ApplicationError as error:
        messages.error(request, error.text)
        return redirect("portal:staff-marketplace-reports")
    data = reports.report_xlsx(report, _group_labels()[group])
    return _download(data, XLSX, f"marketplace-{group}-{params['start']}-{params['end']}.xlsx")
