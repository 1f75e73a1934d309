"""The one visibility rule of the shop's database side: approved merchant × approved estate × approved
category (or its parent) × the company's category switches × its hidden listings; on sale; merchant active."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from marketplace.company.models import CategorySetting, ListingHide
from marketplace.models import MerchantStatus
from marketplace.visibility import visible_listings
from tests.marketplace.factories import make_application, make_listing, make_merchant

SUN, LAKE = 11, 12  # two estate ids of the company


def visible(tenant: Any, estates: list[int]) -> set[str]:
    connection.set_tenant(tenant)
    try:
        return set(visible_listings(tenant_id=tenant.pk, estate_ids=estates).values_list("title", flat=True))
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def shop(tenant_a: Any, tenant_b: Any) -> dict[str, Any]:
    fruit = make_merchant("鲜果坊")
    make_application(fruit, tenant_a, status="approved", estates={SUN: "阳光花园"}, categories=["fruit"])
    return {
        "fruit": fruit,
        "apple": make_listing(fruit, title="苹果"),
        "cabbage": make_listing(fruit, category="vegetables", title="白菜"),  # not a category it was approved for
    }


def test_an_approved_merchant_is_seen_in_its_estates_and_categories_only(shop: Any, tenant_a: Any) -> None:
    assert visible(tenant_a, [SUN]) == {"苹果"}
    assert visible(tenant_a, [LAKE]) == set()
    assert visible(tenant_a, [SUN, LAKE]) == {"苹果"}
    assert visible(tenant_a, []) == set()


def test_another_company_sees_nothing_of_a_merchant_it_did_not_approve(shop: Any, tenant_b: Any) -> None:
    assert visible(tenant_b, [SUN]) == set()  # the same estate id means another estate there


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_only_an_approved_application_shows_listings(tenant_a: Any, status: str) -> None:
    merchant = make_merchant("好帮手家政")
    make_application(merchant, tenant_a, status=status, estates={SUN: "阳光花园"}, categories=["housekeeping"])
    make_listing(merchant, kind="service", category="housekeeping", title="上门家政保洁")
    assert visible(tenant_a, [SUN]) == set()


def test_a_parent_category_covers_its_children(tenant_a: Any) -> None:
    merchant = make_merchant("绿野")
    make_application(merchant, tenant_a, status="approved", estates={SUN: "阳光花园"}, categories=["fresh"])
    make_listing(merchant, category="vegetables", title="有机菠菜")
    make_listing(merchant, category="fruit", title="脐橙")
    make_listing(merchant, category="pets", title="猫粮")  # household, not fresh
    assert visible(tenant_a, [SUN]) == {"有机菠菜", "脐橙"}


def test_the_companys_switches_and_hides_apply_to_it_alone(shop: Any, tenant_a: Any, tenant_b: Any) -> None:
    make_application(shop["fruit"], tenant_b, status="approved", estates={SUN: "桂花园"}, categories=["fruit"])
    pear = make_listing(shop["fruit"], title="梨")
    connection.set_tenant(tenant_a)
    ListingHide.objects.create(listing_id=pear.pk, reason="图片不符")
    connection.set_schema_to_public()
    assert visible(tenant_a, [SUN]) == {"苹果"}
    assert visible(tenant_b, [SUN]) == {"苹果", "梨"}

    connection.set_tenant(tenant_a)
    CategorySetting.objects.create(category_code="fresh", enabled=False)  # the parent: fruit goes with it
    connection.set_schema_to_public()
    assert visible(tenant_a, [SUN]) == set()
    assert visible(tenant_b, [SUN]) == {"苹果", "梨"}


def test_off_sale_listings_and_closed_merchants_are_never_seen(shop: Any, tenant_a: Any) -> None:
    shop["apple"].is_active = False
    shop["apple"].save()
    make_listing(shop["fruit"], title="香蕉")
    assert visible(tenant_a, [SUN]) == {"香蕉"}
    shop["fruit"].status = MerchantStatus.CLOSED
    shop["fruit"].save()
    assert visible(tenant_a, [SUN]) == set()
