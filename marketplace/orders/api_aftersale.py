"""After-sale of shop orders over the API (issue 15 parts 4 and 7), beside marketplace/orders/api.py.

Residents, under /api/v1/shop/ (the shop permission; another resident's order, request or complaint is a 404):
ask for a refund of one line of a delivered order (JSON, or multipart with `photos`), follow, withdraw or
escalate it; review a completed order; complain about a merchant.

Staff holding marketplace_manage, under /api/v1/marketplace/ (within their data scope: the home's office or
estate): escalated refund requests and their final decision; complaints, taking one up and deciding it
(upholding may suspend the merchant in this company).

Merchants, on the platform domain: api_aftersale_merchant.py."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.pagination import PageNumberPagination
from backend.api.params import query_choice, validated
from backend.api.permissions import api_user, request_membership
from backend.errors import not_found
from backend.properties.scope import Scope
from backend.uploads.fields import UploadSerializerField
from backend.uploads.kinds import SHOP_AFTERSALE_PHOTO

from . import complaints, refunds, reviews
from .aftersale_models import Complaint, ComplaintStatus, RefundRequest, RefundStatus, Review
from .models import Order

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}} (over_refund: too much)"),
    404: OpenApiResponse(description="Not the caller's, or beyond their scope"),
    409: OpenApiResponse(description="invalid_state, already_open, already_decided, already_reviewed, too_late"),
}
PARSERS = [JSONParser, MultiPartParser, FormParser]


def _photos() -> serializers.ListField:
    return serializers.ListField(
        child=UploadSerializerField(kind=SHOP_AFTERSALE_PHOTO), required=False, default=list, max_length=6
    )


# --- serializers ----------------------------------------------------------------------------------------------


class RefundRequestSerializer(serializers.ModelSerializer):
    line_title = serializers.CharField(source="line.title", read_only=True)
    photo_ids = serializers.SerializerMethodField()

    class Meta:
        model = RefundRequest
        fields = [
            "id",
            "order",
            "line",
            "line_title",
            "status",
            "amount_fen",
            "approved_fen",
            "reason",
            "merchant_note",
            "escalation_note",
            "company_note",
            "created_at",
            "merchant_decided_at",
            "escalated_at",
            "company_decided_at",
            "photo_ids",
        ]

    def get_photo_ids(self, obj: RefundRequest) -> list[int]:
        return [p.pk for p in obj.photos.all()]


class RefundAskSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    amount_fen = serializers.IntegerField(min_value=1, help_text="At most what was paid for the line, less refunds")
    reason = serializers.CharField(max_length=500)
    photos = _photos()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500)


class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    amount_fen = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Approve part of it (default: all that was asked)"
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.ModelSerializer):
    photo_ids = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "order", "stars", "text", "reply", "replied_at", "created_at", "photo_ids"]

    def get_photo_ids(self, obj: Review) -> list[int]:
        return [p.pk for p in obj.photos.all()]


class ReviewInSerializer(serializers.Serializer):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    photos = _photos()


class ShopComplaintSerializer(serializers.ModelSerializer):
    photo_ids = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "merchant_id",
            "merchant_name",
            "order",
            "unit",
            "subject",
            "text",
            "status",
            "outcome",
            "suspended",
            "created_at",
            "decided_at",
            "photo_ids",
        ]

    def get_photo_ids(self, obj: Complaint) -> list[int]:
        return [p.pk for p in obj.photos.all()]


class ShopComplaintInSerializer(serializers.Serializer):
    merchant = serializers.IntegerField()
    order = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.IntegerField(required=False, allow_null=True, help_text="Default: the order's, or my home")
    subject = serializers.CharField(max_length=100)
    text = serializers.CharField(max_length=2000)
    photos = _photos()


class ShopComplaintDecideSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    outcome = serializers.CharField(max_length=1000)
    suspend = serializers.BooleanField(default=False, help_text="Suspend the merchant in this company (upheld only)")


# --- residents ------------------------------------------------------------------------------------------------


class ShopApi(APIView):
    required_permission = perms.SHOP


def _my_order(request: Request, pk: int) -> Order:
    order = Order.objects.filter(pk=pk, user=api_user(request)).first()
    if order is None:
        raise not_found()
    return order


def _my_refund(request: Request, pk: int) -> RefundRequest:
    req = RefundRequest.objects.filter(pk=pk, user=api_user(request)).first()
    if req is None:
        raise not_found()
    return req


class OrderRefundsApi(ShopApi):
    parser_classes = PARSERS

    @extend_schema(
        tags=["shop"],
        summary="The refund requests of one of my orders",
        responses={200: RefundRequestSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        rows = _my_order(request, pk).refund_requests.select_related("line").prefetch_related("photos")
        return Response(RefundRequestSerializer(rows, many=True).data)

    @extend_schema(
        tags=["shop"],
        summary="Ask for a refund of one line of a delivered order, with a reason and photos",
        request={"application/json": RefundAskSerializer, "multipart/form-data": RefundAskSerializer},
        responses={201: RefundRequestSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = _my_order(request, pk)
        v = validated(RefundAskSerializer, request)
        req = refunds.refund_request_create(
            user=api_user(request),
            order_id=order.pk,
            line_id=v["line"],
            amount_fen=v["amount_fen"],
            reason=v["reason"],
            photos=v["photos"],
        )
        return Response(RefundRequestSerializer(req).data, status=status.HTTP_201_CREATED)


class MyRefundsApi(ShopApi):
    @extend_schema(tags=["shop"], summary="My refund requests", responses={200: RefundRequestSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = RefundRequest.objects.filter(user=api_user(request)).select_related("line").prefetch_related("photos")
        return Response(RefundRequestSerializer(rows[:100], many=True).data)


class MyRefundWithdrawApi(ShopApi):
    @extend_schema(
        tags=["shop"],
        summary="Withdraw a refund request the merchant has not decided",
        request=None,
        responses={200: RefundRequestSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        req = refunds.refund_withdraw(request_id=_my_refund(request, pk).pk, user=api_user(request))
        return Response(RefundRequestSerializer(req).data)


class MyRefundEscalateApi(ShopApi):
    @extend_schema(
        tags=["shop"],
        summary="Take a declined refund request to the property company (its decision is final)",
        request=NoteSerializer,
        responses={200: RefundRequestSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        mine = _my_refund(request, pk)
        v = validated(NoteSerializer, request)
        req = refunds.refund_escalate(request_id=mine.pk, user=api_user(request), note=v["note"])
        return Response(RefundRequestSerializer(req).data)


class OrderReviewApi(ShopApi):
    parser_classes = PARSERS

    @extend_schema(tags=["shop"], summary="My review of an order", responses={200: ReviewSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        review = Review.objects.filter(order=_my_order(request, pk)).first()
        if review is None:
            raise not_found()
        return Response(ReviewSerializer(review).data)

    @extend_schema(
        tags=["shop"],
        summary="Review a completed order (once): 1–5 stars, a text, photos",
        request={"application/json": ReviewInSerializer, "multipart/form-data": ReviewInSerializer},
        responses={201: ReviewSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = _my_order(request, pk)
        v = validated(ReviewInSerializer, request)
        review = reviews.review_create(
            user=api_user(request), order_id=order.pk, stars=v["stars"], text=v["text"], photos=v["photos"]
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class MyComplaintsApi(ShopApi):
    parser_classes = PARSERS

    @extend_schema(tags=["shop"], summary="My complaints", responses={200: ShopComplaintSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = Complaint.objects.filter(user=api_user(request)).prefetch_related("photos")
        return Response(ShopComplaintSerializer(rows[:100], many=True).data)

    @extend_schema(
        tags=["shop"],
        summary="Complain (投诉) about a merchant, optionally about one of my orders with it",
        request={"application/json": ShopComplaintInSerializer, "multipart/form-data": ShopComplaintInSerializer},
        responses={201: ShopComplaintSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        v = validated(ShopComplaintInSerializer, request)
        complaint = complaints.complaint_create(
            user=api_user(request),
            merchant_id=v["merchant"],
            order_id=v.get("order"),
            unit_id=v.get("unit"),
            subject=v["subject"],
            text=v["text"],
            photos=v["photos"],
        )
        return Response(ShopComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)


class MyComplaintApi(ShopApi):
    @extend_schema(tags=["shop"], summary="One of my complaints", responses={200: ShopComplaintSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        complaint = Complaint.objects.filter(pk=pk, user=api_user(request)).first()
        if complaint is None:
            raise not_found()
        return Response(ShopComplaintSerializer(complaint).data)


# --- the company's staff --------------------------------------------------------------------------------------


class StaffApi(APIView):
    required_permission = perms.MARKETPLACE_MANAGE
    pagination_class = PageNumberPagination

    def scope(self, request: Request) -> Scope:
        return Scope.of(request_membership(request))

    def page(self, request: Request, rows: Any, serializer: type[serializers.BaseSerializer]) -> Response:
        paginator = PageNumberPagination()
        page: Any = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True).data)


class StaffRefundSerializer(RefundRequestSerializer):
    order_code = serializers.CharField(source="order.code", read_only=True)
    merchant_name = serializers.CharField(source="order.merchant_name", read_only=True)
    unit_label = serializers.CharField(source="order.unit_label", read_only=True)

    class Meta(RefundRequestSerializer.Meta):
        fields = [*RefundRequestSerializer.Meta.fields, "order_code", "merchant_name", "unit_label"]


REFUND_FILTER = [RefundStatus.ESCALATED, RefundStatus.COMPANY_APPROVED, RefundStatus.COMPANY_DECLINED, "all"]


class StaffRefundsApi(StaffApi):
    @extend_schema(
        tags=["marketplace"],
        summary="Refund disputes escalated to the company (default: waiting for a decision)",
        parameters=[OpenApiParameter("status", enum=REFUND_FILTER, required=False)],
        responses={200: StaffRefundSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        status_ = query_choice(request, "status", [str(s) for s in REFUND_FILTER]) or RefundStatus.ESCALATED
        rows = refunds.staff_refunds(self.scope(request), status=status_).prefetch_related("photos")
        return self.page(request, rows, StaffRefundSerializer)


def _staff_refund(view: StaffApi, request: Request, pk: int) -> RefundRequest:
    req = refunds.staff_refund_get(view.scope(request), pk)
    if req is None:
        raise not_found()
    return req


class StaffRefundApi(StaffApi):
    @extend_schema(
        tags=["marketplace"], summary="One escalated refund request", responses={200: StaffRefundSerializer, **ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(StaffRefundSerializer(_staff_refund(self, request, pk)).data)


class StaffRefundDecideApi(StaffApi):
    @extend_schema(
        tags=["marketplace"],
        summary="The company's final decision on an escalated refund (approve all or part, or decline)",
        request=DecideSerializer,
        responses={200: StaffRefundSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        found = _staff_refund(self, request, pk)
        v = validated(DecideSerializer, request)
        refunds.refund_company_decide(
            request_id=found.pk,
            approve=v["approve"],
            amount_fen=v.get("amount_fen"),
            note=v["note"],
            by=api_user(request),
            scope=self.scope(request),
        )
        return Response(StaffRefundSerializer(_staff_refund(self, request, pk)).data)


class ShopStaffComplaintSerializer(ShopComplaintSerializer):
    unit_label = serializers.SerializerMethodField()
    merchant_complaints = serializers.SerializerMethodField()

    class Meta(ShopComplaintSerializer.Meta):
        fields = [*ShopComplaintSerializer.Meta.fields, "unit_label", "merchant_complaints"]

    def get_unit_label(self, obj: Complaint) -> str:
        return str(obj.unit)

    def get_merchant_complaints(self, obj: Complaint) -> dict[str, int]:
        return complaints.merchant_complaint_counts(obj.merchant_id)


COMPLAINT_FILTER = ["open", *[str(s) for s in ComplaintStatus.values]]


class StaffComplaintsApi(StaffApi):
    @extend_schema(
        tags=["marketplace"],
        summary="Complaints about merchants (open ones: submitted or being looked into)",
        parameters=[OpenApiParameter("status", enum=COMPLAINT_FILTER, required=False)],
        responses={200: ShopComplaintSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        status_ = query_choice(request, "status", COMPLAINT_FILTER) or ""
        rows = complaints.staff_complaints(self.scope(request), status=status_).prefetch_related("photos")
        return self.page(request, rows, ShopComplaintSerializer)


def _staff_complaint(view: StaffApi, request: Request, pk: int) -> Complaint:
    found = complaints.staff_complaint_get(view.scope(request), pk)
    if found is None:
        raise not_found()
    return found


class StaffComplaintApi(StaffApi):
    @extend_schema(
        tags=["marketplace"],
        summary="One complaint, with the merchant's complaint counts",
        responses={200: ShopStaffComplaintSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ShopStaffComplaintSerializer(_staff_complaint(self, request, pk)).data)


class StaffComplaintTakeApi(StaffApi):
    @extend_schema(
        tags=["marketplace"],
        summary="Start looking into a complaint",
        request=None,
        responses={200: ShopStaffComplaintSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        found = _staff_complaint(self, request, pk)
        complaints.complaint_take(complaint_id=found.pk, by=api_user(request), scope=self.scope(request))
        return Response(ShopStaffComplaintSerializer(_staff_complaint(self, request, pk)).data)


class StaffComplaintDecideApi(StaffApi):
    @extend_schema(
        tags=["marketplace"],
        summary="Decide a complaint with an outcome (upholding may suspend the merchant here)",
        request=ShopComplaintDecideSerializer,
        responses={200: ShopStaffComplaintSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        found = _staff_complaint(self, request, pk)
        v = validated(ShopComplaintDecideSerializer, request)
        complaints.complaint_decide(
            complaint_id=found.pk,
            upheld=v["upheld"],
            outcome=v["outcome"],
            suspend=v["suspend"],
            by=api_user(request),
            scope=self.scope(request),
        )
        return Response(ShopStaffComplaintSerializer(_staff_complaint(self, request, pk)).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/shop/orders/<int:pk>/refunds/", OrderRefundsApi.as_view(), name="api-shop-order-refunds"),
    path("api/v1/shop/orders/<int:pk>/review/", OrderReviewApi.as_view(), name="api-shop-order-review"),
    path("api/v1/shop/refunds/", MyRefundsApi.as_view(), name="api-shop-refunds"),
    path("api/v1/shop/refunds/<int:pk>/withdraw/", MyRefundWithdrawApi.as_view(), name="api-shop-refund-withdraw"),
    path("api/v1/shop/refunds/<int:pk>/escalate/", MyRefundEscalateApi.as_view(), name="api-shop-refund-escalate"),
    path("api/v1/shop/complaints/", MyComplaintsApi.as_view(), name="api-shop-complaints"),
    path("api/v1/shop/complaints/<int:pk>/", MyComplaintApi.as_view(), name="api-shop-complaint"),
    path("api/v1/marketplace/refunds/", StaffRefundsApi.as_view(), name="api-marketplace-refunds"),
    path("api/v1/marketplace/refunds/<int:pk>/", StaffRefundApi.as_view(), name="api-marketplace-refund"),
    path(
        "api/v1/marketplace/refunds/<int:pk>/decide/",
        StaffRefundDecideApi.as_view(),
        name="api-marketplace-refund-decide",
    ),
    path("api/v1/marketplace/complaints/", StaffComplaintsApi.as_view(), name="api-marketplace-complaints"),
    path("api/v1/marketplace/complaints/<int:pk>/", StaffComplaintApi.as_view(), name="api-marketplace-complaint"),
    path(
        "api/v1/marketplace/complaints/<int:pk>/take/",
        StaffComplaintTakeApi.as_view(),
        name="api-marketplace-complaint-take",
    ),
    path(
        "api/v1/marketplace/complaints/<int:pk>/decide/",
        StaffComplaintDecideApi.as_view(),
        name="api-marketplace-complaint-decide",
    ),
]
