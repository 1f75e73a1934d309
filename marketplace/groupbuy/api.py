"""Group-buy (团购) over the API.

Residents, on the company's domain under /api/v1/shop/deals/ (the shop permission): the deals their estates
may see with their progress, one deal with the caller's place in it, joining (201 with the order to pay: pay
its `payable.line_ids` with `POST /api/v1/payments/online/`, Idempotency-Key, the webhook decides; 409
`deal_full`, `deal_closed`, `already_joined`, `sold_out`) and leaving before the deadline (a full refund).
Another company's deal, or one the caller's estates may not see, is a 404.

Merchants, on the platform domain under /api/v1/merchant/deals/ (a merchant token or the portal's session,
the catalogue permission): their deals in every company that approved them, and a new deal in one of those."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import permissions as perms
from backend.api.permissions import api_user
from backend.errors import ApplicationError, not_found
from backend.properties.selectors import resident_units
from marketplace.api_merchant_base import ERRORS as MERCHANT_ERRORS
from marketplace.api_merchant_base import MerchantApi
from marketplace.merchant_permissions import CATALOGUE_WRITE
from marketplace.orders.api import OrderSerializer, PayableSerializer
from marketplace.orders.models import Fulfilment

from . import merchant as merchant_side
from . import selectors, services
from .models import Deal, DealState, JoinState

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not a deal the caller's estates may see"),
    409: OpenApiResponse(description="deal_full, deal_closed, already_joined, sold_out or invalid_state"),
}

DEAL_FIELDS = [
    "id",
    "title",
    "merchant_id",
    "merchant_name",
    "listing_id",
    "regular_price_fen",
    "group_price_fen",
    "min_participants",
    "max_participants",
    "joined",
    "paid",
    "deadline",
    "seconds_left",
    "state",
    "participants",
    "settled_at",
]


class GroupbuyMyJoinSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=JoinState.choices)
    state_label = serializers.CharField()
    order = serializers.IntegerField()
    order_code = serializers.CharField()
    order_status = serializers.CharField()
    payable = PayableSerializer()


class GroupbuyDealSerializer(serializers.ModelSerializer):
    paid = serializers.IntegerField(read_only=True, help_text="participants who have paid")
    seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = DEAL_FIELDS

    def get_seconds_left(self, deal: Deal) -> int:
        return selectors.seconds_left(deal)


class GroupbuyDealDetailSerializer(GroupbuyDealSerializer):
    mine = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = [*DEAL_FIELDS, "mine"]

    @extend_schema_field(GroupbuyMyJoinSerializer(allow_null=True))
    def get_mine(self, deal: Deal) -> dict[str, Any] | None:
        return selectors.my_join(deal, self.context["user"])


class GroupbuyJoinSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    fulfilment = serializers.ChoiceField(choices=Fulfilment.choices, default=Fulfilment.DELIVERY)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class GroupbuyJoinedSerializer(serializers.Serializer):
    deal = GroupbuyDealDetailSerializer()
    order = OrderSerializer()


class ShopDealApi(APIView):
    required_permission = perms.SHOP


def _deal(request: Request, pk: int) -> Deal:
    deal = selectors.resident_deal(api_user(request), pk)
    if deal is None:
        raise not_found()
    return deal


def _detail(request: Request, pk: int) -> dict[str, Any]:
    return GroupbuyDealDetailSerializer(_deal(request, pk), context={"user": api_user(request)}).data


class DealListApi(ShopDealApi):
    @extend_schema(
        tags=["shop"],
        summary="Group-buy deals my estates may see",
        parameters=[
            OpenApiParameter(
                "state", enum=["open", "mine"], required=False, description="open (default), or the ones I joined"
            )
        ],
        responses={200: GroupbuyDealSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        state = request.query_params.get("state") or DealState.OPEN
        if state not in ("open", "mine"):
            raise ApplicationError.for_fields({"state": ["open or mine"]})
        rows = selectors.resident_deals(api_user(request), state=state)[:100]
        return Response(GroupbuyDealSerializer(rows, many=True).data)


class DealDetailApi(ShopDealApi):
    @extend_schema(
        tags=["shop"], summary="One deal, with my place in it", responses={200: GroupbuyDealDetailSerializer, **ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request, pk))


class DealJoinApi(ShopDealApi):
    @extend_schema(
        tags=["shop"],
        summary="Join a deal: an order of one item at the group price, to pay",
        description="Then pay the order's `payable.line_ids` with POST /api/v1/payments/online/.",
        request=GroupbuyJoinSerializer,
        responses={201: GroupbuyJoinedSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        deal = _deal(request, pk)
        data = GroupbuyJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = api_user(request)
        unit = resident_units(user_id=user.pk).filter(pk=v["unit"]).select_related("estate").first()
        if unit is None:
            raise ApplicationError.for_fields({"unit": ["Choose one of your homes."]})
        order = services.deal_join(
            deal_id=deal.pk, user=user, unit=unit, fulfilment=v["fulfilment"], note=v.get("note", "")
        )
        body = {"deal": _detail(request, pk), "order": OrderSerializer(order).data}
        return Response(body, status=status.HTTP_201_CREATED)


class DealLeaveApi(ShopDealApi):
    @extend_schema(
        tags=["shop"],
        summary="Leave a deal before its deadline (refunded in full)",
        request=None,
        responses={200: GroupbuyDealDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        services.deal_leave(deal_id=_deal(request, pk).pk, user=api_user(request))
        return Response(_detail(request, pk))


urlpatterns: list[URLPattern] = [
    path("api/v1/shop/deals/", DealListApi.as_view(), name="api-shop-deals"),
    path("api/v1/shop/deals/<int:pk>/", DealDetailApi.as_view(), name="api-shop-deal"),
    path("api/v1/shop/deals/<int:pk>/join/", DealJoinApi.as_view(), name="api-shop-deal-join"),
    path("api/v1/shop/deals/<int:pk>/leave/", DealLeaveApi.as_view(), name="api-shop-deal-leave"),
]


# --- the merchant's side (platform domain) -------------------------------------------------------------------


class MerchantDealSerializer(serializers.Serializer):
    company_id = serializers.IntegerField(source="tenant.pk")
    company_name = serializers.CharField(source="tenant.name")
    deal = GroupbuyDealSerializer()


class MerchantDealCreateSerializer(serializers.Serializer):
    company = serializers.IntegerField(help_text="a company that approved the merchant")
    listing = serializers.IntegerField()
    group_price_fen = serializers.IntegerField(min_value=1)
    min_participants = serializers.IntegerField(min_value=1, max_value=services.MAX_PARTICIPANTS)
    max_participants = serializers.IntegerField(min_value=1, max_value=services.MAX_PARTICIPANTS)
    deadline = serializers.DateTimeField()


class MerchantDealListApi(MerchantApi):
    merchant_permission = CATALOGUE_WRITE

    @extend_schema(
        tags=["merchant"],
        summary="My group-buy deals across companies",
        parameters=[OpenApiParameter("state", enum=DealState.values, required=False)],
        responses={200: MerchantDealSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        state = request.query_params.get("state", "")
        if state and state not in DealState.values:
            raise ApplicationError.for_fields({"state": [", ".join(DealState.values)]})
        rows = merchant_side.merchant_deals(merchant_id=self.merchant(request).pk, state=state)
        return Response(MerchantDealSerializer(rows, many=True).data)

    @extend_schema(
        tags=["merchant"],
        summary="Offer a group-buy deal on one of my listings in a company",
        request=MerchantDealCreateSerializer,
        responses={201: MerchantDealSerializer, **MERCHANT_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = MerchantDealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        view = merchant_side.merchant_deal_create(
            merchant_id=self.merchant(request).pk,
            company_id=v["company"],
            listing_id=v["listing"],
            group_price_fen=v["group_price_fen"],
            min_participants=v["min_participants"],
            max_participants=v["max_participants"],
            deadline=v["deadline"],
        )
        return Response(MerchantDealSerializer(view).data, status=status.HTTP_201_CREATED)


merchant_urlpatterns: list[URLPattern] = [
    path("api/v1/merchant/deals/", MerchantDealListApi.as_view(), name="api-merchant-deals"),
]
