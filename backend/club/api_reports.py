"""The club report under /api/v1/club/reports/: utilisation (weekday × hour), income and no-shows by facility
and month, for the facilities of the caller's scope; /api/v1/club/reports.xlsx for the same as a workbook."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from tenants.db import company_time_zone

from .api_base import ERRORS, ClubApi
from .report_xlsx import report_xlsx
from .reports import ClubReport, MonthFigures, club_report, parse_query

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    bookings = serializers.IntegerField()
    fees_fen = serializers.IntegerField()
    refunded_fen = serializers.IntegerField()
    income_fen = serializers.IntegerField()
    checked_in = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    no_show_percent = serializers.IntegerField(allow_null=True)


class FacilityRowSerializer(serializers.Serializer):
    facility = serializers.IntegerField()
    name = serializers.CharField()
    estate = serializers.CharField()
    utilisation_percent = serializers.IntegerField(allow_null=True)
    months = MonthSerializer(many=True)
    total = MonthSerializer()


class HeatSerializer(serializers.Serializer):
    hours = serializers.ListField(child=serializers.IntegerField())
    percent = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(allow_null=True)),
        help_text="percent[weekday][i] for hours[i]; weekday 0 is Monday; null where nothing was offered.",
    )
    utilisation_percent = serializers.IntegerField(allow_null=True)


class ClubReportSerializer(serializers.Serializer):
    first_month = serializers.CharField()
    months = serializers.IntegerField()
    until = serializers.DateField()
    facilities = FacilityRowSerializer(many=True)
    totals = MonthSerializer(many=True)
    total = MonthSerializer()
    heat = HeatSerializer()


def _month(m: MonthFigures) -> dict[str, Any]:
    return {
        "month": f"{m.month:%Y-%m}",
        "bookings": m.bookings,
        "fees_fen": m.fees,
        "refunded_fen": m.refunded,
        "income_fen": m.income,
        "checked_in": m.checked_in,
        "no_shows": m.no_shows,
        "no_show_percent": m.no_show_percent,
    }


def report_data(report: ClubReport) -> dict[str, Any]:
    return {
        "first_month": f"{report.query.first_month:%Y-%m}",
        "months": report.query.months,
        "until": report.until,
        "facilities": [
            {
                "facility": r.facility_id,
                "name": r.name,
                "estate": r.estate,
                "utilisation_percent": r.utilisation,
                "months": [_month(m) for m in r.months],
                "total": _month(r.total),
            }
            for r in report.rows
        ],
        "totals": [_month(m) for m in report.months],
        "total": _month(report.total),
        "heat": {
            "hours": report.heat.hours,
            "percent": [[c.percent for c in row] for row in report.heat.rows],
            "utilisation_percent": report.heat.percent,
        },
    }


PARAMETERS = [
    OpenApiParameter("from", str, description="First month, YYYY-MM (default: two months before this one)."),
    OpenApiParameter("months", int, description="1–12 (default 3)."),
    OpenApiParameter("facility", int, description="One facility (default: all in the caller's scope)."),
]


def _report(api: ClubApi, request: Request) -> ClubReport:
    now = timezone.now()
    query = parse_query(request.query_params, today=now.astimezone(company_time_zone()).date())
    return club_report(scope=api.scope(request), query=query, now=now)


class ClubReportApi(ClubApi):
    required_permission = perms.CLUB_REPORTS

    @extend_schema(parameters=PARAMETERS, responses={200: ClubReportSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(ClubReportSerializer(report_data(_report(self, request))).data)


class ClubReportXlsxApi(ClubApi):
    required_permission = perms.CLUB_REPORTS

    @extend_schema(
        parameters=PARAMETERS,
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The report as .xlsx"), **ERRORS},
    )
    def get(self, request: Request) -> HttpResponse:
        report = _report(self, request)
        response = HttpResponse(report_xlsx(report), content_type=XLSX)
        name = f"club-{report.query.first_month:%Y-%m}-{report.query.months}m.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


urlpatterns: list[URLPattern] = [
    path("api/v1/club/reports/", ClubReportApi.as_view(), name="api-club-reports"),
    path("api/v1/club/reports.xlsx", ClubReportXlsxApi.as_view(), name="api-club-reports-xlsx"),
]
