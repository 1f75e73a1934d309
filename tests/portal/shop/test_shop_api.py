"""The residents' shop over the API: search with facets, a listing, a merchant; only what the caller's
estate may see (another estate's merchant, a pending one, another company's: 404 or absent); bad query
values are field-level 400s."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from marketplace.models import Listing
from marketplace.search.indexing import listings_reindex
from tenants.db import connection
from tests.backend.club.conftest import Club
from tests.backend.club.conftest import world as world  # noqa: PLC0414
from tests.conftest import host_of
from tests.portal.shop.test_resident_shop import shop as shop  # noqa: PLC0414


def api(tenant: Any, user: Any) -> Client:
    connection.set_tenant(tenant)
    client = Client(HTTP_HOST=host_of(tenant))
    client.force_login(user, backend="backend.accounts.backends.EmailOrPhoneBackend")
    return client


@pytest.fixture
def indexed(shop: dict[str, Any], tenant_a: Any) -> dict[str, Any]:
    connection.set_schema_to_public()
    listings_reindex(list(Listing.objects.values_list("pk", flat=True)))
    connection.set_tenant(tenant_a)
    return shop


def test_search_finds_what_the_estate_may_see_with_facets(indexed: Any, world: Club, tenant_a: Any) -> None:
    client = api(tenant_a, world.resident)
    body = client.get("/api/v1/shop/listings/", {"q": "苹"}).json()
    assert [r["title"] for r in body["results"]] == ["红富士苹果"]
    assert body["results"][0]["price_fen"] == 1280
    assert body["results"][0]["photos"] == [f"/shop/photos/{indexed['apple_photo'].pk}/"]
    assert body["facets"]["merchant"] == {str(indexed["fruit"].pk): 1}
    assert client.get("/api/v1/shop/listings/", {"q": "数学"}).json()["total"] == 0
    other = api(tenant_a, world.other_resident).get("/api/v1/shop/listings/", {"q": "数学"}).json()
    assert [r["title"] for r in other["results"]] == ["初中数学辅导"]


def test_a_listing_and_a_merchant_only_where_visible(indexed: Any, world: Club, tenant_a: Any) -> None:
    client = api(tenant_a, world.resident)
    listing = client.get(f"/api/v1/shop/listings/{indexed['apple'].pk}/").json()
    assert listing["special_price_fen"] == 990 and listing["stock"] == 5 and listing["merchant_name"] == "鲜果坊"
    assert client.get(f"/api/v1/shop/listings/{indexed['maths'].pk}/").status_code == 404
    assert client.get(f"/api/v1/shop/listings/{indexed['moving'].pk}/").status_code == 404
    merchant = client.get(f"/api/v1/shop/merchants/{indexed['fruit'].pk}/").json()
    assert [item["title"] for item in merchant["listings"]] == ["红富士苹果"]
    assert client.get(f"/api/v1/shop/merchants/{indexed['tutor'].pk}/").status_code == 404


def test_bad_values_are_field_errors_and_staff_are_refused(
    indexed: Any, world: Club, tenant_a: Any, member: Any
) -> None:
    client = api(tenant_a, world.resident)
    response = client.get("/api/v1/shop/listings/", {"price": "9", "sort": "cheapest", "limit": "500"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"price", "sort", "limit"}
    staff = api(tenant_a, member(tenant_a, ["customer_service"]))
    assert staff.get("/api/v1/shop/listings/").status_code == 403
