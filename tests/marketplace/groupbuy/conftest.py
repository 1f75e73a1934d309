"""Group-buy tests reuse the shop of tests/marketplace/orders/conftest.py (company alpha, 阳光花园 with two
residents, 江景苑 with another; 鲜果坊 sells apples ¥12.80, 5 in stock) and add a deal on the apples."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from marketplace.groupbuy.models import Deal
from marketplace.groupbuy.services import deal_create
from tests.marketplace.orders.conftest import Shop, shop  # noqa: F401 - the fixture, shared

__all__ = ["Shop", "make_deal"]


def make_deal(on: Shop, **fields: Any) -> Deal:
    """A deal on the apples at ¥9.90 for 2…3 residents, closing in an hour (through the service)."""
    now = fields.pop("now", None) or timezone.now()
    values = {
        "merchant_id": on.fruit.pk,
        "listing_id": on.apple.pk,
        "group_price_fen": 990,
        "min_participants": 2,
        "max_participants": 3,
        "deadline": now + dt.timedelta(hours=1),
        **fields,
    }
    return deal_create(now=now, **values)


@pytest.fixture
def deal(shop: Shop) -> Deal:  # noqa: F811
    return make_deal(shop)
