"""The merchant's settlement statements (/merchant/statements/): every company's statements from the
per-merchant index, each read in its company's schema (marketplace.settlement.selectors); the merchant
confirms a statement, and downloads it as PDF or xlsx. Another merchant's statement is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from backend.errors import ApplicationError
from marketplace import merchant_permissions as mperms
from marketplace.settlement import documents, selectors, statements

from .access import member_of, merchant_required, page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _read(request: HttpRequest, pk: int) -> selectors.MerchantStatementView:
    try:
        return selectors.merchant_statement_read(merchant_id=member_of(request).merchant_id, pk=pk)
    except ApplicationError as exc:
        raise Http404 from exc


@merchant_required(mperms.STATEMENTS)
def statement_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.merchant_statements(merchant_id=member_of(request).merchant_id)[:200]
    return page(request, "portal/merchant/statements.html", {"rows": rows})


@merchant_required(mperms.STATEMENTS)
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return page(request, "portal/merchant/statement.html", {"v": _read(request, pk)})


@require_POST
@merchant_required(mperms.STATEMENTS)
def statement_confirm(request: HttpRequest, pk: int) -> HttpResponseBase:
    view = _read(request, pk)
    member = member_of(request)
    with tenant_context(view.entry.tenant):
        try:
            statements.statement_confirm(
                statement_id=view.statement.pk, merchant_id=member.merchant_id, user_id=member.user_id
            )
            messages.success(request, _("Statement confirmed."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    return redirect("merchant:statement", pk=pk)


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@merchant_required(mperms.STATEMENTS)
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    view = _read(request, pk)
    with tenant_context(view.entry.tenant):
        data = documents.statement_pdf(view.statement, company_name=view.entry.tenant.name)
    return _download(data, "application/pdf", f"{view.statement.code}.pdf")


@merchant_required(mperms.STATEMENTS)
def statement_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    view = _read(request, pk)
    with tenant_context(view.entry.tenant):
        data = documents.statement_xlsx(view.statement, company_name=view.entry.tenant.name)
    return _download(data, XLSX, f"{view.statement.code}.xlsx")
