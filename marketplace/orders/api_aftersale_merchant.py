"""After-sale over the merchant API, on the platform domain under /api/v1/merchant/ (a merchant token or the
portal's session, the merchant_orders permission): the merchant's refund requests across companies, from the
per-merchant index, each read and decided in its company's schema (approve all or part: refunded through
Stripe; or decline with a note); its reviews and one reply each."""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from backend.api.params import validated
from marketplace.api_merchant_base import ERRORS as MERCHANT_ERRORS
from marketplace.api_merchant_base import MerchantApi
from marketplace.merchant_permissions import ORDERS

from . import aftersale_merchant as mside
from .api_aftersale import ERRORS, DecideSerializer

# --- the merchant's side (platform domain) -------------------------------------------------------------------


class MerchantRefundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField()
    order = serializers.IntegerField(help_text="The order's id under /api/v1/merchant/orders/")
    code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    line_title = serializers.CharField()
    line_amount_fen = serializers.IntegerField()
    line_refunded_fen = serializers.IntegerField()
    amount_fen = serializers.IntegerField()
    approved_fen = serializers.IntegerField()
    reason = serializers.CharField()
    merchant_note = serializers.CharField()
    escalation_note = serializers.CharField()
    company_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    photo_ids = serializers.ListField(child=serializers.IntegerField())


class MerchantRefundRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField(source="tenant.name")
    order = serializers.IntegerField(source="order_entry_id")
    code = serializers.CharField()
    status = serializers.CharField()
    amount_fen = serializers.IntegerField()
    approved_fen = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class MerchantReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField()
    order = serializers.IntegerField()
    code = serializers.CharField()
    stars = serializers.IntegerField()
    text = serializers.CharField()
    reply = serializers.CharField()
    replied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    photo_ids = serializers.ListField(child=serializers.IntegerField())


class MerchantReviewRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField(source="tenant.name")
    order = serializers.IntegerField(source="order_entry_id")
    code = serializers.CharField()
    stars = serializers.IntegerField()
    replied = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ReplySerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=1000)


class MerchantRefundListApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"],
        summary="My refund requests across companies",
        parameters=[OpenApiParameter("status", description="a status, or `open` (waiting for me)", required=False)],
        responses={200: MerchantRefundRowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = mside.merchant_refunds(
            merchant_id=self.merchant(request).pk, status=request.query_params.get("status", "")
        )
        return self.page(request, qs, MerchantRefundRowSerializer)


class MerchantRefundDetailApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"],
        summary="One refund request, with the resident's reason and photos",
        responses={200: MerchantRefundSerializer, **MERCHANT_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        view = mside.merchant_refund_read(merchant_id=self.merchant(request).pk, pk=pk)
        return Response(MerchantRefundSerializer(mside.refund_shape(view)).data)


class MerchantRefundDecideApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"],
        summary="Approve a refund request (all, or `amount_fen` of it: refunded through Stripe) or decline it",
        request=DecideSerializer,
        responses={200: MerchantRefundSerializer, **MERCHANT_ERRORS, 409: ERRORS[409]},
    )
    def post(self, request: Request, pk: int) -> Response:
        v = validated(DecideSerializer, request)
        view = mside.merchant_refund_decide(
            merchant_id=self.merchant(request).pk,
            pk=pk,
            approve=v["approve"],
            amount_fen=v.get("amount_fen"),
            note=v["note"],
            by=self.member(request).user,
        )
        return Response(MerchantRefundSerializer(mside.refund_shape(view)).data)


class MerchantReviewListApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"],
        summary="My reviews across companies",
        responses={200: MerchantReviewRowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return self.page(
            request, mside.merchant_reviews(merchant_id=self.merchant(request).pk), MerchantReviewRowSerializer
        )


class MerchantReviewDetailApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"], summary="One review", responses={200: MerchantReviewSerializer, **MERCHANT_ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        view = mside.merchant_review_read(merchant_id=self.merchant(request).pk, pk=pk)
        return Response(MerchantReviewSerializer(mside.review_shape(view)).data)


class MerchantReviewReplyApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"],
        summary="Reply to a review (once)",
        request=ReplySerializer,
        responses={200: MerchantReviewSerializer, **MERCHANT_ERRORS, 409: ERRORS[409]},
    )
    def post(self, request: Request, pk: int) -> Response:
        v = validated(ReplySerializer, request)
        view = mside.merchant_review_reply(
            merchant_id=self.merchant(request).pk, pk=pk, text=v["reply"], by=self.member(request).user
        )
        return Response(MerchantReviewSerializer(mside.review_shape(view)).data)


MP = "api/v1/merchant/"
merchant_urlpatterns: list[URLPattern] = [
    path(f"{MP}refunds/", MerchantRefundListApi.as_view(), name="api-merchant-refunds"),
    path(f"{MP}refunds/<int:pk>/", MerchantRefundDetailApi.as_view(), name="api-merchant-refund"),
    path(f"{MP}refunds/<int:pk>/decide/", MerchantRefundDecideApi.as_view(), name="api-merchant-refund-decide"),
    path(f"{MP}reviews/", MerchantReviewListApi.as_view(), name="api-merchant-reviews"),
    path(f"{MP}reviews/<int:pk>/", MerchantReviewDetailApi.as_view(), name="api-merchant-review"),
    path(f"{MP}reviews/<int:pk>/reply/", MerchantReviewReplyApi.as_view(), name="api-merchant-review-reply"),
]
