"""The demo has a live group-buy in 示范物业 (backend/demo/marketplace.py), made once."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from backend.demo.companies import SHIFAN, company_seed, marketplace_seed
from backend.demo.marketplace import demo_groupbuy_seed
from marketplace.groupbuy.models import Deal
from marketplace.models import Listing


def test_the_demo_has_one_live_group_buy(db: Any) -> None:
    shifan = company_seed(SHIFAN, billing=False)
    marketplace_seed()
    assert demo_groupbuy_seed() == 0  # once
    with schema_context(shifan.schema_name):
        (deal,) = Deal.objects.all()
        assert deal.state == "open" and deal.deadline > timezone.now()
        assert (deal.min_participants, deal.max_participants) == (5, 30)
    listing = Listing.objects.get(pk=deal.listing_id)
    assert listing.merchant.name == "鲜果坊" and deal.group_price_fen < listing.price_fen
