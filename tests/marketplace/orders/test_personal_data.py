"""Personal data (issue 15 part 11): a merchant sees the resident's name, phone and home only for its own orders,
and masked once the order has been closed for 30 days, on its order page and over its API; the nightly task
masks the stored copies of orders closed for 30 days and leaves younger ones alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from backend.celery import app
from marketplace.models import MerchantMember
from marketplace.orders import flow
from marketplace.orders.models import Order
from marketplace.orders.personal_data import (
    mask_name,
    mask_phone,
    mask_unit_label,
    order_is_masked,
    orders_personal_data_scrub,
)
from marketplace.orders.tasks import shop_orders_personal_data_scrub
from marketplace.orders_index.models import MerchantOrder
from tenants.db import connection

from .conftest import Shop
from .test_api_and_isolation import merchant_api, paid_order

pytestmark = pytest.mark.django_db

DAY30 = dt.timedelta(days=30)
MINUTE = dt.timedelta(minutes=1)


def merchant_portal(merchant: Any) -> Client:
    connection.set_schema_to_public()
    member = MerchantMember.objects.get(merchant=merchant)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(member.user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def rejected_order(shop: Shop, *, closed_ago: dt.timedelta) -> tuple[Order, MerchantOrder]:
    order = paid_order(shop.tenant, shop.resident, shop.home, shop.apple.pk)
    Order.objects.filter(pk=order.pk).update(contact_phone="13812345678", note="放门口")
    flow.order_reject(order_id=order.pk, merchant_id=shop.fruit.pk, reason="缺货", by=None)
    Order.objects.filter(pk=order.pk).update(closed_at=timezone.now() - closed_ago)
    connection.set_schema_to_public()
    return Order(pk=order.pk, code=order.code), MerchantOrder.objects.get(tenant=shop.tenant, order_id=order.pk)


def test_the_masks() -> None:
    assert mask_name("王业主") == "王**" and mask_name("王") == "王*" and mask_name("") == ""
    assert mask_phone("13812345678") == "138****5678" and mask_phone("12345") == "****"
    assert mask_phone(mask_phone("13812345678")) == "138****5678"  # masking twice changes nothing
    assert mask_unit_label("阳光花园 1栋 101") == "阳光花园 ***" and mask_unit_label("101") == "***"


@pytest.mark.parametrize(
    ("closed_ago", "masked"), [(DAY30 - MINUTE, False), (DAY30 + MINUTE, True)], ids=["day-29.99", "day-30.01"]
)
def test_the_merchant_api_and_page_mask_the_residents_details_30_days_after_the_close(
    shop: Shop, closed_ago: dt.timedelta, masked: bool
) -> None:
    order, entry = rejected_order(shop, closed_ago=closed_ago)
    body = merchant_api(shop.fruit).get(f"/api/v1/merchant/orders/{entry.pk}/").json()
    page = merchant_portal(shop.fruit).get(f"/merchant/orders/{entry.pk}/").content.decode()
    if masked:
        assert (body["contact_name"], body["contact_phone"], body["note"]) == ("王**", "138****5678", "")
        assert body["unit_label"] == "阳光花园 ***" and body["personal_data_masked"] is True
        assert "王业主" not in page and "13812345678" not in page and "101" not in page and "放门口" not in page
        assert "data-masked" in page and "王**" in page
    else:
        assert (body["contact_name"], body["contact_phone"], body["note"]) == ("王业主", "13812345678", "放门口")
        assert body["unit_label"].endswith("101") and body["personal_data_masked"] is False
        assert "王业主" in page and "tel:13812345678" in page and "data-masked" not in page
    assert order.code in page


def test_an_open_order_is_never_masked_and_a_completed_one_counts_from_its_completion(shop: Shop) -> None:
    order = paid_order(shop.tenant, shop.resident, shop.home, shop.apple.pk)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - dt.timedelta(days=90))
    assert not order_is_masked(Order.objects.get(pk=order.pk), now=timezone.now() + dt.timedelta(days=365))
    for action in ("accept", "deliver"):
        flow.order_merchant_move(order_id=order.pk, merchant_id=shop.fruit.pk, action=action, by=None)
    done = flow.order_confirm(order_id=order.pk, user=shop.resident)
    completed = done.completed_at
    assert completed is not None and done.closed_at == completed
    assert not order_is_masked(done, now=completed + DAY30 - MINUTE)
    assert order_is_masked(done, now=completed + DAY30)
    # an order completed before closed_at was set on completion counts from completed_at
    Order.objects.filter(pk=order.pk).update(closed_at=None)
    legacy = Order.objects.get(pk=order.pk)
    assert order_is_masked(legacy, now=completed + DAY30)


def test_the_nightly_task_masks_the_stored_copies_of_orders_closed_30_days_only(shop: Shop) -> None:
    old, _ = rejected_order(shop, closed_ago=DAY30 + MINUTE)
    young, _ = rejected_order(shop, closed_ago=DAY30 - MINUTE)
    connection.set_tenant(shop.tenant)
    open_order = paid_order(shop.tenant, shop.resident, shop.home, shop.apple.pk)
    Order.objects.filter(pk=open_order.pk).update(created_at=timezone.now() - dt.timedelta(days=60))
    connection.set_tenant(shop.tenant)
    assert shop_orders_personal_data_scrub.apply().get() == 1
    stored = {o.pk: o for o in Order.objects.filter(pk__in=[old.pk, young.pk, open_order.pk])}
    scrubbed = stored[old.pk]
    assert (scrubbed.contact_name, scrubbed.contact_phone, scrubbed.note) == ("王**", "138****5678", "")
    assert stored[old.pk].personal_data_scrubbed_at is not None
    assert stored[old.pk].unit_label.endswith("101")  # the company's own record of its unit stays
    assert (stored[young.pk].contact_name, stored[young.pk].note) == ("王业主", "放门口")
    assert stored[open_order.pk].contact_name == "王业主" and stored[open_order.pk].personal_data_scrubbed_at is None
    assert orders_personal_data_scrub() == 0  # a second run changes nothing
    # a day later the younger one goes too
    assert orders_personal_data_scrub(now=timezone.now() + dt.timedelta(days=1)) == 1


def test_the_beat_fans_the_scrub_out_to_every_company() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["shop-orders-personal-data-scrub"]
    assert entry["task"] in app.tasks and not entry.get("public")


def test_another_merchant_sees_nothing_of_the_order(shop: Shop) -> None:
    _order, entry = rejected_order(shop, closed_ago=MINUTE)
    assert merchant_api(shop.cleaner).get(f"/api/v1/merchant/orders/{entry.pk}/").status_code == 404
    assert merchant_portal(shop.cleaner).get(f"/merchant/orders/{entry.pk}/").status_code == 404
