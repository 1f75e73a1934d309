"""Payments API under /api/v1/: online payments (Stripe), saved cards and autopay for residents; receipts,
refunds, cashiers' day closes and the online follow-up list for finance. (Routes: backend/payments/urls.py.)

Counter payments are recorded through billing's /api/v1/ledger/payments/ (which numbers their receipts and
honours closed days); this API does not duplicate it. As in billing's API every read goes through the
caller's Scope and a lookup by id outside it is a 404. Residents pay only for the homes they live in now and
see only their own online payments. Every write calls one service of online.py / receipts.py / refunds.py /
dayclose.py; their ApplicationError becomes the shared error shape (400 with field messages, 409 for a
reused Idempotency-Key or a closed day, 503 when the gateway cannot be reached — nothing is stored then)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts import permissions as perms
from backend.accounts.models import Membership, User
from backend.api.params import idempotency_key, query_choice, query_int, validated
from backend.api.permissions import api_tenant, api_user, request_membership
from backend.billing.api_base import ERRORS, UNIT_PARAM, UNIT_REQUIRED, BillingApi, field_error, query_date
from backend.billing.models import Payment
from backend.billing.periods import local_day_bounds
from backend.errors import ApplicationError
from backend.gateway.config import StripeConfig, stripe_config
from backend.properties.models import Unit
from backend.properties.selectors import resident_units

from . import online
from . import serializers as s
from .dayclose import day_close, day_summary
from .models import AutopayMandate, DayClose, OnlinePayment, PaymentSettings, Receipt, Refund
from .receipt_pdf import receipt_pdf_response
from .receipts import receipt_void
from .refunds import refund_create
from .reports import followup_online_payments

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    description="Optional, at most 100 characters. Sending the same key again returns the payment already "
    "started (200) instead of creating a second PaymentIntent; the key with another home or amount is a 409.",
)
GATEWAY_DOWN = {
    502: OpenApiResponse(description="The payment gateway refused the request (e.g. an unknown payment method)"),
    503: OpenApiResponse(description="The payment gateway cannot be reached; nothing was charged or stored"),
}
CONFLICT = {409: OpenApiResponse(description="Not possible in this state (e.g. a closed day): {error: {...}}")}


def _gateway(request: Request) -> StripeConfig:
    return stripe_config(api_tenant(request).pk)


def _gateway_context(request: Request, **extra: Any) -> dict[str, Any]:
    config = _gateway(request)
    return {"publishable_key": config.publishable_key, "is_local_gateway": config.is_local, **extra}


class PaymentsApi(BillingApi):
    def resident_unit(self, request: Request, unit_id: int | None) -> Unit:
        """A home the caller lives in now (whatever other roles they have), or 404."""
        unit = resident_units(user_id=api_user(request).pk).filter(pk=unit_id).first() if unit_id else None
        if unit is None:
            raise Http404
        return unit

    def online_payments(self, request: Request) -> QuerySet[OnlinePayment]:
        qs = OnlinePayment.objects.filter(unit__in=self.units(request).values("pk"))
        if self.scope(request).is_resident:
            qs = qs.filter(user_id=api_user(request).pk)
        return qs.select_related("unit", "payment__receipt")

    def online_payment(self, request: Request, pk: int) -> OnlinePayment:
        op = self.online_payments(request).filter(pk=pk).first()
        if op is None:
            raise Http404
        return op

    def own_online_payment(self, request: Request, pk: int) -> OnlinePayment:
        """The caller's own payment for a home they still live in: only the payer confirms it."""
        user = api_user(request)
        op = (
            OnlinePayment.objects.filter(pk=pk, user_id=user.pk, unit__in=resident_units(user_id=user.pk).values("pk"))
            .select_related("unit", "payment__receipt")
            .first()
        )
        if op is None:
            raise Http404
        return op

    def receipts(self, request: Request) -> QuerySet[Receipt]:
        return Receipt.objects.filter(payment__unit__in=self.units(request).values("pk")).select_related(
            "payment__unit", "payment__recorded_by"
        )

    def receipt(self, request: Request, pk: int) -> Receipt:
        receipt = self.receipts(request).filter(pk=pk).first()
        if receipt is None:
            raise Http404
        return receipt


# --- online payments -------------------------------------------------------------------------------------


class OnlinePaymentListApi(PaymentsApi):
    """Online payments. POST (residents): start paying chosen lines, everything owed or a top-up of one of
    their homes; the answer carries the client secret and publishable key for Stripe.js."""

    required_permission = {"GET": perms.PAY_FOR_UNIT, "POST": perms.PAY_ONLINE}

    @extend_schema(
        parameters=[UNIT_PARAM, OpenApiParameter("status", str, enum=OnlinePayment.Status.values)],
        responses={200: s.OnlinePaymentSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        qs = self.online_payments(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        if op_status := query_choice(request, "status", OnlinePayment.Status.values):
            qs = qs.filter(status=op_status)
        return self.page(request, qs.order_by("-created_at", "-id"), s.OnlinePaymentSerializer)

    @extend_schema(
        request=s.OnlinePaymentStartSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.OnlinePaymentActionSerializer,
            200: OpenApiResponse(s.OnlinePaymentActionSerializer, description="Replay of an Idempotency-Key"),
            409: OpenApiResponse(
                description="The Idempotency-Key was used for a different payment, or online payment is off"
            ),
            **ERRORS,
            **GATEWAY_DOWN,
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(s.OnlinePaymentStartSerializer, request)
        key = idempotency_key(request)
        unit = self.resident_unit(request, data["unit"])
        op, created = online.online_payment_start(
            user=api_user(request),
            unit=unit,
            line_ids=data.get("line_ids") or None,
            top_up=data.get("top_up"),
            method_type=data["method_type"],
            idempotency_key=key,
        )
        body = s.OnlinePaymentActionSerializer(
            self.own_online_payment(request, op.pk), context=_gateway_context(request)
        ).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OnlinePaymentDetailApi(PaymentsApi):
    required_permission = perms.PAY_FOR_UNIT

    @extend_schema(responses={200: s.OnlinePaymentSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.OnlinePaymentSerializer(self.online_payment(request, pk)).data)


class OnlinePaymentConfirmApi(PaymentsApi):
    """The payer confirms: cards with the payment method Stripe.js saved; Alipay / WeChat Pay with a return
    URL (the answer's `next_action` says where to go or what QR code to show). A decline is a 200 with status
    `failed` and `failure_message` (the lines stay owed; start a new payment to retry); `requires_action`
    hands back `client_secret` for Stripe.js confirmCardPayment (3-D Secure), then call refresh."""

    required_permission = perms.PAY_ONLINE

    @extend_schema(
        request=s.OnlinePaymentConfirmSerializer,
        responses={
            200: s.OnlinePaymentActionSerializer,
            409: OpenApiResponse(description="This attempt already failed: start a new payment"),
            **ERRORS,
            **GATEWAY_DOWN,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        op = self.own_online_payment(request, pk)
        data = validated(s.OnlinePaymentConfirmSerializer, request)
        next_action = None
        if op.method_type == OnlinePayment.MethodType.CARD:
            online.online_payment_confirm(op, payment_method=data["payment_method"])
        else:
            if not data["return_url"]:
                raise field_error("return_url", _("Say where the payer comes back to after paying."))
            _op, intent = online.online_payment_redirect(op, return_url=data["return_url"])
            next_action = intent.next_action
        context = _gateway_context(request, next_action=next_action)
        return Response(s.OnlinePaymentActionSerializer(self.own_online_payment(request, pk), context=context).data)


class OnlinePaymentRefreshApi(PaymentsApi):
    """Ask Stripe where the payment stands and act on it (after 3-D Secure; finance following up)."""

    required_permission = perms.PAY_FOR_UNIT

    @extend_schema(request=None, responses={200: s.OnlinePaymentSerializer, 404: ERRORS[404], **GATEWAY_DOWN})
    def post(self, request: Request, pk: int) -> Response:
        online.online_payment_refresh(self.online_payment(request, pk))
        return Response(s.OnlinePaymentSerializer(self.online_payment(request, pk)).data)


class CardSetupApi(PaymentsApi):
    """Start saving a card: a SetupIntent for Stripe.js confirmCardSetup (used to pay and for autopay)."""

    required_permission = perms.PAY_ONLINE

    @extend_schema(request=None, responses={201: s.CardSetupSerializer, 409: CONFLICT[409], **GATEWAY_DOWN})
    def post(self, request: Request) -> Response:
        if "card" not in online.enabled_methods():
            raise ApplicationError(
                _("Paying by card is switched off for this company."), code="card_disabled", status=409
            )
        setup_intent, secret = online.card_setup_start(user=api_user(request))
        config = _gateway(request)
        body = {
            "setup_intent": setup_intent,
            "client_secret": secret,
            "publishable_key": config.publishable_key,
            "js_url": config.js_url,
            "is_local_gateway": config.is_local,
        }
        return Response(s.CardSetupSerializer(body).data, status=status.HTTP_201_CREATED)


class FollowupApi(PaymentsApi):
    """Online payments submitted more than the company's follow-up time ago whose webhook never arrived
    (not canceled): check them against Stripe (refresh) or with the payer."""

    required_permission = perms.PAYMENTS_READ

    @extend_schema(
        parameters=[UNIT_PARAM, OpenApiParameter("status", str, enum=OnlinePayment.Status.values)],
        responses={200: s.OnlinePaymentSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        qs = followup_online_payments(scope=self.scope(request)).select_related("payment__receipt")
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(unit=self.unit(request, unit_id))
        if op_status := query_choice(request, "status", OnlinePayment.Status.values):
            qs = qs.filter(status=op_status)
        return self.page(request, qs, s.OnlinePaymentSerializer)


# --- autopay ------------------------------------------------------------------------------------------------


def _autopay_status(unit: Unit) -> dict[str, Any]:
    mandate = AutopayMandate.objects.filter(unit=unit, active=True).first()
    offered = PaymentSettings.load().autopay_enabled and "card" in online.enabled_methods()
    return {"unit": unit.pk, "active": mandate is not None, "offered": offered, "mandate": mandate}


class AutopayApi(PaymentsApi):
    """自动扣款 of one home: GET the active mandate (residents: their homes; finance: homes in scope); PUT
    (residents) turns it on with a saved card and a monthly maximum, replacing an earlier one; DELETE
    (residents) turns it off."""

    required_permission = {"GET": perms.PAY_FOR_UNIT, "PUT": perms.PAY_ONLINE, "DELETE": perms.PAY_ONLINE}

    @extend_schema(
        parameters=[UNIT_REQUIRED],
        responses={200: s.AutopayStatusSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        return Response(s.AutopayStatusSerializer(_autopay_status(self.required_unit(request))).data)

    @extend_schema(
        request=s.AutopayEnableSerializer,
        responses={200: s.AutopayStatusSerializer, 409: CONFLICT[409], **ERRORS, **GATEWAY_DOWN},
    )
    def put(self, request: Request) -> Response:
        data = validated(s.AutopayEnableSerializer, request)
        unit = self.resident_unit(request, data["unit"])
        online.autopay_enable(
            user=api_user(request), unit=unit, payment_method=data["payment_method"], monthly_max=data["monthly_max"]
        )
        return Response(s.AutopayStatusSerializer(_autopay_status(unit)).data)

    @extend_schema(
        parameters=[UNIT_REQUIRED],
        responses={200: s.AutopayStatusSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def delete(self, request: Request) -> Response:
        unit_id = query_int(request, "unit")
        if unit_id is None:
            raise field_error("unit", _("Choose a unit (?unit=<id>)."))
        unit = self.resident_unit(request, unit_id)
        for mandate in AutopayMandate.objects.filter(unit=unit, active=True):
            online.autopay_disable(mandate=mandate, by=api_user(request))
        return Response(s.AutopayStatusSerializer(_autopay_status(unit)).data)


# --- receipts ---------------------------------------------------------------------------------------------


class ReceiptListApi(PaymentsApi):
    """收费票据 of the homes in the caller's scope (residents: their homes), newest first."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(
        parameters=[
            UNIT_PARAM,
            OpenApiParameter("day", dt.date, description="Payments received that day (company time)."),
            OpenApiParameter("method", str, enum=Payment.Method.values),
            OpenApiParameter("status", str, enum=Receipt.Status.values),
        ],
        responses={200: s.ReceiptSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        qs = self.receipts(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(payment__unit=self.unit(request, unit_id))
        if (day := query_date(request, "day")) is not None:
            start, end = local_day_bounds(day)
            qs = qs.filter(payment__received_at__gte=start, payment__received_at__lt=end)
        if method := query_choice(request, "method", Payment.Method.values):
            qs = qs.filter(payment__method=method)
        if receipt_status := query_choice(request, "status", Receipt.Status.values):
            qs = qs.filter(status=receipt_status)
        return self.page(request, qs.order_by("-issued_at", "-id"), s.ReceiptSerializer)


class ReceiptDetailApi(PaymentsApi):
    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(responses={200: s.ReceiptSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ReceiptSerializer(self.receipt(request, pk)).data)


class ReceiptPdfApi(PaymentsApi):
    """The receipt as PDF. A download by finance or a company admin counts as a print: from the second one on
    it is marked 补打. Others (residents, customer service) get a copy that is not counted, marked 补打 once
    the receipt has been printed."""

    required_permission = perms.BILLS_OR_OWN_HOMES

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> HttpResponse:
        receipt = self.receipt(request, pk)
        membership = request_membership(request)
        return receipt_pdf_response(receipt, count_print=perms.PAYMENT_RECORD.granted_to(membership))


class ReceiptVoidApi(PaymentsApi):
    """作废: a counter payment recorded in error. Needs a reason; posts a reversing entry. Online payments are
    refunded instead, and a closed day's receipts stay (409)."""

    required_permission = perms.PAYMENT_RECORD

    @extend_schema(request=s.ReceiptVoidSerializer, responses={200: s.ReceiptSerializer, 409: CONFLICT[409], **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        receipt = self.receipt(request, pk)
        data = validated(s.ReceiptVoidSerializer, request)
        receipt_void(receipt=receipt, reason=data["reason"], by=api_user(request))
        return Response(s.ReceiptSerializer(self.receipt(request, pk)).data)


# --- refunds ------------------------------------------------------------------------------------------------


class RefundListApi(PaymentsApi):
    """Refunds and voids' reversals. POST refunds (part of) a payment: through Stripe for online payments, as
    a cash refund otherwise; never more than what is left of it (400 on `amount`)."""

    required_permission = {"GET": perms.PAYMENTS_READ, "POST": perms.PAYMENT_RECORD}

    def refunds(self, request: Request) -> QuerySet[Refund]:
        return Refund.objects.filter(payment__unit__in=self.units(request).values("pk")).select_related(
            "payment__unit", "requested_by"
        )

    @extend_schema(
        parameters=[
            UNIT_PARAM,
            OpenApiParameter("payment", int),
            OpenApiParameter("kind", str, enum=Refund.Kind.values),
        ],
        responses={200: s.RefundSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        qs = self.refunds(request)
        if (unit_id := query_int(request, "unit")) is not None:
            qs = qs.filter(payment__unit=self.unit(request, unit_id))
        if (payment_id := query_int(request, "payment")) is not None:
            qs = qs.filter(payment_id=payment_id)
        if kind := query_choice(request, "kind", Refund.Kind.values):
            qs = qs.filter(kind=kind)
        return self.page(request, qs.order_by("-created_at", "-id"), s.RefundSerializer)

    @extend_schema(
        request=s.RefundCreateSerializer,
        responses={201: s.RefundSerializer, 409: CONFLICT[409], **ERRORS, **GATEWAY_DOWN},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.RefundCreateSerializer, request)
        payment = (
            Payment.objects.filter(pk=data["payment"], unit__in=self.units(request).values("pk"))
            .select_related("unit")
            .first()
        )
        if payment is None:
            raise Http404
        refund = refund_create(payment=payment, amount=data["amount"], reason=data["reason"], by=api_user(request))
        return Response(
            s.RefundSerializer(self.refunds(request).get(pk=refund.pk)).data, status=status.HTTP_201_CREATED
        )


# --- day closes -------------------------------------------------------------------------------------------


def _cashier(request: Request, cashier_id: int | None) -> User:
    """The caller, or another active member of this company (whose day is being closed)."""
    if cashier_id is None:
        return api_user(request)
    membership = (
        Membership.objects.filter(tenant=api_tenant(request), user_id=cashier_id, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise field_error("cashier", _("Not a member of this company."))
    return membership.user


class DayCloseListApi(PaymentsApi):
    """日结. POST closes a cashier's day (default: the caller's): the totals are stored and nothing that
    cashier recorded that day can be added, voided or changed afterwards (409)."""

    required_permission = {"GET": perms.PAYMENTS_READ, "POST": perms.PAYMENT_RECORD}

    @extend_schema(
        parameters=[OpenApiParameter("day", dt.date), OpenApiParameter("cashier", int)],
        responses={200: s.DayCloseSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        qs = DayClose.objects.select_related("cashier", "closed_by")
        if (day := query_date(request, "day")) is not None:
            qs = qs.filter(business_date=day)
        if (cashier := query_int(request, "cashier")) is not None:
            qs = qs.filter(cashier_id=cashier)
        return self.page(request, qs.order_by("-business_date", "cashier_id"), s.DayCloseSerializer)

    @extend_schema(
        request=s.DayCloseCreateSerializer,
        responses={201: s.DayCloseSerializer, 409: OpenApiResponse(description="Already closed"), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = validated(s.DayCloseCreateSerializer, request)
        cashier = _cashier(request, data.get("cashier"))
        close = day_close(cashier=cashier, day=data["day"], by=api_user(request), note=data["note"])
        close = DayClose.objects.select_related("cashier", "closed_by").get(pk=close.pk)
        return Response(s.DayCloseSerializer(close).data, status=status.HTTP_201_CREATED)


class DaySummaryApi(PaymentsApi):
    """A day's payments by method, channel and cashier, refunds given and the cashiers' closes (company-wide)."""

    required_permission = perms.PAYMENTS_READ

    @extend_schema(
        parameters=[
            OpenApiParameter("day", dt.date, description="Default: today (company time)."),
            OpenApiParameter("cashier", int, description="Only this cashier's payments and refunds."),
        ],
        responses={200: s.DaySummarySerializer, 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        day = query_date(request, "day") or timezone.localdate()
        summary = day_summary(day, cashier_id=query_int(request, "cashier"), units=self.units(request))
        closed: dict[int, DayClose] = summary["closed"]
        body = {
            **summary,
            "by_cashier": [{**row, "closed": row["cashier"] in closed} for row in summary["by_cashier"]],
            "closed": sorted(closed.values(), key=lambda c: c.cashier_id),
        }
        return Response(s.DaySummarySerializer(body).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/payments/online/", OnlinePaymentListApi.as_view(), name="api-online-payments"),
    path("api/v1/payments/online/<int:pk>/", OnlinePaymentDetailApi.as_view(), name="api-online-payment"),
    path(
        "api/v1/payments/online/<int:pk>/confirm/",
        OnlinePaymentConfirmApi.as_view(),
        name="api-online-payment-confirm",
    ),
    path(
        "api/v1/payments/online/<int:pk>/refresh/",
        OnlinePaymentRefreshApi.as_view(),
        name="api-online-payment-refresh",
    ),
    path("api/v1/payments/card-setup/", CardSetupApi.as_view(), name="api-card-setup"),
    path("api/v1/payments/autopay/", AutopayApi.as_view(), name="api-autopay"),
    path("api/v1/payments/followup/", FollowupApi.as_view(), name="api-payments-followup"),
    path("api/v1/receipts/", ReceiptListApi.as_view(), name="api-receipts"),
    path("api/v1/receipts/<int:pk>/", ReceiptDetailApi.as_view(), name="api-receipt"),
    path("api/v1/receipts/<int:pk>/pdf/", ReceiptPdfApi.as_view(), name="api-receipt-pdf"),
    path("api/v1/receipts/<int:pk>/void/", ReceiptVoidApi.as_view(), name="api-receipt-void"),
    path("api/v1/refunds/", RefundListApi.as_view(), name="api-refunds"),
    path("api/v1/day-closes/", DayCloseListApi.as_view(), name="api-day-closes"),
    path("api/v1/day-closes/summary/", DaySummaryApi.as_view(), name="api-day-summary"),
]
