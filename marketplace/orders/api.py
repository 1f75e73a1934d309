"""Shop orders over the API.

Residents, on the company's domain under /api/v1/shop/ (the shop permission; everything is the caller's own,
another resident's order is a 404): the cart, checkout (201 with the orders and what to pay; 409 `sold_out`),
the orders, cancelling before acceptance, confirming receipt. Paying is the existing
`POST /api/v1/payments/online/` with the order's `line_ids` (Idempotency-Key; the webhook decides).

Merchants, on the platform domain under /api/v1/merchant/orders/ (a merchant token or the portal's session,
the merchant_orders permission): the orders of every company, from the per-merchant index, each read in its
company's schema with what fulfilment needs; accept, reject (with a reason: a full refund), dispatch, deliver."""

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
from backend.errors import not_found
from backend.properties.selectors import resident_units
from marketplace.api_merchant_base import ERRORS as MERCHANT_ERRORS
from marketplace.api_merchant_base import MerchantApi
from marketplace.merchant_permissions import ORDERS

from . import cart as carts
from . import flow, merchant
from .models import CartItem, Fulfilment, Order, OrderLine, OrderStatus
from .money import order_payable

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {error: {code, message, fields}}"),
    404: OpenApiResponse(description="Not the caller's"),
    409: OpenApiResponse(description="sold_out (checkout) or invalid_state (a transition not allowed now)"),
}


class CartItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = CartItem
        fields = ["id", "listing_id", "variant_id", "slot_id", "quantity"]


class CartAddSerializer(serializers.Serializer):
    listing = serializers.IntegerField()
    variant = serializers.IntegerField(required=False, allow_null=True)
    slot = serializers.IntegerField(required=False, allow_null=True)
    quantity = serializers.IntegerField(min_value=1, max_value=carts.MAX_QUANTITY, default=1)


class QuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=carts.MAX_QUANTITY)


class CheckoutSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    fulfilment = serializers.ChoiceField(choices=Fulfilment.choices, default=Fulfilment.DELIVERY)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    items = CartAddSerializer(many=True, required=False, help_text="Buy these instead of the cart's contents")


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "id",
            "listing_id",
            "variant_id",
            "slot_id",
            "kind",
            "title",
            "variant_name",
            "slot_starts_at",
            "unit_price_fen",
            "quantity",
            "amount_fen",
            "refunded_fen",
        ]


class PayableSerializer(serializers.Serializer):
    line_ids = serializers.ListField(child=serializers.IntegerField())
    amount_fen = serializers.IntegerField()
    pay_url = serializers.CharField()


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    payable = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "code",
            "merchant_id",
            "merchant_name",
            "unit",
            "fulfilment",
            "note",
            "status",
            "total_fen",
            "refunded_fen",
            "refund_state",
            "reject_reason",
            "expires_at",
            "created_at",
            "paid_at",
            "accepted_at",
            "dispatched_at",
            "delivered_at",
            "completed_at",
            "lines",
            "payable",
        ]

    @extend_schema_field(PayableSerializer)
    def get_payable(self, order: Order) -> dict[str, Any]:
        return order_payable(order)


def _items(rows: list[dict[str, Any]]) -> list[carts.Item]:
    return [carts.Item(r["listing"], r.get("quantity", 1), r.get("variant"), r.get("slot")) for r in rows]


class ShopOrderApi(APIView):
    required_permission = perms.SHOP


class CartApi(ShopOrderApi):
    @extend_schema(tags=["shop"], summary="My cart", responses={200: CartItemSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = CartItem.objects.filter(cart__user=api_user(request))
        return Response(CartItemSerializer(rows, many=True).data)

    @extend_schema(
        tags=["shop"],
        summary="Put a listing (variant, slot) in my cart",
        request=CartAddSerializer,
        responses={201: CartItemSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = CartAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = carts.cart_add(user=api_user(request), item=_items([data.validated_data])[0])
        return Response(CartItemSerializer(row).data, status=status.HTTP_201_CREATED)


class CartItemApi(ShopOrderApi):
    @extend_schema(
        tags=["shop"],
        summary="Change a cart line's quantity (0 removes it)",
        request=QuantitySerializer,
        responses={204: None, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = QuantitySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        carts.cart_set_quantity(user=api_user(request), item_id=pk, quantity=data.validated_data["quantity"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckoutApi(ShopOrderApi):
    @extend_schema(
        tags=["shop"],
        summary="Check out: one order per merchant, stock reserved until paid",
        description="Then pay each order's `payable.line_ids` with POST /api/v1/payments/online/.",
        request=CheckoutSerializer,
        responses={201: OrderSerializer(many=True), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = CheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = api_user(request)
        unit = resident_units(user_id=user.pk).filter(pk=v["unit"]).first()
        if unit is None:
            from backend.errors import ApplicationError

            raise ApplicationError.for_fields({"unit": ["Choose one of your homes."]})
        orders = flow.checkout(
            user=user,
            unit=unit,
            fulfilment=v["fulfilment"],
            note=v.get("note", ""),
            items=_items(v["items"]) if v.get("items") else None,
        )
        return Response(OrderSerializer(orders, many=True).data, status=status.HTTP_201_CREATED)


class OrderListApi(ShopOrderApi):
    @extend_schema(
        tags=["shop"],
        summary="My orders",
        parameters=[OpenApiParameter("status", enum=OrderStatus.values, required=False)],
        responses={200: OrderSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = Order.objects.filter(user=api_user(request)).prefetch_related("lines")
        if request.query_params.get("status"):
            qs = qs.filter(status=request.query_params["status"])
        return Response(OrderSerializer(qs[:100], many=True).data)


def _mine(request: Request, pk: int) -> Order:
    order = Order.objects.filter(pk=pk, user=api_user(request)).first()
    if order is None:
        raise not_found()
    return order


class OrderDetailApi(ShopOrderApi):
    @extend_schema(tags=["shop"], summary="One of my orders", responses={200: OrderSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(OrderSerializer(_mine(request, pk)).data)


class OrderCancelApi(ShopOrderApi):
    @extend_schema(
        tags=["shop"],
        summary="Cancel before the merchant accepts (refunded in full)",
        request=None,
        responses={200: OrderSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        flow.order_cancel(order_id=_mine(request, pk).pk, user=api_user(request))
        return Response(OrderSerializer(_mine(request, pk)).data)


class OrderConfirmApi(ShopOrderApi):
    @extend_schema(
        tags=["shop"],
        summary="Confirm receipt (completes the order)",
        request=None,
        responses={200: OrderSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        flow.order_confirm(order_id=_mine(request, pk).pk, user=api_user(request))
        return Response(OrderSerializer(_mine(request, pk)).data)


urlpatterns: list[URLPattern] = [
    path("api/v1/shop/cart/", CartApi.as_view(), name="api-shop-cart"),
    path("api/v1/shop/cart/items/<int:pk>/", CartItemApi.as_view(), name="api-shop-cart-item"),
    path("api/v1/shop/checkout/", CheckoutApi.as_view(), name="api-shop-checkout"),
    path("api/v1/shop/orders/", OrderListApi.as_view(), name="api-shop-orders"),
    path("api/v1/shop/orders/<int:pk>/", OrderDetailApi.as_view(), name="api-shop-order"),
    path("api/v1/shop/orders/<int:pk>/cancel/", OrderCancelApi.as_view(), name="api-shop-order-cancel"),
    path("api/v1/shop/orders/<int:pk>/confirm/", OrderConfirmApi.as_view(), name="api-shop-order-confirm"),
]


# --- the merchant's side (platform domain) -------------------------------------------------------------------


class MerchantOrderLineSerializer(serializers.Serializer):
    title = serializers.CharField()
    variant_name = serializers.CharField()
    slot_starts_at = serializers.DateTimeField(allow_null=True)
    unit_price_fen = serializers.IntegerField()
    quantity = serializers.IntegerField()
    amount_fen = serializers.IntegerField()


class MerchantOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField()
    code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    fulfilment = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    unit_label = serializers.CharField()
    note = serializers.CharField()
    personal_data_masked = serializers.BooleanField(
        help_text="True once the order has been closed for 30 days: name, phone and home come masked, no note"
    )
    total_fen = serializers.IntegerField()
    commission_fen = serializers.IntegerField()
    refunded_fen = serializers.IntegerField()
    reject_reason = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    lines = MerchantOrderLineSerializer(many=True)


class MerchantOrderRowSerializer(serializers.Serializer):
    """A row of the board: from the index alone (no personal data)."""

    id = serializers.IntegerField()
    company = serializers.CharField(source="tenant.name")
    code = serializers.CharField()
    status = serializers.CharField()
    total_fen = serializers.IntegerField()
    paid_at = serializers.DateTimeField()


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class MerchantOrderListApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"],
        summary="My orders across companies (paid ones)",
        parameters=[OpenApiParameter("status", description="a status, or `open` for the board", required=False)],
        responses={200: MerchantOrderRowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        qs = merchant.merchant_orders(
            merchant_id=self.merchant(request).pk, status=request.query_params.get("status", "")
        )
        return self.page(request, qs, MerchantOrderRowSerializer)


class MerchantOrderDetailApi(MerchantApi):
    merchant_permission = ORDERS

    @extend_schema(
        tags=["merchant"],
        summary="One order, with what fulfilment needs",
        responses={200: MerchantOrderSerializer, **MERCHANT_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        view = merchant.merchant_order_read(merchant_id=self.merchant(request).pk, pk=pk)
        return Response(MerchantOrderSerializer(merchant.order_fulfilment(view)).data)


class MerchantOrderActionApi(MerchantApi):
    merchant_permission = ORDERS
    action_name = ""

    def post(self, request: Request, pk: int) -> Response:
        reason = ""
        if self.action_name == "reject":
            data = RejectSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            reason = data.validated_data["reason"]
        view = merchant.merchant_order_act(
            merchant_id=self.merchant(request).pk,
            pk=pk,
            action=self.action_name,
            by=self.member(request).user,
            reason=reason,
        )
        return Response(MerchantOrderSerializer(merchant.order_fulfilment(view)).data)


def _action(name: str, summary: str, request_body: Any = None) -> type[MerchantOrderActionApi]:
    view = type(f"MerchantOrder{name.title()}Api", (MerchantOrderActionApi,), {"action_name": name})
    view.post = extend_schema(  # type: ignore[attr-defined]
        tags=["merchant"],
        summary=summary,
        request=request_body,
        responses={200: MerchantOrderSerializer, **MERCHANT_ERRORS, 409: ERRORS[409]},
    )(MerchantOrderActionApi.post)
    return view


MP = "api/v1/merchant/orders/"
merchant_urlpatterns: list[URLPattern] = [
    path(MP, MerchantOrderListApi.as_view(), name="api-merchant-orders"),
    path(f"{MP}<int:pk>/", MerchantOrderDetailApi.as_view(), name="api-merchant-order"),
    path(f"{MP}<int:pk>/accept/", _action("accept", "Accept a paid order").as_view(), name="api-merchant-order-accept"),
    path(
        f"{MP}<int:pk>/reject/",
        _action("reject", "Reject a paid order with a reason (full refund)", RejectSerializer).as_view(),
        name="api-merchant-order-reject",
    ),
    path(
        f"{MP}<int:pk>/dispatch/",
        _action("dispatch", "On its way / in service").as_view(),
        name="api-merchant-order-dispatch",
    ),
    path(f"{MP}<int:pk>/deliver/", _action("deliver", "Delivered").as_view(), name="api-merchant-order-deliver"),
]

# After-sale (refund requests per line, reviews, complaints): marketplace/orders/api_aftersale.py.
from .api_aftersale import urlpatterns as _aftersale  # noqa: E402
from .api_aftersale_merchant import merchant_urlpatterns as _aftersale_merchant  # noqa: E402

urlpatterns += _aftersale
merchant_urlpatterns += _aftersale_merchant
