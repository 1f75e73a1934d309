"""Live: the merchant's /ws/merchant/ socket (real ASGI app, real Redis channel layer) hears of an order only
once it is paid, and of the resident's cancellation; the beat's tasks are registered and run per company."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.test import Client

from backend.billing import ledger
from backend.celery import app
from marketplace.models import MerchantMember
from marketplace.orders import flow
from marketplace.orders.flow import Item
from tenants.db import connection
from tests.marketplace.merchant.test_websocket import communicator

from .conftest import Shop


def test_the_merchants_socket_hears_of_an_order_once_paid(shop: Shop, django_capture_on_commit_callbacks: Any) -> None:
    connection.set_schema_to_public()
    member = MerchantMember.objects.get(merchant=shop.fruit)
    client = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    client.force_login(member.user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    cookie = client.cookies["sessionid"].value
    holder: dict[str, Any] = {}

    def check_out() -> None:
        connection.set_tenant(shop.tenant)
        with django_capture_on_commit_callbacks(execute=True):
            (holder["order"],) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 1)])
        connection.set_schema_to_public()

    def pay() -> None:
        connection.set_tenant(shop.tenant)
        order = holder["order"]
        with django_capture_on_commit_callbacks(execute=True):
            ledger.payment_record(
                unit=shop.home,
                amount=order.total_fen,
                method="cash",
                line_ids=list(order.lines.values_list("charge_id", flat=True)),
            )
        connection.set_schema_to_public()

    async def scenario() -> None:
        ws = communicator(settings.PLATFORM_DOMAIN, cookie)
        assert (await ws.connect())[0]
        assert (await ws.receive_json_from())["type"] == "hello"
        await sync_to_async(check_out)()
        assert await ws.receive_nothing(timeout=0.5)  # not paid: the merchant hears nothing
        await sync_to_async(pay)()
        got = await ws.receive_json_from(timeout=3)
        assert got["type"] == "merchant.notice" and got["kind"] == "shop.order_new"
        assert got["data"]["code"] == holder["order"].code and got["data"]["status"] == "paid"
        assert "王业主" not in str(got)  # no personal data in the push
        await ws.disconnect()

    async_to_sync(scenario)()


def test_the_beat_runs_the_shop_tasks() -> None:
    for name in ("shop-orders-expire", "shop-orders-auto-complete"):
        task = settings.CELERY_BEAT_SCHEDULE[name]["task"]
        assert task in app.tasks, task
