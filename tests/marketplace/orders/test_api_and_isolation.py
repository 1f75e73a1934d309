"""The shop orders' API, and who sees which order: a resident only their own; a merchant only its own, only paid
ones, and of each only what fulfilment needs (name, unit label, phone; never the resident's account or e-mail),
whichever company it came from; a company never sees another company's orders."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from backend.billing import ledger
from backend.properties import services as registry
from backend.properties.models import Unit
from marketplace.merchants import merchant_token_issue
from marketplace.models import MerchantMember
from marketplace.orders import flow
from marketplace.orders.flow import Item
from marketplace.orders.models import Order
from marketplace.orders_index.models import MerchantOrder
from tenants.db import connection
from tests.backend.club.conftest import EVERYTHING, move_in
from tests.conftest import host_of
from tests.marketplace.factories import make_application

from .conftest import Shop

pytestmark = pytest.mark.django_db


def resident_api(tenant: Any, user: Any) -> Client:
    connection.set_tenant(tenant)  # the session lives in the company's schema
    client = Client(HTTP_HOST=host_of(tenant))
    client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


def merchant_api(merchant: Any) -> Client:
    from django.conf import settings

    member = MerchantMember.objects.filter(merchant=merchant).first()
    assert member is not None
    _token, raw = merchant_token_issue(member=member)
    return Client(HTTP_HOST=settings.PLATFORM_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {raw}")


def paid_order(tenant: Any, user: Any, unit: Unit, listing_id: int, n: int = 1, slot: int | None = None) -> Order:
    connection.set_tenant(tenant)
    ledger.payment_record(unit=unit, amount=100000, method="cash", to_prepaid=True)
    (order,) = flow.checkout(user=user, unit=unit, items=[Item(listing_id, n, slot_id=slot)])
    assert order.status == "paid"
    return order


def beta_home(tenant_b: Any, member: Any, shop: Shop) -> tuple[Any, Unit]:
    """A home in company beta whose estate approved 鲜果坊 too."""
    connection.set_tenant(tenant_b)
    office = registry.office_create(name="乙管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name="乙小区", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="80", scope=EVERYTHING
    )
    unit = Unit.objects.get(building=building)
    user = member(tenant_b, ["resident"])
    connection.set_tenant(tenant_b)
    move_in(unit, user, "钱乙")
    make_application(shop.fruit, tenant_b, status="approved", estates={estate.pk: estate.name}, categories=["fruit"])
    return user, unit


def test_the_resident_api_cart_checkout_orders_cancel(shop: Shop) -> None:
    api = resident_api(shop.tenant, shop.resident)
    added = api.post("/api/v1/shop/cart/", {"listing": shop.apple.pk, "quantity": 2}, content_type="application/json")
    assert added.status_code == 201, added.content
    assert api.get("/api/v1/shop/cart/").json()[0]["quantity"] == 2
    item = added.json()["id"]
    assert (
        api.patch(f"/api/v1/shop/cart/items/{item}/", {"quantity": 3}, content_type="application/json").status_code
        == 204
    )
    bad = api.post("/api/v1/shop/checkout/", {"unit": shop.neighbour_home.pk}, content_type="application/json")
    assert bad.status_code == 400 and "unit" in bad.json()["error"]["fields"]
    made = api.post(
        "/api/v1/shop/checkout/", {"unit": shop.home.pk, "fulfilment": "pickup"}, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    (order,) = made.json()
    assert order["status"] == "pending_payment" and order["total_fen"] == 3 * 1280 and order["fulfilment"] == "pickup"
    assert order["payable"]["amount_fen"] == 3840 and len(order["payable"]["line_ids"]) == 1
    sold_out = api.post(
        "/api/v1/shop/checkout/",
        {"unit": shop.home.pk, "items": [{"listing": shop.apple.pk, "quantity": 3}]},
        content_type="application/json",
    )
    assert sold_out.status_code == 409 and sold_out.json()["error"]["code"] == "sold_out"
    assert [o["id"] for o in api.get("/api/v1/shop/orders/").json()] == [order["id"]]
    cancelled = api.post(f"/api/v1/shop/orders/{order['id']}/cancel/", {}, content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api.post(f"/api/v1/shop/orders/{order['id']}/cancel/", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"


def test_residents_see_only_their_own_orders(shop: Shop) -> None:
    mine = paid_order(shop.tenant, shop.resident, shop.home, shop.apple.pk)
    theirs = paid_order(shop.tenant, shop.neighbour, shop.neighbour_home, shop.apple.pk)
    api = resident_api(shop.tenant, shop.resident)
    assert [o["id"] for o in api.get("/api/v1/shop/orders/").json()] == [mine.pk]
    assert api.get(f"/api/v1/shop/orders/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/shop/orders/{theirs.pk}/cancel/", {}, content_type="application/json").status_code == 404
    connection.set_tenant(shop.tenant)
    assert Order.objects.get(pk=theirs.pk).status == "paid"


def test_a_merchant_sees_its_own_paid_orders_of_every_company_with_only_what_fulfilment_needs(
    shop: Shop, tenant_b: Any, member: Any
) -> None:
    alpha = paid_order(shop.tenant, shop.resident, shop.home, shop.apple.pk, 2)
    connection.set_tenant(shop.tenant)
    flow.checkout(user=shop.neighbour, unit=shop.neighbour_home, items=[Item(shop.apple.pk, 1)])  # unpaid
    cleaning = paid_order(shop.tenant, shop.resident, shop.home, shop.cleaning.pk, slot=shop.slot.pk)
    cleaning_orders = Order.objects.filter(merchant_id=shop.cleaner.pk).count()
    beta_user, beta_unit = beta_home(tenant_b, member, shop)
    beta = paid_order(tenant_b, beta_user, beta_unit, shop.apple.pk)
    connection.set_schema_to_public()
    fruit = merchant_api(shop.fruit)
    board = fruit.get("/api/v1/merchant/orders/?status=open")
    assert board.status_code == 200, board.content
    rows = board.json()["results"]
    assert {(r["company"], r["code"]) for r in rows} == {(shop.tenant.name, alpha.code), (tenant_b.name, beta.code)}
    entry = MerchantOrder.objects.get(tenant=shop.tenant, order_id=alpha.pk)
    detail = fruit.get(f"/api/v1/merchant/orders/{entry.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["contact_name"], body["unit_label"], body["total_fen"]) == ("王业主", alpha.unit_label, 2560)
    assert body["contact_phone"] and body["lines"][0]["quantity"] == 2
    text = detail.content.decode()
    assert shop.resident.email not in text and '"user"' not in text and '"unit"' not in text
    # the other merchant's order is a 404 for this one, and its board holds only its own
    other = MerchantOrder.objects.get(order_id=cleaning.pk, tenant=shop.tenant)
    assert fruit.get(f"/api/v1/merchant/orders/{other.pk}/").status_code == 404
    assert fruit.post(f"/api/v1/merchant/orders/{other.pk}/accept/").status_code == 404
    cleaner_rows = merchant_api(shop.cleaner).get("/api/v1/merchant/orders/").json()["results"]
    assert [r["code"] for r in cleaner_rows] == [cleaning.code] and cleaning_orders == 1
    # accept / reject through the API, in the right company's schema
    beta_entry = MerchantOrder.objects.get(tenant=tenant_b, order_id=beta.pk)
    assert fruit.post(f"/api/v1/merchant/orders/{entry.pk}/accept/").json()["status"] == "accepted"
    no_reason = fruit.post(f"/api/v1/merchant/orders/{beta_entry.pk}/reject/", {}, content_type="application/json")
    assert no_reason.status_code == 400
    rejected = fruit.post(
        f"/api/v1/merchant/orders/{beta_entry.pk}/reject/", {"reason": "缺货"}, content_type="application/json"
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["refunded_fen"] == 1280
    connection.set_tenant(tenant_b)
    assert Order.objects.get(pk=beta.pk).status == "rejected"
    connection.set_tenant(shop.tenant)
    assert Order.objects.get(pk=alpha.pk).status == "accepted"
    assert not Order.objects.filter(code=beta.code).exists()  # beta's order is not in alpha's schema


def test_a_company_api_never_shows_another_companys_order(shop: Shop, tenant_b: Any, member: Any) -> None:
    beta_user, beta_unit = beta_home(tenant_b, member, shop)
    beta = paid_order(tenant_b, beta_user, beta_unit, shop.apple.pk)
    connection.set_schema_to_public()
    api = resident_api(shop.tenant, shop.resident)
    assert api.get(f"/api/v1/shop/orders/{beta.pk}/").status_code == 404
    assert api.get("/api/v1/shop/orders/").json() == []


def test_the_merchant_order_api_needs_a_merchant(shop: Shop) -> None:
    from django.conf import settings

    connection.set_schema_to_public()
    assert Client(HTTP_HOST=settings.PLATFORM_DOMAIN).get("/api/v1/merchant/orders/").status_code in (401, 403)


@pytest.mark.usefixtures("localstripe")
def test_a_merchant_rejecting_over_the_platform_api_refunds_the_card_in_the_company(
    shop: Shop, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.payments.models import Refund
    from backend.payments.online import online_payment_confirm, online_payment_start
    from marketplace.orders.money import order_payable
    from tests.backend.payments.test_online import saved_card

    connection.set_tenant(shop.tenant)
    (order,) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, 2)])
    op, _ = online_payment_start(user=shop.resident, unit=shop.home, line_ids=order_payable(order)["line_ids"])
    op = online_payment_confirm(op, payment_method=saved_card(localstripe, shop.resident))
    assert Order.objects.get(pk=order.pk).status == "paid"
    connection.set_schema_to_public()
    entry = MerchantOrder.objects.get(tenant=shop.tenant, order_id=order.pk)
    api = merchant_api(shop.fruit)
    with django_capture_on_commit_callbacks(execute=True):  # the refund is sent after the decision commits
        answer = api.post(
            f"/api/v1/merchant/orders/{entry.pk}/reject/", {"reason": "今天不营业"}, content_type="application/json"
        )
    assert answer.status_code == 200 and answer.json()["refunded_fen"] == 2560
    connection.set_tenant(shop.tenant)
    refund = Refund.objects.get(payment_id=op.payment_id)
    assert (refund.amount, refund.status) == (2560, "succeeded")
    assert Order.objects.get(pk=order.pk).refund_state == "done"
