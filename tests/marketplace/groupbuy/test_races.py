"""Many residents joining one deal at the same moment, on committed rows, from threads on their own
connections: exactly the maximum get a place (and an order), every other one a clear `deal_full`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.errors import ApplicationError
from marketplace.groupbuy import services as gb
from marketplace.groupbuy.models import Deal, DealJoin
from marketplace.models import Listing
from marketplace.orders.models import Order
from tests.backend.club.test_races import run_together

from .committed import committed_world

RESIDENTS = 8
MAXIMUM = 3


def test_concurrent_joins_never_exceed_the_maximum(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_world(RESIDENTS) as w:
        deal = w.deal(minimum=2, maximum=MAXIMUM, closes_in=dt.timedelta(hours=1))

        def joiner(user: Any, unit: Any) -> Any:
            return lambda: gb.deal_join(deal_id=deal.pk, user=user, unit=unit)

        results = run_together(w.tenant, [joiner(user, unit) for user, unit in w.homes])
        won = [r for r in results if isinstance(r, Order)]
        lost = [r for r in results if isinstance(r, ApplicationError)]
        assert len(won) == MAXIMUM and len(lost) == RESIDENTS - MAXIMUM, [repr(r) for r in results]
        assert {e.code for e in lost} == {"deal_full"}
        assert Deal.objects.get(pk=deal.pk).joined == MAXIMUM
        assert DealJoin.objects.filter(deal=deal).count() == MAXIMUM
        assert Order.objects.filter(unit__estate__office=w.office).count() == MAXIMUM  # the losers left nothing
        assert Listing.objects.get(pk=w.listing.pk).stock == 50 - MAXIMUM


def test_one_resident_joining_twice_at_once_gets_one_place(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_world(1) as w:
        deal = w.deal(minimum=1, maximum=5, closes_in=dt.timedelta(hours=1))
        ((user, unit),) = w.homes
        results = run_together(w.tenant, [lambda: gb.deal_join(deal_id=deal.pk, user=user, unit=unit)] * 4)
        assert sum(isinstance(r, Order) for r in results) == 1, [repr(r) for r in results]
        assert {r.code for r in results if isinstance(r, ApplicationError)} == {"already_joined"}
        assert Deal.objects.get(pk=deal.pk).joined == 1


def test_settling_a_failed_deal_from_several_workers_at_once_refunds_each_participant_once(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    from backend.billing import ledger
    from backend.billing.models import LedgerEntry
    from backend.billing.selectors import unit_account

    with django_db_blocker.unblock(), committed_world(2) as w:
        deal = w.deal(minimum=3, maximum=5, closes_in=dt.timedelta(minutes=30))
        for user, unit in w.homes:
            ledger.payment_record(unit=unit, amount=990, method="cash", to_prepaid=True)
            gb.deal_join(deal_id=deal.pk, user=user, unit=unit)
        later = deal.deadline + dt.timedelta(minutes=1)
        results = run_together(w.tenant, [lambda: gb.deal_settle(deal.pk, now=later) for _ in range(4)])
        assert all(r in ("failed", "open") for r in results), [repr(r) for r in results]
        assert gb.deal_settle(deal.pk, now=later) == "failed"
        assert set(DealJoin.objects.filter(deal=deal).values_list("state", flat=True)) == {"refunded"}
        for _user, unit in w.homes:
            assert unit_account(unit.pk).prepaid == 990  # back once
            corrections = LedgerEntry.objects.filter(unit=unit, kind=LedgerEntry.Kind.WAIVER)
            assert corrections.count() == 1
        assert Deal.objects.get(pk=deal.pk).joined == 0
