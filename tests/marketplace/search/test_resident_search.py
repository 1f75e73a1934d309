"""From the catalogue to a resident's search, on each backend: search_for_resident derives the visibility,
the indexing follows vetting decisions, search_reindex rebuilds, the hooks wait for the commit."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from marketplace.models import ApplicationStatus, ListingKind
from marketplace.search import hooks
from marketplace.search.indexing import listing_ids_for, listings_reindex, search_rebuild
from marketplace.search.selectors import search_for_resident
from tests.marketplace.factories import make_application, make_listing, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(tenant_a, tenant_b):
    """A housekeeping service approved by A (estate 11) and B (estate 21); a fruit shop approved by A only."""
    helper = make_merchant("好帮手家政")
    make_application(helper, tenant_a, status="approved", estates={11: "阳光花园"}, categories=["home_services"])
    make_application(helper, tenant_b, status="approved", estates={21: "贝塔花园"}, categories=["housekeeping"])
    fruit = make_merchant("鲜果坊")
    make_application(fruit, tenant_a, status="approved", estates={11: "阳光花园", 12: "绿苑"}, categories=["fresh"])
    return {
        "helper": helper,
        "fruit": fruit,
        "cleaning": make_listing(helper, kind=ListingKind.SERVICE, category="housekeeping", title="上门家政保洁"),
        "apple": make_listing(fruit, category="fruit", title="红富士苹果", price_fen=2990),
    }


def found(tenant, estates, **params):
    return {h.id for h in search_for_resident(tenant, estates, **params).hits}


def test_a_resident_finds_listings_by_a_chinese_word_and_a_prefix(backend, catalogue, tenant_a):
    search_rebuild()
    assert found(tenant_a, [11], text="家政") == {catalogue["cleaning"].pk}
    assert found(tenant_a, [11], text="上门家") == {catalogue["cleaning"].pk}
    assert found(tenant_a, [11], text="苹") == {catalogue["apple"].pk}
    assert found(tenant_a, [11], text="水果") == {catalogue["apple"].pk}  # the category's name (时令水果)


def test_residents_see_only_what_their_company_and_estate_approved(backend, catalogue, tenant_a, tenant_b):
    search_rebuild()
    assert found(tenant_a, [11]) == {catalogue["cleaning"].pk, catalogue["apple"].pk}
    assert found(tenant_a, [12]) == {catalogue["apple"].pk}
    assert found(tenant_b, [21]) == {catalogue["cleaning"].pk}
    assert found(tenant_b, [21], text="苹果") == set()
    assert found(tenant_b, [11]) == set()  # estate 11 of company A is not company B's estate 11
    assert found(tenant_a, []) == set()  # no estates: nothing


def test_visibility_cannot_be_passed_by_the_caller(backend, catalogue, tenant_b):
    with pytest.raises(TypeError):
        search_for_resident(tenant_b, [21], visibility=("alpha:11",))


def test_a_suspended_merchant_vanishes_from_that_company_only(backend, catalogue, tenant_a, tenant_b):
    search_rebuild()
    application = catalogue["helper"].applications.get(tenant=tenant_a)
    application.status = ApplicationStatus.SUSPENDED
    application.save()
    listings_reindex(listing_ids_for(merchant_id=catalogue["helper"].pk))
    assert found(tenant_a, [11], text="家政") == set()
    assert found(tenant_b, [21], text="家政") == {catalogue["cleaning"].pk}


def test_search_reindex_rebuilds_everything_with_progress(backend, catalogue, tenant_a):
    out = io.StringIO()
    call_command("search_reindex", stdout=out)
    text = out.getvalue()
    assert f"search_reindex on {backend.name}: all listings" in text
    assert "2/2 listings (2 indexed, 0 without a document)" in text
    assert found(tenant_a, [11], text="家政") == {catalogue["cleaning"].pk}

    catalogue["apple"].is_active = False
    catalogue["apple"].save()
    out = io.StringIO()
    call_command("search_reindex", "--merchant", str(catalogue["fruit"].pk), stdout=out)
    assert "1/1 listings (0 indexed, 1 without a document)" in out.getvalue()
    assert found(tenant_a, [11], text="苹果") == set()

    out = io.StringIO()
    call_command("search_reindex", "--company", "beta", stdout=out)
    assert "company beta" in out.getvalue() and "1/1 listings" in out.getvalue()


def test_hooks_enqueue_only_once_the_transaction_commits(catalogue, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hooks.listings_changed([catalogue["apple"].pk, catalogue["apple"].pk])
        hooks.merchant_changed(catalogue["fruit"].pk)
        hooks.visibility_changed(schema_name="alpha", merchant_id=catalogue["fruit"].pk)
        hooks.visibility_changed(schema_name="alpha")
        hooks.listings_changed([])  # nothing to do: nothing scheduled
    assert len(callbacks) == 4
