"""The rule is written twice, once per direction: marketplace.visibility (a company's estates → listings, for
the shop's pages) and marketplace.documents (listings → the estates that may see them, for the search index).
On a mixed world of statuses, estates, category grants, switches and hides, both say the same."""

from __future__ import annotations

import random
from typing import Any

from django.db import connection

from marketplace.company.models import CategorySetting, ListingHide
from marketplace.documents import listing_docs
from marketplace.models import Listing
from marketplace.search.documents import visibility_token
from marketplace.visibility import visible_listings
from tests.marketplace.factories import make_application, make_listing, make_merchant

ESTATES = (1, 2, 3)
CATEGORIES = ("fruit", "vegetables", "bakery", "housekeeping", "tutoring")
GRANTS = (["fruit"], ["fresh"], ["fresh", "home_services"], ["tutoring"], ["education", "vegetables"])
STATUSES = ("approved", "approved", "approved", "pending", "rejected", "suspended")


def test_the_shops_rule_and_the_search_documents_agree(tenant_a: Any, tenant_b: Any) -> None:
    rng = random.Random(14)
    for m in range(8):
        merchant = make_merchant(f"商家{m}", status="closed" if m == 7 else "active")
        for tenant in (tenant_a, tenant_b):
            if rng.random() < 0.8:
                estates = {e: f"小区{e}" for e in rng.sample(ESTATES, rng.randint(1, 3))}
                make_application(
                    merchant, tenant, status=rng.choice(STATUSES), estates=estates, categories=rng.choice(GRANTS)
                )
        for n in range(5):
            category = rng.choice(CATEGORIES)
            kind = "service" if category in ("housekeeping", "tutoring") else "good"
            make_listing(merchant, category=category, kind=kind, title=f"商品{m}-{n}", is_active=rng.random() < 0.9)
    ids = list(Listing.objects.values_list("pk", flat=True))
    for tenant in (tenant_a, tenant_b):
        connection.set_tenant(tenant)
        CategorySetting.objects.create(category_code=rng.choice(["bakery", "education", "fresh"]), enabled=False)
        for listing_id in rng.sample(ids, 6):
            ListingHide.objects.create(listing_id=listing_id, reason="测试")
        connection.set_schema_to_public()

    docs = listing_docs(ids).docs
    seen_any = False
    for tenant in (tenant_a, tenant_b):
        for estate in ESTATES:
            token = visibility_token(tenant.schema_name, estate)
            by_documents = {d.id for d in docs if token in d.visibility}
            connection.set_tenant(tenant)
            by_rule = set(visible_listings(tenant_id=tenant.pk, estate_ids=[estate]).values_list("pk", flat=True))
            connection.set_schema_to_public()
            assert by_rule == by_documents, (tenant.slug, estate)
            seen_any = seen_any or bool(by_rule)
    assert seen_any  # the world is not empty
