"""Checkout: only visible listings, limits per order, one order per merchant with its lines' snapshots and
commission, stock and slot places reserved by conditional UPDATE (never oversold), released exactly once on
expiry or cancellation, each line charged on the home's ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.billing.models import BillLine
from backend.errors import ApplicationError
from marketplace.company.models import ListingHide
from marketplace.models import Listing, ListingVariant, ServiceSlot
from marketplace.orders import cart as carts
from marketplace.orders import flow
from marketplace.orders.cart import Item
from marketplace.orders.models import CartItem, Order, OrderLine
from marketplace.orders_index.models import MerchantOrder

from .conftest import Shop

pytestmark = pytest.mark.django_db


def stock(listing: Listing) -> int | None:
    return Listing.objects.get(pk=listing.pk).stock


def test_the_cart_splits_into_one_order_per_merchant_with_snapshots_commission_and_ledger_lines(shop: Shop) -> None:
    carts.cart_add(user=shop.resident, item=Item(shop.apple.pk, 2))
    carts.cart_add(user=shop.resident, item=Item(shop.apple.pk, 1))  # the same line, more of it
    carts.cart_add(user=shop.resident, item=Item(shop.grapes.pk, 1, variant_id=shop.green.pk))
    carts.cart_add(user=shop.resident, item=Item(shop.cleaning.pk, 1, slot_id=shop.slot.pk))
    assert CartItem.objects.filter(cart__user=shop.resident).count() == 3
    orders = flow.checkout(user=shop.resident, unit=shop.home, fulfilment="delivery")
    assert len(orders) == 2 and {o.merchant_name for o in orders} == {"鲜果坊", "好帮手家政"}
    fruit = next(o for o in orders if o.merchant_id == shop.fruit.pk)
    assert fruit.status == "pending_payment" and fruit.total_fen == 3 * 1280 + 1990
    lines = {li.title: li for li in fruit.lines.all()}
    apple = lines["新鲜苹果"]
    assert (apple.unit_price_fen, apple.quantity, apple.amount_fen, apple.commission_bp) == (1280, 3, 3840, 800)
    assert apple.commission_fen == 307  # 3840 × 8% = 307.2
    assert lines["葡萄"].variant_name == "青提"
    cleaning = next(o for o in orders if o.merchant_id == shop.cleaner.pk).lines.get()
    assert cleaning.commission_bp == 500 and cleaning.slot_starts_at == shop.slot.starts_at
    # reserved: stock and places taken
    assert stock(shop.apple) == 2
    assert ListingVariant.objects.get(pk=shop.green.pk).stock == 2
    assert ServiceSlot.objects.get(pk=shop.slot.pk).booked == 1
    # each line is a bill line on the home's ledger, owed; the cart is empty; the merchant knows nothing yet
    assert BillLine.objects.get(pk=apple.charge_id).outstanding == 3840
    assert not CartItem.objects.filter(cart__user=shop.resident).exists()
    assert not MerchantOrder.objects.exists()
    assert fruit.unit_label.startswith("阳光花园") and fruit.contact_name == "王业主"


def test_only_listings_visible_to_the_homes_estate_can_be_bought(shop: Shop) -> None:
    with pytest.raises(ApplicationError):  # 江景苑's resident: 鲜果坊 is not approved there
        carts.cart_add(user=shop.other_resident, item=Item(shop.apple.pk, 1))
    with pytest.raises(ApplicationError) as caught:
        flow.checkout(user=shop.other_resident, unit=shop.other_home, items=[Item(shop.apple.pk, 1)])
    assert "items" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:  # not one of my homes
        flow.checkout(user=shop.resident, unit=shop.neighbour_home, items=[Item(shop.apple.pk, 1)])
    assert "unit" in caught.value.fields
    ListingHide.objects.create(listing_id=shop.apple.pk, reason="质量问题")
    with pytest.raises(ApplicationError):
        flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 1)])
    assert stock(shop.apple) == 5 and not Order.objects.exists()


def test_limits_choices_and_sold_out_refuse_the_whole_checkout_and_reserve_nothing(shop: Shop) -> None:
    Listing.objects.filter(pk=shop.apple.pk).update(per_order_limit=2)
    with pytest.raises(ApplicationError) as caught:
        flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 3)])
    assert "at most 2" in caught.value.fields["items"][0]
    with pytest.raises(ApplicationError) as caught:
        flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.grapes.pk, 1)])
    assert "variant" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.cleaning.pk, 1)])
    assert "slot" in caught.value.fields
    # apples fine, but only 3 green grapes: nothing is reserved, nothing charged
    with pytest.raises(ApplicationError) as caught:
        flow.checkout(
            user=shop.resident,
            unit=shop.home,
            items=[Item(shop.apple.pk, 2), Item(shop.grapes.pk, 4, variant_id=shop.green.pk)],
        )
    assert caught.value.code == "sold_out" and caught.value.status == 409
    assert stock(shop.apple) == 5 and ListingVariant.objects.get(pk=shop.green.pk).stock == 3
    assert not Order.objects.exists() and not BillLine.objects.exists()
    # the slot's 2 places: a third is refused
    flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.cleaning.pk, 2, slot_id=shop.slot.pk)])
    with pytest.raises(ApplicationError) as caught:
        flow.checkout(
            user=shop.neighbour, unit=shop.neighbour_home, items=[Item(shop.cleaning.pk, 1, slot_id=shop.slot.pk)]
        )
    assert caught.value.code == "sold_out"
    assert ServiceSlot.objects.get(pk=shop.slot.pk).booked == 2


def test_unlimited_stock_is_never_counted(shop: Shop) -> None:
    flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.grapes.pk, 50, variant_id=shop.red.pk)])
    assert ListingVariant.objects.get(pk=shop.red.pk).stock is None


def test_the_payment_window_is_the_setting_and_a_deadline_only_shortens_it(shop: Shop, settings: Any) -> None:
    settings.SHOP_ORDER_PAY_MINUTES = 2 * 24 * 60  # a company that gives two days to pay
    now = timezone.now()
    (order,) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 1)], now=now)
    assert order.expires_at == now + dt.timedelta(days=2)
    deadline = now + dt.timedelta(hours=3)  # a group-buy's join ends with its deal
    (order,) = flow.checkout(
        user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 1)], now=now, expires_by=deadline
    )
    assert order.expires_at == deadline


def test_an_unpaid_order_expires_releases_once_and_owes_nothing(shop: Shop) -> None:
    (order,) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 4)])
    assert stock(shop.apple) == 1
    assert flow.orders_expire(now=timezone.now()) == 0  # not yet
    later = timezone.now() + dt.timedelta(minutes=flow.pay_minutes() + 1)
    assert flow.orders_expire(now=later) == 1
    assert flow.orders_expire(now=later) == 0  # a second sweep releases nothing twice
    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.reserved, order.refunded_fen) == ("expired", False, 0)
    assert stock(shop.apple) == 5
    line = OrderLine.objects.get(order=order)
    assert BillLine.objects.get(pk=line.charge_id).outstanding == 0
    with pytest.raises(ApplicationError):  # cannot be cancelled any more: no second release
        flow.order_cancel(order_id=order.pk, user=shop.resident)
    assert stock(shop.apple) == 5


def test_the_resident_cancels_an_unpaid_order_and_the_stock_comes_back_once(shop: Shop) -> None:
    (order,) = flow.checkout(
        user=shop.resident, unit=shop.home, items=[Item(shop.cleaning.pk, 1, slot_id=shop.slot.pk)]
    )
    with pytest.raises(ApplicationError):  # someone else's order
        flow.order_cancel(order_id=order.pk, user=shop.neighbour)
    flow.order_cancel(order_id=order.pk, user=shop.resident)
    assert ServiceSlot.objects.get(pk=shop.slot.pk).booked == 0
    with pytest.raises(ApplicationError):
        flow.order_cancel(order_id=order.pk, user=shop.resident)
    assert ServiceSlot.objects.get(pk=shop.slot.pk).booked == 0
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_a_special_price_applies_in_its_month(shop: Shop, **_: Any) -> None:
    from marketplace.models import Special

    Special.objects.create(
        merchant=shop.fruit, listing=shop.apple, month=timezone.localdate().replace(day=1), price_fen=990
    )
    (order,) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 1)])
    assert order.total_fen == 990


def test_an_order_whose_online_payment_is_in_flight_does_not_expire_under_it(shop: Shop) -> None:
    from backend.payments.models import OnlinePayment

    (order,) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 2)])
    lines = list(order.lines.values_list("charge_id", flat=True))
    OnlinePayment.objects.create(
        unit=shop.home,
        user=shop.resident,
        amount=order.total_fen,
        status=OnlinePayment.Status.PROCESSING,
        line_ids=lines,
    )
    later = timezone.now() + dt.timedelta(minutes=flow.pay_minutes() + 1)
    assert flow.orders_expire(now=later) == 0
    assert Order.objects.get(pk=order.pk).status == "pending_payment" and stock(shop.apple) == 3
    # ... but not for ever (an abandoned 3-D Secure page)
    assert flow.orders_expire(now=later + dt.timedelta(hours=1)) == 1
    assert stock(shop.apple) == 5
