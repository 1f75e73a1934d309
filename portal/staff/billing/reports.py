"""Collection reports: receivable / collected / rate / prepaid / arrears per office, estate, building or
fee item for a month or a range, with charts (inline SVG) and drill-down office → estates → buildings → fee
items; the same table as .xlsx (with the 12-month trend on a second sheet)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from backend.accounts import permissions as perms
from backend.billing import report_charts, report_xlsx, reports
from backend.billing.periods import add_months
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest


def _url(params: dict[str, str]) -> str:
    return f"{reverse('portal:billing-reports')}?{urlencode(params)}"


def _page_context(request: CompanyRequest, query: reports.ReportQuery) -> dict[str, Any]:
    scope = scope_of(request)
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


@permission_required(perms.BILLING_READ)
def reports_page(request: CompanyRequest) -> HttpResponse:
    try:
        query = reports.parse_query(request.GET)
    except ApplicationError as error:
        fallback = reports.parse_query({})
        context = _page_context(request, fallback)
        context["errors"] = error.fields
        context["values"] = request.GET
        return render(request, "portal/staff/billing/reports.html", context, status=400)
    context = _page_context(request, query)
    context["errors"] = {}
    context["values"] = {
        "start": f"{query.period.start:%Y-%m}",
        "end": f"{query.period.end:%Y-%m}",
        "as_of": query.as_of.isoformat() if query.as_of else "",
    }
    return render(request, "portal/staff/billing/reports.html", context)


@permission_required(perms.BILLING_READ)
def reports_export(request: CompanyRequest) -> HttpResponse:
    try:
        query = reports.parse_query(request.GET)
    except ApplicationError as error:
        messages.error(request, error.text)
        return redirect("portal:billing-reports")
    scope = scope_of(request)
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
