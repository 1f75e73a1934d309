"""Group-buy over the API: residents list, read, join (then pay the order as any other) and leave deals their
estates may see; merchants list their deals across the companies that approved them and offer new ones. A
company never sees another company's deals, a merchant never another merchant's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from marketplace.groupbuy.models import Deal
from tenants.db import connection
from tests.marketplace.factories import make_merchant
from tests.marketplace.orders.test_api_and_isolation import beta_home, merchant_api, resident_api

from .conftest import Shop, make_deal

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_a_resident_sees_the_deal_joins_it_and_pays_through_the_order(shop: Shop, deal: Deal) -> None:
    api = resident_api(shop.tenant, shop.resident)
    (row,) = api.get("/api/v1/shop/deals/").json()
    assert (row["id"], row["group_price_fen"], row["regular_price_fen"], row["joined"], row["paid"]) == (
        deal.pk,
        990,
        1280,
        0,
        0,
    )
    assert (row["min_participants"], row["max_participants"], row["state"]) == (2, 3, "open")
    assert 3500 < row["seconds_left"] <= 3600
    refused = api.post(f"/api/v1/shop/deals/{deal.pk}/join/", {"unit": shop.other_home.pk}, content_type=JSON)
    assert refused.status_code == 400 and "unit" in refused.json()["error"]["fields"]
    joined = api.post(f"/api/v1/shop/deals/{deal.pk}/join/", {"unit": shop.home.pk}, content_type=JSON)
    assert joined.status_code == 201, joined.content
    body = joined.json()
    assert body["order"]["total_fen"] == 990 and body["order"]["status"] == "pending_payment"
    assert body["order"]["payable"]["amount_fen"] == 990 and body["order"]["payable"]["line_ids"]
    assert body["deal"]["joined"] == 1 and body["deal"]["mine"]["state"] == "joined"
    assert body["deal"]["mine"]["payable"]["pay_url"].startswith("/resident/pay/")
    again = api.post(f"/api/v1/shop/deals/{deal.pk}/join/", {"unit": shop.home.pk}, content_type=JSON)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_joined"
    assert api.get("/api/v1/shop/deals/?state=mine").json()[0]["id"] == deal.pk
    left = api.post(f"/api/v1/shop/deals/{deal.pk}/leave/", {}, content_type=JSON)
    assert left.status_code == 200 and left.json()["joined"] == 0 and left.json()["mine"]["state"] == "lapsed"
    assert api.get("/api/v1/shop/deals/?state=bogus").status_code == 400


def test_a_resident_of_another_estate_or_company_never_sees_the_deal(
    shop: Shop, deal: Deal, tenant_b: Any, member: Any
) -> None:
    other = resident_api(shop.tenant, shop.other_resident)
    assert other.get("/api/v1/shop/deals/").json() == []
    assert other.get(f"/api/v1/shop/deals/{deal.pk}/").status_code == 404
    beta_user, _unit = beta_home(tenant_b, member, shop)  # 鲜果坊 is approved in beta too, with no deal there
    beta = resident_api(tenant_b, beta_user)
    assert beta.get("/api/v1/shop/deals/").json() == []
    assert beta.get(f"/api/v1/shop/deals/{deal.pk}/").status_code == 404
    connection.set_tenant(tenant_b)
    assert not Deal.objects.exists()


def test_a_merchant_offers_and_lists_its_deals_in_each_company_that_approved_it(
    shop: Shop, deal: Deal, tenant_b: Any, member: Any
) -> None:
    beta_home(tenant_b, member, shop)
    api = merchant_api(shop.fruit)
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    terms = {"listing": shop.apple.pk, "group_price_fen": 1000, "min_participants": 2, "max_participants": 10}
    made = api.post(
        "/api/v1/merchant/deals/", {**terms, "company": tenant_b.pk, "deadline": deadline}, content_type=JSON
    )
    assert made.status_code == 201, made.content
    assert made.json()["company_id"] == tenant_b.pk and made.json()["deal"]["state"] == "open"
    rows = api.get("/api/v1/merchant/deals/").json()
    assert sorted((r["company_id"], r["deal"]["group_price_fen"]) for r in rows) == [
        (shop.tenant.pk, 990),
        (tenant_b.pk, 1000),
    ]
    assert api.get("/api/v1/merchant/deals/?state=failed").json() == []
    bad = api.post(
        "/api/v1/merchant/deals/",
        {**terms, "company": shop.tenant.pk, "deadline": deadline, "min_participants": 5, "max_participants": 3},
        content_type=JSON,
    )
    assert bad.status_code == 400 and "max_participants" in bad.json()["error"]["fields"]
    expensive = api.post(
        "/api/v1/merchant/deals/",
        {**terms, "company": shop.tenant.pk, "deadline": deadline, "group_price_fen": 5000},
        content_type=JSON,
    )
    assert expensive.status_code == 400 and "group_price_fen" in expensive.json()["error"]["fields"]
    # Another merchant: none of these deals, and no deal on 鲜果坊's listing, nor in a company that did not approve it.
    stranger = make_merchant("陌生商家", owner=True)
    other = merchant_api(stranger)
    assert other.get("/api/v1/merchant/deals/").json() == []
    refused = other.post(
        "/api/v1/merchant/deals/", {**terms, "company": shop.tenant.pk, "deadline": deadline}, content_type=JSON
    )
    assert refused.status_code == 400 and "company" in refused.json()["error"]["fields"]
    connection.set_tenant(shop.tenant)
    assert Deal.objects.count() == 1


def test_a_merchant_cannot_offer_a_deal_on_another_merchants_listing(shop: Shop) -> None:
    api = merchant_api(shop.cleaner)
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    refused = api.post(
        "/api/v1/merchant/deals/",
        {
            "company": shop.tenant.pk,
            "listing": shop.apple.pk,
            "group_price_fen": 900,
            "min_participants": 1,
            "max_participants": 2,
            "deadline": deadline,
        },
        content_type=JSON,
    )
    assert refused.status_code == 400 and "listing" in refused.json()["error"]["fields"]
    connection.set_tenant(shop.tenant)
    assert not Deal.objects.exists()
    assert make_deal(shop).merchant_id == shop.fruit.pk  # its own merchant may
