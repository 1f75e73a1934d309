"""The demo has a live group-buy in 示范物业 (backend/demo/marketplace.py), made once."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from marketplace.groupbuy.models import Deal
from marketplace.models import Listing
from tests.backend.demo.conftest import DemoWorld


def test_the_demo_has_one_live_group_buy(demo_world: DemoWorld, db: None) -> None:
    shifan = demo_world.shifan  # company_seed(SHIFAN, billing=False) and marketplace_seed(), in conftest.py
    assert demo_world.groupbuy_joined_again == 0  # demo_groupbuy_seed() a second time: once
    assert demo_world.unchanged(Deal, schema=shifan.schema_name)
    with schema_context(shifan.schema_name):
        (deal,) = Deal.objects.all()
        assert deal.state == "open" and deal.deadline > timezone.now()
        assert (deal.min_participants, deal.max_participants) == (5, 30)
    listing = Listing.objects.get(pk=deal.listing_id)
    assert listing.merchant.name == "鲜果坊" and deal.group_price_fen < listing.price_fen
