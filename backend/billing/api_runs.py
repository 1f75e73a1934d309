"""计费 / 月结 under /api/v1/bill-runs/: create a run with its preview (nothing posted yet), follow it, start
it (posted in the background by backend/billing/tasks.py; posting twice bills nothing twice)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_choice, validated
from backend.api.permissions import api_user

from . import runs
from .api_base import ERRORS, BillingApi, field_error, period_value
from .api_fields import FenField, PeriodField, YuanField
from .models import BillRun
from .money import yuan
from .selectors import bill_runs_visible


class BillRunPreviewItemSerializer(serializers.Serializer):
    fee_item = serializers.IntegerField()
    name = serializers.CharField()
    lines = serializers.IntegerField(help_text=gettext_lazy("Lines the run would bill for this item."))
    amount = FenField(read_only=True)
    existing = serializers.IntegerField(
        help_text=gettext_lazy("Of those, lines that exist already (not billed again).")
    )
    new_lines = serializers.IntegerField()
    new_amount = FenField(read_only=True)


class BillRunPreviewSerializer(serializers.Serializer):
    """What a run would bill, computed when it is created."""

    period = serializers.DateField(required=False)
    units = serializers.IntegerField(required=False)
    items = BillRunPreviewItemSerializer(many=True, required=False)
    lines = serializers.IntegerField(required=False)
    amount = FenField(read_only=True)
    new_lines = serializers.IntegerField(required=False)
    new_amount = FenField(read_only=True)
    existing = serializers.IntegerField(required=False)
    items_without_standard = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=gettext_lazy("Assigned items with no price for the period."),
    )
    flagged_readings = serializers.IntegerField(
        required=False, help_text=gettext_lazy("Meter readings awaiting review: not billed until confirmed.")
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance or {})
        for key in ("amount", "new_amount"):
            if key in data:
                data[f"{key}_display"] = yuan(data[key])
        return data


class BillRunSerializer(serializers.ModelSerializer):
    """计费 / 月结: a run over a month and a scope (offices, estates or buildings; none: the whole company)."""

    period = PeriodField()
    period_start = serializers.DateField(source="period", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    preview = BillRunPreviewSerializer(read_only=True)
    amount_created = FenField(
        read_only=True, help_text=gettext_lazy("Total of the lines this run posted, integer fen.")
    )
    amount_created_display = YuanField(source="amount_created")

    class Meta:
        model = BillRun
        fields = [
            "id",
            "period",
            "period_start",
            "status",
            "progress_percent",
            "office_ids",
            "estate_ids",
            "building_ids",
            "preview",
            "total_units",
            "done_units",
            "lines_created",
            "amount_created",
            "amount_created_display",
            "lines_existing",
            "error",
            "scheduled",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class BillRunCreateSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=10, help_text=gettext_lazy('The month to bill, "YYYY-MM".'))
    office_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    estate_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    building_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class BillRunApi(BillingApi):
    def runs(self, request: Request) -> QuerySet[BillRun]:
        return bill_runs_visible(scope=self.scope(request))

    def run(self, request: Request, pk: int) -> BillRun:
        run = self.runs(request).filter(pk=pk).first()
        if run is None:
            raise Http404
        return run


class BillRunListApi(BillRunApi):
    """计费 / 月结. POST creates a run with its preview (nothing is posted yet); start it to post."""

    required_permission = perms.BILL_RUN

    @extend_schema(
        parameters=[OpenApiParameter("period", str, description='"YYYY-MM"'), OpenApiParameter("status", str)],
        responses={200: BillRunSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = self.runs(request)
        if (period := period_value(request.query_params.get("period"))) is not None:
            qs = qs.filter(period=period)
        if run_status := query_choice(request, "status", BillRun.Status.values):
            qs = qs.filter(status=run_status)
        return self.page(request, qs.order_by("-created_at", "-id"), BillRunSerializer)

    @extend_schema(request=BillRunCreateSerializer, responses={201: BillRunSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = validated(BillRunCreateSerializer, request)
        period = period_value(data["period"])
        if period is None:
            raise field_error("period", _('Enter a month as "YYYY-MM", e.g. 2026-07.'))
        run = runs.bill_run_create(
            period=period,
            scope=self.scope(request),
            by=api_user(request),
            office_ids=data["office_ids"],
            estate_ids=data["estate_ids"],
            building_ids=data["building_ids"],
        )
        return Response(BillRunSerializer(run).data, status=status.HTTP_201_CREATED)


class BillRunDetailApi(BillRunApi):
    """A run: status, progress (also pushed live over the websocket as billrun.progress), preview, totals."""

    required_permission = perms.BILL_RUN

    @extend_schema(responses={200: BillRunSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(BillRunSerializer(self.run(request, pk)).data)


class BillRunStartApi(BillRunApi):
    """Queue the run for posting in the background (202). Posting twice bills nothing twice."""

    required_permission = perms.BILL_RUN

    @extend_schema(request=None, responses={202: BillRunSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        run = runs.bill_run_start(run=self.run(request, pk), scope=self.scope(request), by=api_user(request))
        run.refresh_from_db()
        return Response(BillRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


urlpatterns: list[URLPattern] = [
    path("api/v1/bill-runs/", BillRunListApi.as_view(), name="api-bill-runs"),
    path("api/v1/bill-runs/<int:pk>/", BillRunDetailApi.as_view(), name="api-bill-run"),
    path("api/v1/bill-runs/<int:pk>/start/", BillRunStartApi.as_view(), name="api-bill-run-start"),
]
