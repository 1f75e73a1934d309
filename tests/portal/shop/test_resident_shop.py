"""The resident's community shop pages: what the resident's estate may see (approved merchant, estate and
category), and a 404 for everything else, including photos, other estates' merchants and other companies."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from backend.demo.marketplace import picture
from backend.uploads.kinds import PRODUCT_PHOTO
from backend.uploads.validation import upload_accept
from marketplace.models import Listing, ListingPhoto, Special
from tenants.db import connection
from tests.backend.club.conftest import Club
from tests.backend.club.conftest import world as world  # noqa: PLC0414
from tests.marketplace.factories import make_application, make_listing, make_merchant


def photo_of(listing: Listing) -> ListingPhoto:
    photo = ListingPhoto(listing=listing)
    accepted = upload_accept(kind=PRODUCT_PHOTO, upload=io.BytesIO(picture(hue=0.1, seed=listing.pk, size=64)))
    photo.image.save("p.png", accepted.content_file(), save=True)
    return photo


@pytest.fixture
def shop(world: Club, tenant_a: Any) -> dict[str, Any]:
    connection.set_schema_to_public()
    fruit = make_merchant("鲜果坊")
    make_application(fruit, tenant_a, status="approved", estates={world.estate.pk: "阳光花园"}, categories=["fruit"])
    apple = make_listing(fruit, title="红富士苹果", price_fen=1280, unit="斤", stock=5)
    Special.objects.create(merchant=fruit, listing=apple, month=timezone.localdate().replace(day=1), price_fen=990)
    tutor = make_merchant("启明家教")  # approved for the other estate only
    make_application(
        tutor, tenant_a, status="approved", estates={world.other_estate.pk: "江景苑"}, categories=["tutoring"]
    )
    maths = make_listing(tutor, kind="service", category="tutoring", title="初中数学辅导", price_fen=18000)
    waiting = make_merchant("安家搬家")
    make_application(waiting, tenant_a, estates={world.estate.pk: "阳光花园"}, categories=["moving"])
    moving = make_listing(waiting, kind="service", category="moving", title="小面包车搬家")
    items = {
        "fruit": fruit,
        "apple": apple,
        "apple_photo": photo_of(apple),
        "tutor": tutor,
        "maths": maths,
        "maths_photo": photo_of(maths),
        "moving": moving,
    }
    connection.set_tenant(tenant_a)
    return items


@pytest.fixture
def as_user(tenant_a: Any, client_for: Callable[..., Client]) -> Callable[[Any], Client]:
    def make(user: Any) -> Client:
        client = client_for(tenant_a, user)
        connection.set_tenant(tenant_a)
        return client

    return make


def test_the_shop_home_shows_what_the_residents_estate_may_buy(shop: Any, world: Club, as_user: Any) -> None:
    response = as_user(world.resident).get("/resident/shop/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-page="resident-shop"' in page
    assert "红富士苹果" in page and "¥9.90" in page and "¥12.80" in page  # the special beside the price
    assert 'data-category="fresh"' in page
    assert "初中数学辅导" not in page and "小面包车搬家" not in page

    other = as_user(world.other_resident).get("/resident/shop/").content.decode()
    assert "初中数学辅导" in other and "红富士苹果" not in other


def test_a_listing_page_counts_a_view_and_hides_what_is_not_for_the_estate(
    shop: Any, world: Club, as_user: Any
) -> None:
    client = as_user(world.resident)
    response = client.get(f"/resident/shop/listings/{shop['apple'].pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "鲜果坊" in page and "data-stock" in page
    shop["apple"].refresh_from_db()
    assert shop["apple"].views == 1
    for hidden in (shop["maths"], shop["moving"]):
        assert client.get(f"/resident/shop/listings/{hidden.pk}/").status_code == 404
    assert client.get(f"/resident/shop/merchants/{shop['fruit'].pk}/").status_code == 200
    assert client.get(f"/resident/shop/merchants/{shop['tutor'].pk}/").status_code == 404
    assert client.get("/resident/shop/category/fresh/").status_code == 200
    assert client.get("/resident/shop/category/no-such/").status_code == 404


def test_photos_are_served_safely_and_only_where_the_listing_is_visible(shop: Any, world: Club, as_user: Any) -> None:
    client = as_user(world.resident)
    response = client.get(f"/shop/photos/{shop['apple_photo'].pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/shop/photos/{shop['maths_photo'].pk}/").status_code == 404
    assert as_user(world.other_resident).get(f"/shop/photos/{shop['apple_photo'].pk}/").status_code == 404


def test_staff_and_other_companies_residents_do_not_shop_here(
    shop: Any, world: Club, as_user: Any, member: Any, tenant_b: Any, client_for: Any
) -> None:
    staff = as_user(member(connection.tenant, ["customer_service"]))
    assert staff.get("/resident/shop/").status_code == 403

    stranger = client_for(tenant_b, member(tenant_b, ["resident"]))
    page = stranger.get("/resident/shop/").content.decode()
    assert "红富士苹果" not in page
    assert stranger.get(f"/resident/shop/listings/{shop['apple'].pk}/").status_code == 404
    assert stranger.get(f"/shop/photos/{shop['apple_photo'].pk}/").status_code == 404


def test_a_resident_without_a_home_is_asked_to_link_one(shop: Any, as_user: Any, member: Any) -> None:
    homeless = as_user(member(connection.tenant, ["resident"]))
    response = homeless.get("/resident/shop/")
    assert response.status_code == 200
    assert "/resident/bind/" in response.content.decode()
