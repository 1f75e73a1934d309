"""Category switches, commission rates and listing moderation (marketplace/moderation.py): bounds, audit in the
deciding company only, the merchant told, the search hook called; another company's rows untouched."""

from __future__ import annotations

from typing import Any

import pytest

from backend.audit.models import AuditEntry
from backend.errors import ApplicationError
from marketplace import moderation
from marketplace.company.models import CategorySetting, ListingHide
from marketplace.company.selectors import category_settings, moderation_listings
from marketplace.models import MerchantNotice
from tenants.db import connection
from tests.marketplace.factories import make_application, make_listing, make_merchant

pytestmark = pytest.mark.django_db

# Setting up the world audits too (offices, estates): only the marketplace's entries matter here.
MARKETPLACE_AUDIT = AuditEntry.objects.filter(action__startswith="marketplace.")


@pytest.mark.parametrize(
    ("text", "bp"), [("5", 500), ("5.5", 550), ("12.25", 1225), ("0", 0), ("100", 10000), ("7.10%", 710)]
)
def test_percent_with_two_decimals_is_basis_points(text: str, bp: int) -> None:
    assert moderation.percent_to_bp(text) == bp
    assert moderation.bp_to_percent(bp) == f"{bp / 100:.2f}"


@pytest.mark.parametrize("text", ["-1", "100.01", "5.555", "abc", "", "NaN", "Infinity"])
def test_a_percent_out_of_bounds_or_too_precise_is_a_field_error(text: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        moderation.percent_to_bp(text)
    assert "commission_percent" in excinfo.value.fields


def test_switching_a_category_is_audited_and_recomputes_visibility(world: Any, hook_calls: Any) -> None:
    connection.set_tenant(world.alpha)
    rows = {r.category.code: r for r in category_settings()}
    assert rows["fruit"].enabled and rows["fruit"].commission_bp == 500 and rows["fruit"].depth == 1
    moderation.category_setting_update(category_code="fruit", by=None, enabled=False)
    moderation.category_setting_update(category_code="fruit", by=None, commission_bp=1250)
    setting = CategorySetting.objects.get(category_code="fruit")
    assert (setting.enabled, setting.commission_bp) == (False, 1250)
    entries = list(MARKETPLACE_AUDIT.order_by("id").values_list("changes", flat=True))
    assert entries == [
        {"category": "fruit", "enabled": [True, False]},
        {"category": "fruit", "commission_bp": [500, 1250]},
    ]
    # Only the switch changes what residents see; a rate does not.
    assert hook_calls == [{"schema_name": "alpha", "merchant_id": None}]
    # Beta has no setting of its own: fruit is on there at the default rate.
    connection.set_tenant(world.beta)
    assert not CategorySetting.objects.exists()
    assert {r.category.code: r for r in category_settings()}["fruit"].enabled


@pytest.mark.parametrize("bp", [-1, 10001, True])
def test_a_commission_beyond_all_is_refused(world: Any, bp: Any) -> None:
    connection.set_tenant(world.alpha)
    with pytest.raises(ApplicationError) as excinfo:
        moderation.category_setting_update(category_code="fruit", by=None, commission_bp=bp)
    assert "commission_bp" in excinfo.value.fields
    assert not CategorySetting.objects.exists()


def test_an_unknown_category_is_not_found(world: Any) -> None:
    connection.set_tenant(world.alpha)
    with pytest.raises(ApplicationError) as excinfo:
        moderation.category_setting_update(category_code="weapons", by=None, enabled=False)
    assert excinfo.value.status == 404


def test_hiding_a_listing_tells_the_merchant_and_hides_it_here_only(world: Any, hook_calls: Any) -> None:
    connection.set_tenant(world.alpha)
    from marketplace.models import MerchantApplication

    MerchantApplication.objects.filter(pk__in=[world.app_a.pk, world.app_b.pk]).update(status="approved")
    apples = make_listing(world.merchant, title="红富士苹果")
    hide = moderation.listing_hide(listing_id=apples.pk, by=None, reason="图片与实物不符")
    assert ListingHide.objects.get().listing_id == apples.pk
    [listing] = moderation_listings()
    assert listing.is_hidden
    notice = MerchantNotice.objects.get()
    assert notice.kind == "listing.hidden" and "红富士苹果" in notice.title and "图片与实物不符" in notice.body
    assert MARKETPLACE_AUDIT.get().action == "marketplace.listing_hide"
    assert hook_calls == [{"schema_name": "alpha", "merchant_id": world.merchant.pk}]
    with pytest.raises(ApplicationError) as excinfo:
        moderation.listing_hide(listing_id=apples.pk, by=None, reason="again")
    assert excinfo.value.status == 409
    # In beta the listing is not hidden.
    connection.set_tenant(world.beta)
    [listing] = moderation_listings()
    assert not listing.is_hidden and not ListingHide.objects.exists()
    connection.set_tenant(world.alpha)
    moderation.listing_unhide(hide=hide, by=None, reason="已更换图片")
    assert not ListingHide.objects.exists()
    assert MerchantNotice.objects.order_by("-id").first().kind == "listing.unhidden"  # type: ignore[union-attr]
    assert len(hook_calls) == 2


def test_a_listing_of_a_merchant_that_never_applied_here_cannot_be_hidden(world: Any, hook_calls: Any) -> None:
    stranger = make_merchant("外卖店")
    make_application(stranger, world.beta, status="approved")
    theirs = make_listing(stranger, title="炒饭")
    connection.set_tenant(world.alpha)
    with pytest.raises(ApplicationError) as excinfo:
        moderation.listing_hide(listing_id=theirs.pk, by=None, reason="x")
    assert "listing" in excinfo.value.fields and excinfo.value.status == 400
    with pytest.raises(ApplicationError) as excinfo:
        moderation.listing_hide(listing_id=theirs.pk + 1000, by=None, reason="x")
    assert "listing" in excinfo.value.fields
    with pytest.raises(ApplicationError) as excinfo:
        moderation.listing_hide(listing_id=theirs.pk, by=None, reason=" ")
    assert "reason" in excinfo.value.fields
    assert not ListingHide.objects.exists() and not MerchantNotice.objects.exists() and hook_calls == []
    assert list(moderation_listings()) == []  # nor is it among the listings alpha moderates
