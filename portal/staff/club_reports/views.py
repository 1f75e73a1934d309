"""The club report page: a heat map of utilisation by weekday and hour, net fee income and the no-show rate
per month (charts), and the figures per facility and month (table, and .xlsx)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from backend.accounts import permissions as perms
from backend.billing.periods import add_months
from backend.club import report_charts, report_xlsx, reports
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.scope import scope_of
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

TEMPLATE = "portal/staff/club_reports/report.html"


def _today() -> Any:
    return timezone.now().astimezone(company_time_zone()).date()


def _context(request: CompanyRequest, query: reports.ReportQuery) -> dict[str, Any]:
    report = reports.club_report(scope=scope_of(request), query=query)
    url = reverse("portal:club-reports")
    return {
        "query": query,
        "report": report,
        "charts": report_charts.charts(report),
        "export_url": f"{reverse('portal:club-reports-export')}?{urlencode(query.params())}",
        "shift": {
            "previous": f"{url}?{urlencode(query.params(**{'from': f'{add_months(query.first_month, -1):%Y-%m}'}))}",
            "next": f"{url}?{urlencode(query.params(**{'from': f'{add_months(query.first_month, 1):%Y-%m}'}))}",
        },
        "month_choices": [1, 3, 6, 12],
        "values": {"from": f"{query.first_month:%Y-%m}", "months": query.months, "facility": query.facility_id},
        "errors": {},
    }


@permission_required(perms.CLUB_REPORTS)
def report_page(request: CompanyRequest) -> HttpResponse:
    try:
        query = reports.parse_query(request.GET, today=_today())
        context = _context(request, query)
    except ApplicationError as error:
        context = _context(request, reports.parse_query({}, today=_today()))
        context["errors"], context["values"] = error.fields, request.GET
        return render(request, TEMPLATE, context, status=400)
    return render(request, TEMPLATE, context)


@permission_required(perms.CLUB_REPORTS)
def report_export(request: CompanyRequest) -> HttpResponse:
    try:
        query = reports.parse_query(request.GET, today=_today())
        report = reports.club_report(scope=scope_of(request), query=query)
    except ApplicationError as error:
        context = _context(request, reports.parse_query({}, today=_today()))
        context["errors"], context["values"] = error.fields, request.GET
        return render(request, TEMPLATE, context, status=400)
    response = HttpResponse(
        report_xlsx.report_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="club-{query.first_month:%Y%m}-{query.months}m.xlsx"'
    return response
