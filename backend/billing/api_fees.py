"""Billing API under /api/v1/: fee setup, bill runs, bills, the ledger, counter payments, waivers, deposits and
one-off charges. (Routes are collected by backend/billing/urls.py.)

Every read goes through the caller's Scope (staff: their offices/estates; residents: the units they live in
now) and every lookup by id outside it is a 404. Every write calls a service of services.py / ledger.py /
runs.py, which validates, locks and audits; their ApplicationError becomes the shared error shape (400 with
field messages, 403 for four-eyes, 409 for a reused idempotency key). Money is integer fen; see
serializers.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.params import idempotency_key, query_choice, query_int
from backend.api.permissions import api_user, request_membership
from backend.properties.models import ManagementOffice, Unit
from backend.properties.scope import Scope

from . import api_fields as s
from . import ledger, runs, services
from .models import BillLine, BillRun, Deposit, FeeItem, FeeStandard, LedgerEntry, Payment, WaiverRequest
from .periods import parse_period
from .selectors import (
    bill_lines_for,
    bill_runs_visible,
    deposits_with_totals,
    lines_with_balances,
    payment_allocations,
    payments_with_totals,
    unit_account,
    unit_statement,
)

UNIT_PARAM = OpenApiParameter("unit", int, description="A unit id (residents: a unit they live in).")
UNIT_REQUIRED = OpenApiParameter("unit", int, required=True, description="A unit id (residents: their own).")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Optional, at most 100 characters. Sending the same key again returns the payment already "
    "recorded (200) instead of recording it twice; the key with another unit or amount is a 409.",
)
ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    403: OpenApiResponse(description="The caller's roles do not allow this"),
    404: OpenApiResponse(description="Not found within the caller's scope"),
}


# --- helpers ---------------------------------------------------------------------------------------------


def _field_error(name: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({name: [message]})


def _period(value: str | None, name: str = "period") -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return parse_period(str(value))
    except ValueError:
        raise _field_error(name, _('Enter a month as "YYYY-MM", e.g. 2026-07.')) from None


def _query_date(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _field_error(name, _('Enter a date as "YYYY-MM-DD".')) from None


def _validated(serializer_class: type[serializers.Serializer], request: Request, **kw: Any) -> dict[str, Any]:
    data = serializer_class(data=request.data, **kw)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class BillingApi(APIView):
    # APIView does not page by itself; naming the paginator lets the OpenAPI schema describe paged lists.
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def page(self, request: Request, qs: Any, serializer: type[serializers.BaseSerializer]) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True).data)

    def units(self, request: Request) -> QuerySet[Unit]:
        return self.scope(request).filter_units(Unit.objects.all())

    def unit(self, request: Request, unit_id: int | None) -> Unit:
        """A unit the caller may see, or 404 (another company's, another office's, a neighbour's)."""
        unit = self.units(request).filter(pk=unit_id).first() if unit_id is not None else None
        if unit is None:
            raise Http404
        return unit

    def required_unit(self, request: Request) -> Unit:
        unit_id = query_int(request, "unit")
        if unit_id is None:
            raise _field_error("unit", _("Choose a unit (?unit=<id>)."))
        return self.unit(request, unit_id)

    def offices(self, request: Request) -> QuerySet[ManagementOffice]:
        return ManagementOffice.objects.filter(self.scope(request).office_q()).distinct()

    def fee_items(self, request: Request) -> QuerySet[FeeItem]:
        return FeeItem.objects.filter(office__in=self.offices(request).values("pk"))

    def fee_item(self, request: Request, pk: int) -> FeeItem:
        item = self.fee_items(request).filter(pk=pk).first()
        if item is None:
            raise Http404
        return item

    def bill_lines(self, request: Request) -> QuerySet[BillLine]:
        qs = lines_with_balances(BillLine.objects.select_related("unit", "fee_item"))
        return bill_lines_for(self.scope(request), qs)


# --- fee items ---------------------------------------------------------------------------------------------


class FeeItemListApi(BillingApi):
    """收费项目 of the offices the caller manages."""

    required_permission = {"GET": perms.FEE_ITEMS_READ, "POST": perms.BILLING_MANAGE}

    @extend_schema(
        parameters=[
            OpenApiParameter("office", int),
            OpenApiParameter("active", bool, description="1: active items only; 0: inactive only."),
        ],
        responses={200: s.FeeItemSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = self.fee_items(request)
        if (office := query_int(request, "office")) is not None:
            qs = qs.filter(office_id=office)
        active = request.query_params.get("active")
        if active in ("1", "true"):
            qs = qs.filter(is_active=True)
        elif active in ("0", "false"):
            qs = qs.filter(is_active=False)
        return self.page(request, qs.order_by("office_id", "priority", "code"), s.FeeItemSerializer)

    @extend_schema(request=s.FeeItemCreateSerializer, responses={201: s.FeeItemSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = _validated(s.FeeItemCreateSerializer, request)
        office = self.offices(request).filter(pk=data.pop("office")).first()
        if office is None:
            raise Http404
        item = services.fee_item_create(office=office, scope=self.scope(request), **data)
        return Response(s.FeeItemSerializer(item).data, status=status.HTTP_201_CREATED)


class FeeItemDetailApi(BillingApi):
    required_permission = {"GET": perms.FEE_ITEMS_READ, "PATCH": perms.BILLING_MANAGE}

    @extend_schema(responses={200: s.FeeItemSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.FeeItemSerializer(self.fee_item(request, pk)).data)

    @extend_schema(request=s.FeeItemUpdateSerializer, responses={200: s.FeeItemSerializer, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        item = self.fee_item(request, pk)
        data = _validated(s.FeeItemUpdateSerializer, request, partial=True)
        if data:
            item = services.fee_item_update(item=item, **data)
        return Response(s.FeeItemSerializer(item).data)


def _selection(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "estate_id": data.get("estate"),
        "building_id": data.get("building"),
        "unit_type": data.get("unit_type") or None,
        "unit_ids": data.get("unit_ids") or None,
    }


class FeeItemAssignApi(BillingApi):
    """Charge the item to a selection of units from a month on (bulk: estate / building / type / unit ids)."""

    required_permission = perms.BILLING_MANAGE

    @extend_schema(request=s.FeeAssignSerializer, responses={200: s.FeeAssignResultSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        item = self.fee_item(request, pk)
        data = _validated(s.FeeAssignSerializer, request)
        result = services.fee_assign(
            item=item, scope=self.scope(request), start_date=data["start_date"], **_selection(data)
        )
        return Response(s.FeeAssignResultSerializer(result).data)


class FeeItemUnassignApi(BillingApi):
    """Stop charging the item to a selection of units after a day (earlier months still bill)."""

    required_permission = perms.BILLING_MANAGE

    @extend_schema(request=s.FeeUnassignSerializer, responses={200: s.FeeUnassignResultSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        item = self.fee_item(request, pk)
        data = _validated(s.FeeUnassignSerializer, request)
        changed = services.fee_unassign(
            item=item, scope=self.scope(request), end_date=data["end_date"], **_selection(data)
        )
        return Response({"changed": changed})


# --- fee standards -------------------------------------------------------------------------------------------


class FeeStandardListApi(BillingApi):
    """收费标准: versioned rates. A new price starts on the first of a month; earlier months keep theirs."""

    required_permission = {"GET": perms.FEE_ITEMS_READ, "POST": perms.BILLING_MANAGE}

    @extend_schema(parameters=[OpenApiParameter("fee_item", int)], responses={200: s.FeeStandardSerializer(many=True)})
    def get(self, request: Request) -> Response:
        qs = FeeStandard.objects.filter(fee_item__in=self.fee_items(request).values("pk")).select_related("fee_item")
        if (item := query_int(request, "fee_item")) is not None:
            qs = qs.filter(fee_item_id=item)
        return self.page(request, qs.order_by("fee_item_id", "unit_type", "-effective_from"), s.FeeStandardSerializer)

    @extend_schema(request=s.FeeStandardCreateSerializer, responses={201: s.FeeStandardSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = _validated(s.FeeStandardCreateSerializer, request)
        item = self.fee_item(request, data.pop("fee_item"))
        standard = services.fee_standard_create(item=item, by=api_user(request), **data)
        return Response(s.FeeStandardSerializer(standard).data, status=status.HTTP_201_CREATED)


# --- bill runs ---------------------------------------------------------------------------------------------


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
        responses={200: s.BillRunSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = self.runs(request)
        if (period := _period(request.query_params.get("period"))) is not None:
            qs = qs.filter(period=period)
        if run_status := query_choice(request, "status", BillRun.Status.values):
            qs = qs.filter(status=run_status)
        return self.page(request, qs.order_by("-created_at", "-id"), s.BillRunSerializer)

    @extend_schema(request=s.BillRunCreateSerializer, responses={201: s.BillRunSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = _validated(s.BillRunCreateSerializer, request)
        period = _period(data["period"])
        if period is None:
            raise _field_error("period", _('Enter a month as "YYYY-MM", e.g. 2026-07.'))
        run = runs.bill_run_create(
            period=period,
            scope=self.scope(request),
            by=api_user(request),
            office_ids=data["office_ids"],
            estate_ids=data["estate_ids"],
            building_ids=data["building_ids"],
        )
        return Response(s.BillRunSerializer(run).data, status=status.HTTP_201_CREATED)


class BillRunDetailApi(BillRunApi):
    """A run: status, progress (also pushed live over the websocket as billrun.progress), preview, totals."""

    required_permission = perms.BILL_RUN

    @extend_schema(responses={200: s.BillRunSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.BillRunSerializer(self.run(request, pk)).data)


class BillRunStartApi(BillRunApi):
    """Queue the run for posting in the background (202). Posting twice bills nothing twice."""

    required_permission = perms.BILL_RUN

    @extend_schema(request=None, responses={202: s.BillRunSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        run = runs.bill_run_start(run=self.run(request, pk), scope=self.scope(request), by=api_user(request))
        run.refresh_from_db()
        return Response(s.BillRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# --- bills ---------------------------------------------------------------------------------------------


BILL_FILTERS = [
    UNIT_PARAM,
    OpenApiParameter("period", str, description='"YYYY-MM": lines whose period covers that month.'),
    OpenApiParameter("unpaid", bool, description="1: only lines with something still owed."),
    OpenApiParameter("kind", str, enum=BillLine.Kind.values),
    OpenApiParameter("fee_item", int),
]


class BillListApi(BillingApi):
    """Bill lines with what was charged, waived, settled and is still owed. Staff: their scope; residents:
    the units they live in now."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(parameters=BILL_FILTERS, responses={200: s.BillLineSerializer(many=True), 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        qs = self.bill_lines(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        if (period := _period(request.query_params.get("period"))) is not None:
            qs = qs.filter(period_start__lte=period, period_end__gte=period)
        if request.query_params.get("unpaid") in ("1", "true"):
            qs = qs.filter(Q(owed__gt=0))
        if kind := query_choice(request, "kind", BillLine.Kind.values):
            qs = qs.filter(kind=kind)
        if (item := query_int(request, "fee_item")) is not None:
            qs = qs.filter(fee_item_id=item)
        qs = qs.order_by("-period_start", "unit_id", "fee_item__priority", "id")
        return self.page(request, qs, s.BillLineSerializer)


class BillDetailApi(BillingApi):
    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(responses={200: s.BillLineSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        line = self.bill_lines(request).filter(pk=pk).first()
        if line is None:
            raise Http404
        return Response(s.BillLineSerializer(line).data)


class AdhocChargeApi(BillingApi):
    """临时费用: post a one-off charge on a unit (settled from its prepaid balance if it has one)."""

    required_permission = perms.PAYMENT_RECORD

    @extend_schema(request=s.AdhocChargeSerializer, responses={201: s.BillLineSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = _validated(s.AdhocChargeSerializer, request)
        unit = self.unit(request, data["unit"])
        item = self.fee_item(request, data["fee_item"])
        line = ledger.adhoc_charge_post(
            unit=unit,
            fee_item=item,
            amount=data["amount"],
            description=data["description"],
            due_date=data.get("due_date"),
            by=api_user(request),
        )
        line = lines_with_balances(BillLine.objects.select_related("unit", "fee_item")).get(pk=line.pk)
        return Response(s.BillLineSerializer(line).data, status=status.HTTP_201_CREATED)


# --- ledger ------------------------------------------------------------------------------------------------


class LedgerListApi(BillingApi):
    """The append-only journal of one unit's account, newest first."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(
        parameters=[UNIT_REQUIRED, OpenApiParameter("kind", str, enum=LedgerEntry.Kind.values)],
        responses={200: s.LedgerEntrySerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        unit = self.required_unit(request)
        qs = LedgerEntry.objects.filter(unit=unit)
        if kind := query_choice(request, "kind", LedgerEntry.Kind.values):
            qs = qs.filter(kind=kind)
        return self.page(request, qs.order_by("-occurred_on", "-created_at", "-id"), s.LedgerEntrySerializer)


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
        responses={200: s.StatementSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        unit = self.required_unit(request)
        start, end = _query_date(request, "start"), _query_date(request, "end")
        if start and end and start > end:
            raise _field_error("end", _("The end is before the start."))
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
        return Response(s.StatementSerializer(body).data)


class LedgerAccountApi(BillingApi):
    """A unit's account: owed, prepaid credit, deposits held and the balance (owed − prepaid)."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(parameters=[UNIT_REQUIRED], responses={200: s.AccountSerializer, 400: ERRORS[400], 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        return Response(s.AccountSerializer(_account(self.required_unit(request))).data)


# --- payments ----------------------------------------------------------------------------------------------


class PaymentListApi(BillingApi):
    """Counter payments (POST: finance, company admin) and the payments of units in the caller's scope."""

    required_permission = {"GET": perms.BILLS_OR_OWN_HOMES, "POST": perms.PAYMENT_RECORD}

    @extend_schema(
        parameters=[UNIT_PARAM, OpenApiParameter("method", str, enum=Payment.Method.values)],
        responses={200: s.PaymentSerializer(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        qs = Payment.objects.filter(unit__in=self.units(request).values("pk")).select_related("unit")
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        if method := query_choice(request, "method", Payment.Method.values):
            qs = qs.filter(method=method)
        qs = payments_with_totals(qs).order_by("-received_at", "-id")
        return self.page(request, qs, s.PaymentSerializer)

    @extend_schema(
        request=s.PaymentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.PaymentRecordedSerializer,
            200: OpenApiResponse(s.PaymentRecordedSerializer, description="Replay of an Idempotency-Key"),
            409: OpenApiResponse(description="The Idempotency-Key was used for a different payment"),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        data = _validated(s.PaymentCreateSerializer, request)
        unit = self.unit(request, data["unit"])
        payment, created = ledger.payment_record(
            unit=unit,
            amount=data["amount"],
            method=data["method"],
            line_ids=data.get("line_ids") or None,
            to_prepaid=data["to_prepaid"],
            reference=data["reference"],
            payer_name=data["payer_name"],
            note=data["note"],
            received_at=data.get("received_at"),
            recorded_by=api_user(request),
            idempotency_key=idempotency_key(request),
        )
        recorded = payments_with_totals(Payment.objects.select_related("unit")).get(pk=payment.pk)
        recorded.allocations = payment_allocations(payment)  # type: ignore[attr-defined]
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK  # 200: a replay of the key
        return Response(s.PaymentRecordedSerializer(recorded).data, status=answer)


# --- waivers -----------------------------------------------------------------------------------------------


class WaiverApi(BillingApi):
    def waivers(self, request: Request) -> QuerySet[WaiverRequest]:
        return WaiverRequest.objects.filter(bill_line__unit__in=self.units(request).values("pk")).select_related(
            "bill_line__unit", "bill_line__fee_item", "requested_by"
        )

    def waiver(self, request: Request, pk: int) -> WaiverRequest:
        waiver = self.waivers(request).filter(pk=pk).first()
        if waiver is None:
            raise Http404
        return waiver


class WaiverListApi(WaiverApi):
    """减免 / 红冲 requests. Finance, company admin and customer service may ask; a second person approves."""

    required_permission = {"GET": perms.BILLING_READ, "POST": perms.WAIVER_REQUEST}

    @extend_schema(
        parameters=[UNIT_PARAM, OpenApiParameter("status", str, enum=WaiverRequest.Status.values)],
        responses={200: s.WaiverSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = self.waivers(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(bill_line__unit=self.unit(request, unit_id))
        if waiver_status := query_choice(request, "status", WaiverRequest.Status.values):
            qs = qs.filter(status=waiver_status)
        return self.page(request, qs.order_by("-requested_at", "-id"), s.WaiverSerializer)

    @extend_schema(request=s.WaiverCreateSerializer, responses={201: s.WaiverSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = _validated(s.WaiverCreateSerializer, request)
        line = bill_lines_for(self.scope(request)).filter(pk=data["bill_line"]).select_related("unit").first()
        if line is None:
            raise Http404
        waiver = ledger.waiver_request(
            line=line, amount=data["amount"], reason=data["reason"], by=api_user(request), kind=data["kind"]
        )
        return Response(s.WaiverSerializer(self.waiver(request, waiver.pk)).data, status=status.HTTP_201_CREATED)


class WaiverDecideApi(WaiverApi):
    required_permission = perms.WAIVER_APPROVE
    approve = True

    def post(self, request: Request, pk: int) -> Response:
        data = _validated(s.DecisionSerializer, request)
        ledger.waiver_decide(
            request=self.waiver(request, pk), by=api_user(request), approve=self.approve, note=data["note"]
        )
        return Response(s.WaiverSerializer(self.waiver(request, pk)).data)


class WaiverApproveApi(WaiverDecideApi):
    """Approve and post the credit. The person who asked cannot approve (four-eyes: 403)."""

    approve = True

    @extend_schema(request=s.DecisionSerializer, responses={200: s.WaiverSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class WaiverRejectApi(WaiverDecideApi):
    approve = False

    @extend_schema(request=s.DecisionSerializer, responses={200: s.WaiverSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


# --- deposits ------------------------------------------------------------------------------------------------


class DepositApi(BillingApi):
    def deposits(self, request: Request) -> QuerySet[Deposit]:
        qs = Deposit.objects.filter(unit__in=self.units(request).values("pk")).select_related("unit")
        return deposits_with_totals(qs)

    def deposit(self, request: Request, pk: int) -> Deposit:
        deposit = self.deposits(request).filter(pk=pk).first()
        if deposit is None:
            raise Http404
        return deposit


class DepositListApi(DepositApi):
    """押金: deposits held for units (residents: their own)."""

    required_permission = {"GET": perms.BILLS_OR_OWN_HOMES, "POST": perms.PAYMENT_RECORD}

    @extend_schema(parameters=[UNIT_PARAM], responses={200: s.DepositSerializer(many=True), 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        qs = self.deposits(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        return self.page(request, qs.order_by("-received_at", "-id"), s.DepositSerializer)

    @extend_schema(request=s.DepositCreateSerializer, responses={201: s.DepositSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = _validated(s.DepositCreateSerializer, request)
        deposit = ledger.deposit_hold(
            unit=self.unit(request, data.pop("unit")),
            amount=data["amount"],
            purpose=data["purpose"],
            method=data["method"],
            reference=data["reference"],
            payer_name=data["payer_name"],
            received_at=data.get("received_at"),
            by=api_user(request),
        )
        return Response(s.DepositSerializer(self.deposit(request, deposit.pk)).data, status=status.HTTP_201_CREATED)


class DepositReleaseApi(DepositApi):
    """Refund and/or forfeit (part of) what a deposit still holds."""

    required_permission = perms.PAYMENT_RECORD

    @extend_schema(request=s.DepositReleaseSerializer, responses={200: s.DepositSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        deposit = self.deposit(request, pk)
        data = _validated(s.DepositReleaseSerializer, request)
        ledger.deposit_release(
            deposit=deposit, refund=data["refund"], forfeit=data["forfeit"], reason=data["reason"], by=api_user(request)
        )
        return Response(s.DepositSerializer(self.deposit(request, pk)).data)


urlpatterns = [
    path("api/v1/fee-items/", FeeItemListApi.as_view(), name="api-fee-items"),
    path("api/v1/fee-items/<int:pk>/", FeeItemDetailApi.as_view(), name="api-fee-item"),
    path("api/v1/fee-items/<int:pk>/assign/", FeeItemAssignApi.as_view(), name="api-fee-item-assign"),
    path("api/v1/fee-items/<int:pk>/unassign/", FeeItemUnassignApi.as_view(), name="api-fee-item-unassign"),
    path("api/v1/fee-standards/", FeeStandardListApi.as_view(), name="api-fee-standards"),
    path("api/v1/bill-runs/", BillRunListApi.as_view(), name="api-bill-runs"),
    path("api/v1/bill-runs/<int:pk>/", BillRunDetailApi.as_view(), name="api-bill-run"),
    path("api/v1/bill-runs/<int:pk>/start/", BillRunStartApi.as_view(), name="api-bill-run-start"),
    path("api/v1/bills/", BillListApi.as_view(), name="api-bills"),
    path("api/v1/bills/adhoc/", AdhocChargeApi.as_view(), name="api-bills-adhoc"),
    path("api/v1/bills/<int:pk>/", BillDetailApi.as_view(), name="api-bill"),
    path("api/v1/ledger/", LedgerListApi.as_view(), name="api-ledger"),
    path("api/v1/ledger/statement/", LedgerStatementApi.as_view(), name="api-ledger-statement"),
    path("api/v1/ledger/accounts/", LedgerAccountApi.as_view(), name="api-ledger-accounts"),
    path("api/v1/ledger/payments/", PaymentListApi.as_view(), name="api-ledger-payments"),
    path("api/v1/waivers/", WaiverListApi.as_view(), name="api-waivers"),
    path("api/v1/waivers/<int:pk>/approve/", WaiverApproveApi.as_view(), name="api-waiver-approve"),
    path("api/v1/waivers/<int:pk>/reject/", WaiverRejectApi.as_view(), name="api-waiver-reject"),
    path("api/v1/deposits/", DepositListApi.as_view(), name="api-deposits"),
    path("api/v1/deposits/<int:pk>/release/", DepositReleaseApi.as_view(), name="api-deposit-release"),
]
