"""Portal pages: billing (reports). Routes are added to portal/urls_tenant.py through `urlpatterns`.

- billing-reports: receivable / collected / rate / prepaid / arrears per office, estate, building or fee item
  for a month or a range, with charts (inline SVG) and drill-down office → estates → buildings → fee items
- billing-reports-export: the same table as .xlsx (with the 12-month trend on a second sheet)
- billing-notice: the fee notice PDF (收费通知单) of one unit and month, for staff in scope and for the
  residents who live there now (any other unit: 404)
- billing-building-notices: every billed unit of a building for a month, one page each (staff)
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from backend.accounts.roles import Role
from backend.billing import notices, report_charts, report_xlsx, reports
from backend.billing.periods import add_months, parse_period
from backend.errors import ApplicationError
from backend.properties import selectors as registry
from backend.properties.scope import Scope
from tenants.http import CompanyRequest

from ..access import role_required

# Reading the reports: finance and company admins, and customer service (read-only, for dunning work).
REPORT_READERS = frozenset({Role.FINANCE, Role.COMPANY_ADMIN, Role.CUSTOMER_SERVICE})
NOTICE_STAFF = REPORT_READERS

report_reader = role_required(REPORT_READERS)


def _scope(request: CompanyRequest) -> Scope:
    return Scope.of(request.membership)


def _url(params: dict[str, str]) -> str:
    return f"{reverse('portal:billing-reports')}?{urlencode(params)}"


def _page_context(request: CompanyRequest, query: reports.ReportQuery) -> dict[str, Any]:
    scope = _scope(request)
    crumbs = reports.query_filter_names(scope=scope, query=query)
    if crumbs is None:
        raise Http404
    report = reports.collection_report(scope=scope, query=query)
    trend = reports.collection_trend(scope=scope, query=query)
    payments = reports.payments_received(scope=scope, query=query)
    labels = reports.group_labels()
    period = query.period
    month_text = f"{period.start:%Y-%m}" if period.is_month else ""
    rows = []
    for row in report.rows:
        notice_url = ""
        if query.group == "building" and period.is_month:
            notice_url = reverse("portal:billing-building-notices", args=[row.key, month_text])
        rows.append({"row": row, "drill_url": _url(row.drill) if row.drill else "", "notice_url": notice_url})
    building_notice_url = ""
    if query.building_id and period.is_month:
        building_notice_url = reverse("portal:billing-building-notices", args=[query.building_id, month_text])
    top = reports.ReportQuery(period=period, as_of=query.as_of)
    shift = {}
    if period.is_month:
        shift = {
            "previous": _url(query.params(period=f"{add_months(period.start, -1):%Y-%m}")),
            "next": _url(query.params(period=f"{add_months(period.start, 1):%Y-%m}")),
        }
    return {
        "query": query,
        "report": report,
        "rows": rows,
        "group_label": labels[query.group],
        "tabs": [
            {"code": g, "label": labels[g], "url": _url(query.params(group=g)), "current": g == query.group}
            for g in reports.GROUPS
        ],
        "crumbs": [{"name": name, "url": _url(params)} for name, params in crumbs],
        "top_url": _url(top.params()),
        "export_url": f"{reverse('portal:billing-reports-export')}?{urlencode(query.params())}",
        "rate_chart": report_charts.rate_chart(report),
        "trend": trend,
        "trend_chart": report_charts.trend_chart(trend, report.target_pct),
        "payments": payments,
        "building_notice_url": building_notice_url,
        "shift": shift,
        "hidden": {k: v for k, v in query.params().items() if k in ("group", "office", "estate", "building")},
    }


@report_reader
def reports_page(request: CompanyRequest) -> HttpResponse:
    try:
        query = reports.parse_query(request.GET)
    except ApplicationError as error:
        fallback = reports.parse_query({})
        context = _page_context(request, fallback)
        context["errors"] = error.fields
        context["values"] = request.GET
        return render(request, "portal/billing/reports/page.html", context, status=400)
    context = _page_context(request, query)
    context["errors"] = {}
    context["values"] = {
        "start": f"{query.period.start:%Y-%m}",
        "end": f"{query.period.end:%Y-%m}",
        "as_of": query.as_of.isoformat() if query.as_of else "",
    }
    return render(request, "portal/billing/reports/page.html", context)


@report_reader
def reports_export(request: CompanyRequest) -> HttpResponse:
    try:
        query = reports.parse_query(request.GET)
    except ApplicationError as error:
        messages.error(request, " ".join(m for ms in error.fields.values() for m in ms) or error.message)
        return redirect("portal:billing-reports")
    scope = _scope(request)
    if reports.query_filter_names(scope=scope, query=query) is None:
        raise Http404
    report = reports.collection_report(scope=scope, query=query)
    trend = reports.collection_trend(scope=scope, query=query)
    data = report_xlsx.report_xlsx(report, trend)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"collection-{query.group}-{query.period.start:%Y%m}"
    if not query.period.is_month:
        name += f"-{query.period.end:%Y%m}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _month_or_404(text: str) -> Any:
    try:
        return parse_period(text)
    except ValueError:
        raise Http404 from None


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(NOTICE_STAFF | {Role.RESIDENT})
def unit_notice(request: CompanyRequest, pk: int, period: str) -> HttpResponse:
    """Staff see the units in their scope; a resident only the units they live in now."""
    month = _month_or_404(period)
    membership = request.membership
    if membership is None:  # role_required has let only members through
        raise PermissionDenied
    unit = None
    if membership.has_any_role(NOTICE_STAFF):
        unit = registry.unit_get(scope=Scope.of(membership), unit_id=pk)
    if unit is None and membership.has_any_role({Role.RESIDENT}):
        unit = registry.unit_get(scope=Scope(all_offices=False, resident_user_id=request.user.pk), unit_id=pk)
    if unit is None:
        raise Http404
    return _pdf(notices.unit_notice_pdf(unit, month), f"notice-{unit.pk}-{month:%Y-%m}")


@role_required(NOTICE_STAFF)
def building_notices(request: CompanyRequest, pk: int, period: str) -> HttpResponse:
    month = _month_or_404(period)
    building = registry.building_list(scope=_scope(request)).filter(pk=pk).first()
    if building is None:
        raise Http404
    data = notices.building_notices_pdf(building, month)
    if data is None:
        messages.info(
            request,
            _("No unit of %(building)s was billed for %(month)s.")
            % {"building": f"{building.estate.name} {building.name}", "month": f"{month:%Y-%m}"},
        )
        return redirect(_url({"period": f"{month:%Y-%m}", "group": "fee_item", "building": str(building.pk)}))
    return _pdf(data, f"notices-building-{building.pk}-{month:%Y-%m}")


urlpatterns: list[URLPattern] = [
    path("staff/billing/reports/", reports_page, name="billing-reports"),
    path("staff/billing/reports/export.xlsx", reports_export, name="billing-reports-export"),
    path("billing/units/<int:pk>/notice/<str:period>/", unit_notice, name="billing-notice"),
    path("staff/billing/buildings/<int:pk>/notices/<str:period>/", building_notices, name="billing-building-notices"),
]
