"""The resident's cart, checkout and order pages (zh-hans, ¥), and the merchant's order board and order page."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from backend.billing import ledger
from marketplace.merchants import merchant_token_issue  # noqa: F401 - the API's twin
from marketplace.models import MerchantMember
from marketplace.orders.models import Order
from marketplace.orders_index.models import MerchantOrder
from tenants.db import connection
from tests.conftest import host_of

from .conftest import Shop

pytestmark = pytest.mark.django_db


def resident(shop: Shop) -> Client:
    connection.set_tenant(shop.tenant)
    client = Client(HTTP_HOST=host_of(shop.tenant))
    client.force_login(shop.resident, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def merchant_portal(merchant: Any) -> Client:
    connection.set_schema_to_public()
    member = MerchantMember.objects.get(merchant=merchant)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(member.user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def test_add_to_cart_check_out_and_follow_the_order(shop: Shop) -> None:
    client = resident(shop)
    listing = client.get(f"/resident/shop/listings/{shop.apple.pk}/").content.decode()
    assert "加入购物车" in listing and "data-add-to-cart" in listing
    added = client.post("/resident/shop/cart/add/", {"listing": shop.apple.pk, "quantity": 2})
    assert added.status_code == 302 and added["Location"] == "/resident/shop/cart/"
    cart = client.get("/resident/shop/cart/").content.decode()
    assert "新鲜苹果" in cart and "¥25.60" in cart and "购物车" in cart and "¥¥" not in cart
    done = client.post("/resident/shop/checkout/", {"unit": shop.home.pk, "fulfilment": "delivery"})
    connection.set_tenant(shop.tenant)
    order = Order.objects.get(user=shop.resident)
    assert done["Location"] == f"/resident/shop/orders/{order.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert "¥25.60" in page and "data-pay" in page and "realtime:message" in page and "¥¥" not in page
    assert order.code in client.get("/resident/shop/orders/").content.decode()
    # the live part alone (htmx)
    part = client.get(done["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and 'data-status="pending_payment"' in part
    client.post(f"/resident/shop/orders/{order.pk}/cancel/")
    connection.set_tenant(shop.tenant)
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    # a grape without choosing a variant is refused on the listing page, with the reason
    refused = client.post("/resident/shop/cart/add/", {"listing": shop.grapes.pk}, follow=True)
    assert refused.status_code == 200 and "data-add-to-cart" in refused.content.decode()


def test_the_merchant_board_shows_paid_orders_live_with_a_sound_and_the_order_page_accepts(shop: Shop) -> None:
    client = resident(shop)
    client.post("/resident/shop/cart/add/", {"listing": shop.apple.pk, "quantity": 1})
    client.post("/resident/shop/checkout/", {"unit": shop.home.pk, "fulfilment": "pickup"})
    portal = merchant_portal(shop.fruit)
    assert "data-no-orders" in portal.get("/merchant/orders/").content.decode()  # unpaid: not the merchant's yet
    connection.set_tenant(shop.tenant)
    order = Order.objects.get(user=shop.resident)
    lines = list(order.lines.values_list("charge_id", flat=True))
    ledger.payment_record(unit=shop.home, amount=order.total_fen, method="cash", line_ids=lines)
    assert Order.objects.get(pk=order.pk).status == "paid"
    board = portal.get("/merchant/orders/").content.decode()
    assert order.code in board and "new-order.wav" in board and "merchant-notice from:body" in board
    assert "¥12.80" in board and "¥¥" not in board  # the yuan filter writes the sign itself
    entry = MerchantOrder.objects.get(order_id=order.pk)
    page = portal.get(f"/merchant/orders/{entry.pk}/").content.decode()
    assert "王业主" in page and order.unit_label in page and "data-accept" in page
    assert "¥12.80" in page and "¥¥" not in page
    assert shop.resident.email not in page
    portal.post(f"/merchant/orders/{entry.pk}/accept/")
    connection.set_tenant(shop.tenant)
    assert Order.objects.get(pk=order.pk).status == "accepted"
    other = merchant_portal(shop.cleaner)
    assert other.get(f"/merchant/orders/{entry.pk}/").status_code == 404


def test_the_sound_is_a_short_local_wav() -> None:
    import wave
    from pathlib import Path

    path = Path(settings.BASE_DIR) / "portal/static/portal/sounds/new-order.wav"
    with wave.open(str(path)) as w:
        assert w.getnframes() / w.getframerate() < 1
