"""Listings into search documents: who may see each one (marketplace/documents.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from marketplace.company.models import CategorySetting, ListingHide
from marketplace.documents import listing_docs
from marketplace.models import ApplicationStatus, ListingKind, ListingVariant, MerchantStatus
from marketplace.search.documents import visibility_token
from tests.marketplace.factories import make_application, make_listing, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def fruit_shop(tenant_a, tenant_b):
    """A fruit shop approved by A for estates 11 and 12 (fresh food) and by B for estate 21 (fruit only)."""
    merchant = make_merchant("鲜果坊")
    make_application(
        merchant,
        tenant_a,
        status=ApplicationStatus.APPROVED,
        estates={11: "阳光花园", 12: "绿苑"},
        categories=["fresh"],
    )
    make_application(
        merchant, tenant_b, status=ApplicationStatus.APPROVED, estates={21: "贝塔花园"}, categories=["fruit"]
    )
    return merchant


def visibility(listing):
    built = listing_docs([listing.pk])
    return set(built.docs[0].visibility) if built.docs else set()


A11, A12, B21 = visibility_token("alpha", 11), visibility_token("alpha", 12), visibility_token("beta", 21)


def test_each_approved_estate_of_each_company_sees_the_listing(fruit_shop):
    apple = make_listing(fruit_shop, category="fruit", title="红富士苹果")
    assert visibility(apple) == {A11, A12, B21}


def test_an_approved_ancestor_category_covers_its_descendants_and_not_the_reverse(fruit_shop):
    cabbage = make_listing(fruit_shop, category="vegetables", title="有机白菜")
    assert visibility(cabbage) == {A11, A12}  # A approved "fresh"; B only "fruit"


@pytest.mark.parametrize("status", [ApplicationStatus.PENDING, ApplicationStatus.REJECTED, ApplicationStatus.SUSPENDED])
def test_only_an_approved_application_gives_visibility(tenant_a, status):
    merchant = make_merchant("待审商家")
    make_application(merchant, tenant_a, status=status, estates={11: "阳光花园"}, categories=["fresh"])
    listing = make_listing(merchant)
    built = listing_docs([listing.pk])
    assert built.docs == [] and built.gone == [listing.pk]


def test_a_company_switching_a_category_off_hides_it_there_only(fruit_shop):
    apple = make_listing(fruit_shop, category="fruit")
    with schema_context("alpha"):
        CategorySetting.objects.create(category_code="fruit", enabled=False)
    assert visibility(apple) == {B21}
    with schema_context("beta"):
        CategorySetting.objects.create(category_code="fresh", enabled=False)  # an ancestor switched off
    assert listing_docs([apple.pk]).gone == [apple.pk]


def test_a_category_switched_on_explicitly_stays_visible(fruit_shop):
    apple = make_listing(fruit_shop, category="fruit")
    with schema_context("alpha"):
        CategorySetting.objects.create(category_code="fruit", enabled=True, commission_bp=800)
    assert visibility(apple) == {A11, A12, B21}


def test_a_listing_hidden_by_a_company_is_hidden_there_only(fruit_shop):
    apple = make_listing(fruit_shop, category="fruit")
    pear = make_listing(fruit_shop, category="fruit", title="雪梨")
    with schema_context("beta"):
        ListingHide.objects.create(listing_id=apple.pk, reason="图片不符")
    assert visibility(apple) == {A11, A12}
    assert visibility(pear) == {A11, A12, B21}


def test_off_sale_listings_and_closed_merchants_get_no_document(fruit_shop):
    off = make_listing(fruit_shop, is_active=False)
    on = make_listing(fruit_shop, title="香蕉")
    built = listing_docs([off.pk, on.pk, 987654])
    assert [d.id for d in built.docs] == [on.pk]
    assert built.gone == [off.pk, 987654]
    fruit_shop.status = MerchantStatus.CLOSED
    fruit_shop.save()
    assert listing_docs([on.pk]).gone == [on.pk]


def test_the_document_carries_what_search_needs(fruit_shop):
    listing = make_listing(
        fruit_shop,
        category="fruit",
        title="红富士苹果",
        description="烟台产 脆甜",
        price_fen=2990,
        sales=7,
        rating="4.50",
        stock=0,
    )
    (d,) = listing_docs([listing.pk]).docs
    assert (d.title, d.merchant_id, d.merchant_name, d.kind) == ("红富士苹果", fruit_shop.pk, "鲜果坊", "good")
    assert d.category_codes == ("fresh", "fruit")
    assert "烟台产" in d.text and "时令水果" in d.text  # the category's name is searchable too
    assert (d.price_fen, d.sales, d.rating, d.in_stock) == (2990, 7, 4.5, False)


def test_stock_comes_from_variants_when_there_are_any(fruit_shop):
    good = make_listing(fruit_shop, stock=0)
    ListingVariant.objects.create(listing=good, name="5斤", price_fen=3000, stock=0)
    assert listing_docs([good.pk]).docs[0].in_stock is False
    ListingVariant.objects.create(listing=good, name="10斤", price_fen=5500, stock=None)  # unlimited
    assert listing_docs([good.pk]).docs[0].in_stock is True
    service = make_listing(fruit_shop, kind=ListingKind.SERVICE, category="fruit", title="果篮定制")
    assert listing_docs([service.pk]).docs[0].in_stock is True


def test_a_company_is_entered_once_per_batch_not_once_per_listing(fruit_shop, django_assert_max_num_queries):
    listings = [make_listing(fruit_shop, title=f"苹果{i}") for i in range(30)]
    # listings, applications, categories, and per company: its switches and its hides (plus search_path).
    with django_assert_max_num_queries(12):
        built = listing_docs([x.pk for x in listings])
    assert len(built.docs) == 30
    assert connection.schema_name == "public"
