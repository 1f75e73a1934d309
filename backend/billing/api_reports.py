"""Billing API: reports. (Routes are collected by backend/billing/urls.py.)

GET api/v1/reports/collection/  receivable, waived, collected, outstanding, rate, prepaid, arrears per group
GET api/v1/reports/trend/       the 12 months up to the period's last month
GET api/v1/reports/payments/    money received in the period by method, channel and day

Amounts are integer fen (currency CNY); rates are percentages as decimal strings ("93.47") or null when
nothing was due. Finance and company admins read them, and customer service too (read-only: they chase
arrears and need the same picture); each caller sees only their data scope."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.permissions import request_membership
from backend.properties.scope import Scope

from . import reports
from .models import CURRENCY

PARAMETERS = [
    OpenApiParameter("period", str, description="A month, YYYY-MM (default: this month)"),
    OpenApiParameter("start", str, description="First month of a range, YYYY-MM"),
    OpenApiParameter("end", str, description="Last month of a range, YYYY-MM (at most 36 months)"),
    OpenApiParameter("office", int, description="Only this management office"),
    OpenApiParameter("estate", int, description="Only this estate"),
    OpenApiParameter("building", int, description="Only this building"),
    OpenApiParameter("as_of", str, description="Read the ledger as it stood at the end of this day, YYYY-MM-DD"),
]


class FiguresOut(serializers.Serializer):
    receivable = serializers.IntegerField(help_text="应收: charges on lines whose period starts in the period")
    waived = serializers.IntegerField()
    due = serializers.IntegerField(help_text="receivable − waived")
    collected = serializers.IntegerField(help_text="实收: net settlements on those lines")
    outstanding = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True, help_text="collected ÷ due, %")
    meets_target = serializers.BooleanField(allow_null=True)
    prepaid = serializers.IntegerField(allow_null=True, help_text="预收 balance (null for fee items)")
    arrears = serializers.IntegerField(help_text="owed on lines due before the cut-off day")


class RowOut(FiguresOut):
    id = serializers.IntegerField()
    name = serializers.CharField()
    within = serializers.CharField(help_text="the parent's name")
    drill_down = serializers.DictField(child=serializers.CharField(), allow_null=True)


class CollectionOut(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    group = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    cutoff = serializers.DateField()
    currency = serializers.CharField()
    target = serializers.IntegerField(help_text="the company's collection-rate target, %")
    rows = RowOut(many=True)
    totals = FiguresOut()


class TrendPointOut(serializers.Serializer):
    month = serializers.CharField()
    receivable = serializers.IntegerField()
    waived = serializers.IntegerField()
    collected = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)


class TrendOut(serializers.Serializer):
    currency = serializers.CharField()
    target = serializers.IntegerField()
    months = TrendPointOut(many=True)


class BucketOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    amount = serializers.IntegerField()


class DayOut(serializers.Serializer):
    day = serializers.DateField()
    count = serializers.IntegerField()
    amount = serializers.IntegerField()


class PaymentsOut(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    currency = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.IntegerField()
    refunded = serializers.IntegerField()
    by_method = BucketOut(many=True)
    by_channel = BucketOut(many=True)
    by_day = DayOut(many=True)


def _rate(value: Any) -> str | None:
    return None if value is None else str(value)


def figures_data(f: reports.Figures, meets: bool | None) -> dict[str, Any]:
    return {
        "receivable": f.receivable,
        "waived": f.waived,
        "due": f.due,
        "collected": f.collected,
        "outstanding": f.outstanding,
        "rate": _rate(f.rate),
        "meets_target": meets,
        "prepaid": f.prepaid,
        "arrears": f.arrears,
    }


def collection_data(report: reports.CollectionReport) -> dict[str, Any]:
    q = report.query
    return {
        "start": f"{q.period.start:%Y-%m}",
        "end": f"{q.period.end:%Y-%m}",
        "group": q.group,
        "as_of": q.as_of.isoformat() if q.as_of else None,
        "cutoff": report.cutoff.isoformat(),
        "currency": CURRENCY,
        "target": report.target_pct,
        "rows": [
            {
                "id": r.key,
                "name": r.label,
                "within": r.context,
                "drill_down": r.drill,
                **figures_data(r.figures, r.meets_target),
            }
            for r in report.rows
        ],
        "totals": figures_data(report.totals, report.totals_meet_target),
    }


class ReportApi(APIView):
    required_permission = perms.BILLING_READ

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def query(self, request: Request) -> reports.ReportQuery:
        return reports.parse_query(request.query_params)


class CollectionReportApi(ReportApi):
    @extend_schema(
        parameters=[
            *PARAMETERS,
            OpenApiParameter("group", str, enum=list(reports.GROUPS), description="Rows per (default: office)"),
        ],
        responses={200: CollectionOut},
    )
    def get(self, request: Request) -> Response:
        report = reports.collection_report(scope=self.scope(request), query=self.query(request))
        return Response(collection_data(report))


class TrendReportApi(ReportApi):
    @extend_schema(parameters=PARAMETERS, responses={200: TrendOut})
    def get(self, request: Request) -> Response:
        points = reports.collection_trend(scope=self.scope(request), query=self.query(request))
        return Response(
            {
                "currency": CURRENCY,
                "target": reports.target_pct(),
                "months": [
                    {
                        "month": f"{p.month:%Y-%m}",
                        "receivable": p.receivable,
                        "waived": p.waived,
                        "collected": p.collected,
                        "rate": _rate(p.rate),
                    }
                    for p in points
                ],
            }
        )


class PaymentsReportApi(ReportApi):
    @extend_schema(parameters=PARAMETERS, responses={200: PaymentsOut})
    def get(self, request: Request) -> Response:
        query = self.query(request)
        result = reports.payments_received(scope=self.scope(request), query=query)
        return Response(
            {
                "start": f"{query.period.start:%Y-%m}",
                "end": f"{query.period.end:%Y-%m}",
                "currency": CURRENCY,
                "count": result.count,
                "amount": result.amount,
                "refunded": result.refunded,
                "by_method": result.by_method,
                "by_channel": result.by_channel,
                "by_day": [{**d, "day": d["day"].isoformat()} for d in result.by_day],
            }
        )


urlpatterns: list[URLPattern] = [
    path("api/v1/reports/collection/", CollectionReportApi.as_view(), name="api-reports-collection"),
    path("api/v1/reports/trend/", TrendReportApi.as_view(), name="api-reports-trend"),
    path("api/v1/reports/payments/", PaymentsReportApi.as_view(), name="api-reports-payments"),
]
