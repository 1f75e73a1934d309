"""The reservation's conditional UPDATE on committed rows, from threads on their own connections: many
checkouts' reservations for the last items and the last slot places take exactly what is there (the full
checkout under HTTP load is `bench stock-race`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from marketplace.models import Listing, ListingVariant, Merchant, ServiceSlot
from marketplace.orders import cart as carts
from marketplace.orders import flow
from tests.backend.club.test_races import run_together
from tests.marketplace.factories import make_listing, make_merchant

THREADS = 16


def _take(listing: Listing, item: flow.Item) -> Any:
    def job() -> bool:
        with transaction.atomic():
            return flow._reserve(listing, item)

    return job


def test_many_reservations_for_the_last_items_and_places_take_exactly_what_is_left(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        merchant = make_merchant("并发鲜果")
        try:
            apples = make_listing(merchant, title="并发苹果", stock=3)
            grapes = make_listing(merchant, title="并发葡萄")
            green = ListingVariant.objects.create(listing=grapes, name="青提", price_fen=100, stock=2)
            cleaning = make_listing(merchant, kind="service", category="housekeeping", title="并发保洁")
            start = timezone.now() + dt.timedelta(days=1)
            slot = ServiceSlot.objects.create(
                listing=cleaning, starts_at=start, ends_at=start + dt.timedelta(hours=1), capacity=2
            )
            results = run_together(tenant, [_take(apples, carts.Item(apples.pk, 1)) for _ in range(THREADS)])
            assert results.count(True) == 3 and results.count(False) == THREADS - 3, results
            assert Listing.objects.get(pk=apples.pk).stock == 0
            two_each = [_take(grapes, carts.Item(grapes.pk, 2, variant_id=green.pk)) for _ in range(THREADS)]
            assert run_together(tenant, two_each).count(True) == 1
            assert ListingVariant.objects.get(pk=green.pk).stock == 0
            places = [_take(cleaning, carts.Item(cleaning.pk, 1, slot_id=slot.pk)) for _ in range(THREADS)]
            assert run_together(tenant, places).count(True) == 2
            assert ServiceSlot.objects.get(pk=slot.pk).booked == 2
        finally:
            Merchant.objects.filter(pk=merchant.pk).delete()
