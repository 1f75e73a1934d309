"""Settlement over the API.

Company (its domain, /api/v1/marketplace/…): finance (marketplace_settlement) lists this company's statements,
reads one with its entries, and pays a confirmed one (a bank transfer's reference, or a Stripe Transfer where
the merchant has a Connect account); marketplace_reports reads sales and commission by merchant, category or
month. Another company's statement is not in this schema: 404.

Merchant (platform domain, /api/v1/merchant/statements/, merchant_statements): its statements of every company
from the per-merchant index, one with its entries (read in its company's schema), and the confirmation."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils import timezone
from django_tenants.utils import tenant_context
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.permissions import api_user
from marketplace.api_merchant_base import ERRORS as MERCHANT_ERRORS
from marketplace.api_merchant_base import MerchantApi
from marketplace.merchant_permissions import STATEMENTS
from marketplace.models import MerchantApplication
from tenants.db import company_time_zone

from . import payouts, reports, selectors, statements
from .models import PayableEntry, Payout, PayoutAccount, PayoutMethod, Statement, StatementStatus

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not found in this company"),
    409: OpenApiResponse(description="invalid_state, pay_by_stripe or no_stripe_account"),
}


class PayableEntrySerializer(serializers.ModelSerializer):
    signed_fen = serializers.IntegerField(read_only=True)

    class Meta:
        model = PayableEntry
        fields = ["id", "kind", "amount_fen", "signed_fen", "order_code", "category_code", "occurred_at"]


class SettlementPayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = ["id", "method", "status", "amount_fen", "reference", "failure", "created_at", "paid_at"]


class SettlementStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Statement
        fields = [
            "id",
            "code",
            "merchant_id",
            "merchant_name",
            "month",
            "status",
            "sales_fen",
            "refunds_fen",
            "commission_fen",
            "reversal_fen",
            "net_fen",
            "carried_in_fen",
            "due_fen",
            "earlier_entries",
            "issued_at",
            "confirmed_at",
            "paid_at",
        ]


class SettlementStatementDetailSerializer(SettlementStatementSerializer):
    entries = serializers.SerializerMethodField()
    payouts = SettlementPayoutSerializer(many=True, read_only=True)

    class Meta(SettlementStatementSerializer.Meta):
        fields = [*SettlementStatementSerializer.Meta.fields, "entries", "payouts"]

    @extend_schema_field(PayableEntrySerializer(many=True))
    def get_entries(self, statement: Statement) -> list[dict[str, Any]]:
        from .documents import statement_entries

        return PayableEntrySerializer(statement_entries(statement), many=True).data  # type: ignore[return-value]


class SettlementPayoutRequestSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PayoutMethod.choices)
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class SettlementApi(APIView):
    required_permission = perms.MARKETPLACE_SETTLEMENT
    pagination_class = PageNumberPagination

    def statement(self, pk: int) -> Statement:
        statement = selectors.statement_get(pk)
        if statement is None:
            raise Http404
        return statement


class StatementListApi(SettlementApi):
    @extend_schema(
        tags=["marketplace"],
        summary="This company's settlement statements (结算单)",
        parameters=[OpenApiParameter("status", enum=StatementStatus.values, required=False)],
        responses={200: SettlementStatementSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        status = request.query_params.get("status", "")
        qs = selectors.statement_list(status=status if status in StatementStatus.values else "")
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(SettlementStatementSerializer(page, many=True).data)


class StatementDetailApi(SettlementApi):
    @extend_schema(
        tags=["marketplace"],
        summary="A statement with its entries and payouts",
        responses={200: SettlementStatementDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(SettlementStatementDetailSerializer(self.statement(pk)).data)


class StatementPayoutApi(SettlementApi):
    @extend_schema(
        tags=["marketplace"],
        summary="Pay a confirmed statement: record a bank transfer, or send a Stripe Transfer",
        description="`bank_transfer` needs the bank's `reference`; `stripe_transfer` needs the merchant's "
        "Stripe Connect account (its payout account). The whole amount due is paid, once.",
        request=SettlementPayoutRequestSerializer,
        responses={200: SettlementPayoutSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = SettlementPayoutRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = self.statement(pk)
        if data.validated_data["method"] == PayoutMethod.STRIPE_TRANSFER:
            payout = payouts.payout_stripe(statement_id=statement.pk, by=api_user(request))
        else:
            payout = payouts.payout_record_bank(
                statement_id=statement.pk, reference=data.validated_data["reference"], by=api_user(request)
            )
        return Response(SettlementPayoutSerializer(payout).data)


class PayoutAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayoutAccount
        fields = ["merchant_id", "bank_name", "account_name", "account_number", "stripe_account_id", "updated_at"]
        read_only_fields = ["merchant_id", "updated_at"]


class PayoutAccountApi(SettlementApi):
    def known(self, request: Request, merchant_id: int) -> None:
        """A merchant that applied to this company (or was settled with here); any other id is a 404."""
        if not (
            MerchantApplication.objects.filter(merchant_id=merchant_id, tenant=request._request.tenant).exists()  # type: ignore[attr-defined]
            or Statement.objects.filter(merchant_id=merchant_id).exists()
        ):
            raise Http404

    @extend_schema(
        tags=["marketplace"],
        summary="A merchant's payout account in this company",
        responses={200: PayoutAccountSerializer, **ERRORS},
    )
    def get(self, request: Request, merchant_id: int) -> Response:
        self.known(request, merchant_id)
        account = selectors.payout_account(merchant_id) or PayoutAccount(merchant_id=merchant_id)
        return Response(PayoutAccountSerializer(account).data)

    @extend_schema(
        tags=["marketplace"],
        summary="Set a merchant's payout account (bank details, Stripe Connect account id)",
        request=PayoutAccountSerializer,
        responses={200: PayoutAccountSerializer, **ERRORS},
    )
    def put(self, request: Request, merchant_id: int) -> Response:
        self.known(request, merchant_id)
        data = PayoutAccountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {k: str(v) for k, v in data.validated_data.items()}
        account = payouts.payout_account_set(merchant_id=merchant_id, values=values, by=api_user(request))
        return Response(PayoutAccountSerializer(account).data)


class MarketplaceFiguresSerializer(serializers.Serializer):
    orders = serializers.IntegerField()
    sales_fen = serializers.IntegerField()
    refunds_fen = serializers.IntegerField()
    commission_fen = serializers.IntegerField(help_text="Net of the commission refunds gave back")
    merchant_fen = serializers.IntegerField()


class MarketplaceReportRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    figures = MarketplaceFiguresSerializer()


class MarketplaceReportSerializer(serializers.Serializer):
    group = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    rows = MarketplaceReportRowSerializer(many=True)
    months = MarketplaceReportRowSerializer(many=True)
    total = MarketplaceFiguresSerializer()


class SalesReportApi(APIView):
    required_permission = perms.MARKETPLACE_REPORTS

    @extend_schema(
        tags=["marketplace"],
        summary="Marketplace sales and commission by merchant, category or month",
        parameters=[
            OpenApiParameter("group", enum=list(reports.GROUPS), required=False),
            OpenApiParameter("start", description="YYYY-MM (default: five months before `end`)", required=False),
            OpenApiParameter("end", description="YYYY-MM (default: this month)", required=False),
        ],
        responses={200: MarketplaceReportSerializer, 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        today = timezone.now().astimezone(company_time_zone()).date()
        group, start, end = reports.report_query(request.query_params, today=today)
        report = reports.marketplace_report(group=group, start=start, end=end)
        return Response(MarketplaceReportSerializer(report).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/marketplace/statements/", StatementListApi.as_view(), name="api-marketplace-statements"),
    path("api/v1/marketplace/statements/<int:pk>/", StatementDetailApi.as_view(), name="api-marketplace-statement"),
    path(
        "api/v1/marketplace/statements/<int:pk>/payout/",
        StatementPayoutApi.as_view(),
        name="api-marketplace-statement-payout",
    ),
    path(
        "api/v1/marketplace/payout-accounts/<int:merchant_id>/",
        PayoutAccountApi.as_view(),
        name="api-marketplace-payout-account",
    ),
    path("api/v1/marketplace/reports/sales/", SalesReportApi.as_view(), name="api-marketplace-reports-sales"),
]


# --- the merchant's side (platform domain) -------------------------------------------------------------------


class MerchantSettlementStatementRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField(source="tenant.name")
    code = serializers.CharField()
    month = serializers.DateField()
    status = serializers.CharField()
    net_fen = serializers.IntegerField()
    commission_fen = serializers.IntegerField()
    due_fen = serializers.IntegerField()


class MerchantSettlementStatementSerializer(SettlementStatementSerializer):
    entries = PayableEntrySerializer(many=True)
    payouts = SettlementPayoutSerializer(many=True)
    company = serializers.CharField()

    class Meta(SettlementStatementSerializer.Meta):
        fields = [f for f in SettlementStatementSerializer.Meta.fields if f != "merchant_id"] + [
            "company",
            "entries",
            "payouts",
        ]


def _merchant_view(view: selectors.MerchantStatementView) -> dict[str, Any]:
    data = dict(SettlementStatementSerializer(view.statement).data)
    data.pop("merchant_id", None)
    return {
        **data,
        "id": view.entry.pk,
        "company": view.entry.tenant.name,
        "entries": PayableEntrySerializer(view.entries, many=True).data,
        "payouts": SettlementPayoutSerializer(view.payouts, many=True).data,
    }


class MerchantStatementListApi(MerchantApi):
    merchant_permission = STATEMENTS

    @extend_schema(
        tags=["merchant"],
        summary="My settlement statements across companies",
        responses={200: MerchantSettlementStatementRowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.merchant_statements(merchant_id=self.merchant(request).pk)
        return self.page(request, qs, MerchantSettlementStatementRowSerializer)


class MerchantStatementDetailApi(MerchantApi):
    merchant_permission = STATEMENTS

    @extend_schema(
        tags=["merchant"],
        summary="One of my statements, with its entries",
        responses={200: MerchantSettlementStatementSerializer, **MERCHANT_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        view = selectors.merchant_statement_read(merchant_id=self.merchant(request).pk, pk=pk)
        return Response(_merchant_view(view))


class MerchantStatementConfirmApi(MerchantApi):
    merchant_permission = STATEMENTS

    @extend_schema(
        tags=["merchant"],
        summary="Confirm one of my statements (the company may then pay it)",
        request=None,
        responses={200: MerchantSettlementStatementSerializer, **MERCHANT_ERRORS, 409: ERRORS[409]},
    )
    def post(self, request: Request, pk: int) -> Response:
        merchant_id = self.merchant(request).pk
        view = selectors.merchant_statement_read(merchant_id=merchant_id, pk=pk)
        with tenant_context(view.entry.tenant):
            statements.statement_confirm(
                statement_id=view.statement.pk, merchant_id=merchant_id, user_id=self.member(request).user_id
            )
        return Response(_merchant_view(selectors.merchant_statement_read(merchant_id=merchant_id, pk=pk)))


MP = "api/v1/merchant/statements/"
merchant_urlpatterns: list[URLPattern] = [
    path(MP, MerchantStatementListApi.as_view(), name="api-merchant-statements"),
    path(f"{MP}<int:pk>/", MerchantStatementDetailApi.as_view(), name="api-merchant-statement"),
    path(f"{MP}<int:pk>/confirm/", MerchantStatementConfirmApi.as_view(), name="api-merchant-statement-confirm"),
]
