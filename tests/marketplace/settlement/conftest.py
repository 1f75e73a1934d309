"""The shop of tests/marketplace/orders (company alpha, merchants 鲜果坊 at 8% and 好帮手家政 at 5%), with money:
the resident's home has prepaid credit, so a checkout is paid at once (billing's payment hook)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.billing import ledger
from marketplace.orders import flow
from marketplace.orders.flow import Item
from marketplace.orders.models import Order
from tests.marketplace.orders.conftest import Shop, shop  # noqa: F401 - the fixture, reused

__all__ = ["Shop", "buy", "funded", "shop"]


def buy(shop: Shop, n: int = 2, *, now: dt.datetime | None = None, listing: Any = None, variant: Any = None) -> Order:
    listing = listing or shop.apple
    (order,) = flow.checkout(
        user=shop.resident,
        unit=shop.home,
        items=[Item(listing.pk, n, variant.pk if variant else None)],
        now=now,
    )
    return order


@pytest.fixture
def funded(shop: Shop) -> Shop:  # noqa: F811
    ledger.payment_record(unit=shop.home, amount=10_000_000, method="cash", to_prepaid=True)
    return shop
