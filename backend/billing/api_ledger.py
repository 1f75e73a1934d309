"""A unit's account under /api/v1/ledger/: its journal, its statement (对账单) between two dates and its
balances, all derived from the ledger (selectors.py). Counter payments are api_payments.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.api.params import query_choice
from backend.properties.models import Unit

from .api_base import ERRORS, UNIT_REQUIRED, BillingApi, field_error, query_date
from .api_fields import FenField, YuanField
from .models import LedgerEntry, Payment
from .selectors import unit_account, unit_statement


class LedgerEntrySerializer(serializers.ModelSerializer):
    """One movement on a unit's account; `amount` is always positive, the kind gives its direction."""

    amount = FenField(read_only=True)
    amount_display = YuanField(source="amount")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "amount_display",
            "currency",
            "bill_line",
            "payment",
            "deposit",
            "waiver_kind",
            "reason",
            "approved_by",
            "created_by",
            "occurred_on",
            "created_at",
        ]
        read_only_fields = fields


class AccountSerializer(serializers.Serializer):
    """A unit's account, derived from the ledger. balance = owed − prepaid (positive: the unit owes)."""

    unit = serializers.IntegerField()
    unit_label = serializers.CharField()
    charged = FenField(read_only=True)
    charged_display = YuanField(source="charged")
    waived = FenField(read_only=True)
    waived_display = YuanField(source="waived")
    paid = FenField(read_only=True, help_text=gettext_lazy("Money received (payments and prepayments), integer fen."))
    paid_display = YuanField(source="paid")
    refunded = FenField(read_only=True)
    refunded_display = YuanField(source="refunded")
    owed = FenField(read_only=True, help_text=gettext_lazy("Still owed over all bill lines, integer fen."))
    owed_display = YuanField(source="owed")
    prepaid = FenField(read_only=True, help_text=gettext_lazy("Prepaid credit (预收) not yet used, integer fen."))
    prepaid_display = YuanField(source="prepaid")
    deposits_held = FenField(read_only=True, help_text=gettext_lazy("Deposits (押金) still held, integer fen."))
    deposits_held_display = YuanField(source="deposits_held")
    balance = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("owed − prepaid, integer fen; may be negative.")
    )
    balance_display = YuanField(source="balance")


class StatementRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)
    occurred_on = serializers.DateField()
    description = serializers.CharField()
    bill_line = serializers.IntegerField(allow_null=True)
    payment = serializers.IntegerField(allow_null=True)
    amount = FenField(read_only=True)
    signed = serializers.IntegerField(
        help_text=gettext_lazy("The effect on the balance, integer fen (negative: credit).")
    )
    signed_display = YuanField(source="signed")
    balance = serializers.IntegerField(help_text=gettext_lazy("Running balance after this row, integer fen."))
    balance_display = YuanField(source="balance")


class StatementSerializer(serializers.Serializer):
    """对账单: what moved the balance between start and end, with the opening, a running and the closing balance."""

    unit = serializers.IntegerField()
    unit_label = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    opening = serializers.IntegerField(help_text=gettext_lazy("Balance before start, integer fen."))
    opening_display = YuanField(source="opening")
    rows = StatementRowSerializer(many=True)
    closing = serializers.IntegerField(help_text=gettext_lazy("Balance after the last row, integer fen."))
    closing_display = YuanField(source="closing")
    account = AccountSerializer()


class LedgerListApi(BillingApi):
    """The append-only journal of one unit's account, newest first."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(
        parameters=[UNIT_REQUIRED, OpenApiParameter("kind", str, enum=LedgerEntry.Kind.values)],
        responses={200: LedgerEntrySerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        unit = self.required_unit(request)
        qs = LedgerEntry.objects.filter(unit=unit)
        if kind := query_choice(request, "kind", LedgerEntry.Kind.values):
            qs = qs.filter(kind=kind)
        return self.page(request, qs.order_by("-occurred_on", "-created_at", "-id"), LedgerEntrySerializer)


def _account(unit: Unit) -> dict[str, Any]:
    account = unit_account(unit.pk)
    return {**asdict(account), "balance": account.balance, "unit": unit.pk, "unit_label": unit.label}


def _describe(entry: LedgerEntry) -> str:
    parts = [str(LedgerEntry.Kind(entry.kind).label)]
    if entry.bill_line_id is not None:
        line = entry.bill_line
        assert line is not None
        parts.append(f"{line.fee_item.name} {line.period_start:%Y-%m}")
        if line.description:
            parts.append(line.description)
    if entry.kind in ("payment", "prepayment") and entry.payment is not None:
        parts.append(str(Payment.Method(entry.payment.method).label))
        if entry.payment.reference:
            parts.append(entry.payment.reference)
    if entry.reason:
        parts.append(entry.reason)
    return " · ".join(parts)


class LedgerStatementApi(BillingApi):
    """对账单 of a unit between two dates: opening balance, the rows with a running balance, closing balance."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(
        parameters=[UNIT_REQUIRED, OpenApiParameter("start", dt.date), OpenApiParameter("end", dt.date)],
        responses={200: StatementSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        unit = self.required_unit(request)
        start, end = query_date(request, "start"), query_date(request, "end")
        if start and end and start > end:
            raise field_error("end", _("The end is before the start."))
        statement = unit_statement(unit.pk, start=start, end=end)
        rows = [
            {
                "id": row["entry"].pk,
                "kind": row["entry"].kind,
                "occurred_on": row["entry"].occurred_on,
                "description": _describe(row["entry"]),
                "bill_line": row["entry"].bill_line_id,
                "payment": row["entry"].payment_id,
                "amount": row["entry"].amount,
                "signed": row["signed"],
                "balance": row["balance"],
            }
            for row in statement["rows"]
        ]
        body = {
            "unit": unit.pk,
            "unit_label": unit.label,
            "start": start,
            "end": end,
            "opening": statement["opening"],
            "rows": rows,
            "closing": statement["closing"],
            "account": _account(unit),
        }
        return Response(StatementSerializer(body).data)


class LedgerAccountApi(BillingApi):
    """A unit's account: owed, prepaid credit, deposits held and the balance (owed − prepaid)."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(parameters=[UNIT_REQUIRED], responses={200: AccountSerializer, 400: ERRORS[400], 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        return Response(AccountSerializer(_account(self.required_unit(request))).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/ledger/", LedgerListApi.as_view(), name="api-ledger"),
    path("api/v1/ledger/statement/", LedgerStatementApi.as_view(), name="api-ledger-statement"),
    path("api/v1/ledger/accounts/", LedgerAccountApi.as_view(), name="api-ledger-accounts"),
]
