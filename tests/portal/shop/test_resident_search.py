"""The shop's search page on both backends: a Chinese word and a typed prefix find what the resident's estate
may see, facets narrow it, htmx gets the results alone, bad values are field errors, and a listing hidden after
it was indexed never shows (hits are read back through the visibility rule)."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.company.models import ListingHide
from marketplace.models import Listing
from marketplace.search.indexing import listings_reindex
from tenants.db import connection
from tests.backend.club.conftest import Club
from tests.backend.club.conftest import world as world  # noqa: PLC0414
from tests.marketplace.search.conftest import backend as backend  # noqa: PLC0414
from tests.marketplace.search.conftest import noida_url as noida_url  # noqa: PLC0414
from tests.marketplace.search.conftest import search_backend_name as search_backend_name  # noqa: PLC0414
from tests.portal.shop.test_resident_shop import as_user as as_user  # noqa: PLC0414
from tests.portal.shop.test_resident_shop import shop as shop  # noqa: PLC0414


@pytest.fixture
def indexed(shop: dict[str, Any], backend: Any, world: Club, tenant_a: Any) -> dict[str, Any]:
    connection.set_schema_to_public()
    cleaner = shop["fruit"].listings.model.objects.create(
        merchant=shop["fruit"], kind="good", category=shop["apple"].category, title="上门家政保洁套装", price_fen=6800
    )
    listings_reindex(list(Listing.objects.values_list("pk", flat=True)))
    backend.refresh()
    connection.set_tenant(tenant_a)
    return {**shop, "cleaner": cleaner}


def titles(response: Any) -> list[str]:
    page = response.content.decode()
    return [t for t in ("红富士苹果", "上门家政保洁套装", "初中数学辅导", "小面包车搬家") if t in page]


def test_a_word_and_a_typed_prefix_find_only_what_the_estate_may_see(indexed: Any, world: Club, as_user: Any) -> None:
    client = as_user(world.resident)
    assert titles(client.get("/resident/shop/search/", {"q": "家政"})) == ["上门家政保洁套装"]
    assert titles(client.get("/resident/shop/search/", {"q": "上门家"})) == ["上门家政保洁套装"]
    assert titles(client.get("/resident/shop/search/", {"q": "苹果"})) == ["红富士苹果"]
    assert titles(client.get("/resident/shop/search/", {"q": "数学"})) == []  # the other estate's tutor
    assert titles(as_user(world.other_resident).get("/resident/shop/search/", {"q": "数学"})) == ["初中数学辅导"]


def test_facets_narrow_and_htmx_gets_the_results_alone(indexed: Any, world: Club, as_user: Any) -> None:
    client = as_user(world.resident)
    everything = client.get("/resident/shop/search/")
    assert titles(everything) == ["红富士苹果", "上门家政保洁套装"]
    page = everything.content.decode()
    assert 'data-facet="price"' in page and 'data-facet="merchant"' in page
    cheap = client.get("/resident/shop/search/", {"price": "0"})  # under ¥20
    assert titles(cheap) == ["红富士苹果"]
    partial = client.get("/resident/shop/search/", {"q": "苹"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"data-shop-results" in partial.content
    assert titles(partial) == ["红富士苹果"]


def test_bad_values_are_field_errors_and_the_search_still_answers(indexed: Any, world: Club, as_user: Any) -> None:
    response = as_user(world.resident).get("/resident/shop/search/", {"price": "99", "sort": "nonsense"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and "price" in page and "sort" in page
    assert titles(response) == ["红富士苹果", "上门家政保洁套装"]


def test_a_listing_hidden_after_indexing_never_shows(indexed: Any, world: Club, as_user: Any) -> None:
    ListingHide.objects.create(listing_id=indexed["apple"].pk, reason="图片不符")  # no reindex yet
    assert titles(as_user(world.resident).get("/resident/shop/search/", {"q": "苹果"})) == []
