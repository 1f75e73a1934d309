"""The service desk's management pages: the SLA dashboard (this month's attainment, the open tickets past or
close to their time limits, the latest finished ones within or past their target, attainment by estate and
category, the 12-month trend) and the repairs report (volume, SLA attainment, revisit rate and satisfaction
by category, estate, engineer or month, with charts and an .xlsx download). Figures: backend.desk.reports."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from backend.accounts import permissions as perms
from backend.billing.periods import add_months
from backend.desk import report_charts, report_xlsx, reports
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/desk"


def _month(first: Any, shift: int) -> str:
    return f"{add_months(first, shift):%Y-%m}"


@permission_required(perms.DESK_REPORTS)
def sla_page(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    if scope.is_resident:
        raise Http404
    board = reports.sla_dashboard(scope=scope)
    return render(
        request,
        f"{TEMPLATES}/sla.html",
        {
            "d": board,
            "estate_chart": report_charts.attainment_chart(board.by_estate),
            "category_chart": report_charts.attainment_chart(board.by_category),
            "trend_chart": report_charts.trend_chart(board.trend),
        },
    )


def _context(request: CompanyRequest, query: reports.ReportQuery) -> dict[str, Any]:
    scope = scope_of(request)
    report = reports.desk_report(scope=scope, query=query)
    if query.estate_id and query.estate_id not in {pk for pk, _name in report.estates}:
        raise Http404
    url = reverse("portal:staff-desk-reports")
    labels = reports.group_labels()
    return {
        "query": query,
        "report": report,
        "group_label": labels[query.group],
        "tabs": [
            {
                "code": g,
                "label": labels[g],
                "url": f"{url}?{urlencode(query.params(group=g))}",
                "current": g == query.group,
            }
            for g in reports.GROUPS
        ],
        "attainment_chart": report_charts.attainment_chart(report.rows) if query.group != "month" else None,
        "trend_chart": report_charts.trend_chart(report.months),
        "export_url": f"{reverse('portal:staff-desk-reports-export')}?{urlencode(query.params())}",
        "shift": {
            "previous": f"{url}?{urlencode(query.params(**{'from': _month(query.first_month, -query.months)}))}",
            "next": f"{url}?{urlencode(query.params(**{'from': _month(query.first_month, query.months)}))}",
        },
        "month_choices": reports.MONTH_CHOICES,
        "values": {
            "from": f"{query.first_month:%Y-%m}",
            "months": query.months,
            "estate": query.estate_id or "",
            "group": query.group,
        },
        "errors": {},
    }


@permission_required(perms.DESK_REPORTS)
def reports_page(request: CompanyRequest) -> HttpResponse:
    if scope_of(request).is_resident:
        raise Http404
    try:
        query = reports.parse_query(request.GET)
    except ApplicationError as error:
        context = _context(request, reports.parse_query({}))
        context["errors"], context["values"] = error.fields, request.GET
        return render(request, f"{TEMPLATES}/reports.html", context, status=400)
    return render(request, f"{TEMPLATES}/reports.html", _context(request, query))


@permission_required(perms.DESK_REPORTS)
def reports_export(request: CompanyRequest) -> HttpResponse:
    scope = scope_of(request)
    if scope.is_resident:
        raise Http404
    try:
        query = reports.parse_query(request.GET)
    except ApplicationError as error:
        context = _context(request, reports.parse_query({}))
        context["errors"], context["values"] = error.fields, request.GET
        return render(request, f"{TEMPLATES}/reports.html", context, status=400)
    report = reports.desk_report(scope=scope, query=query)
    if query.estate_id and query.estate_id not in {pk for pk, _name in report.estates}:
        raise Http404
    response = HttpResponse(
        report_xlsx.report_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"repairs-{query.group}-{query.first_month:%Y%m}-{query.months}m"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
