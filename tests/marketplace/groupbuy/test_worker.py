"""Across the deadline with a real Celery worker: two deals close seconds after residents joined; the
per-company dispatcher (as beat sends it) runs the settlement in the worker. The deal that reached its minimum
hands its paid orders to the merchant; the one that did not refunds its participant in full — and a second
dispatch changes nothing."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from backend.billing import ledger
from backend.billing.selectors import unit_account
from marketplace.groupbuy import services as gb
from marketplace.groupbuy.models import Deal, DealJoin
from marketplace.models import MerchantNotice
from marketplace.orders.models import Order
from marketplace.orders_index.models import MerchantOrder
from marketplace.settlement.models import PayableEntry
from tenants.db import connection

from .committed import committed_world

SETTLE = "marketplace.groupbuy.tasks.groupbuy_deals_settle"


def _wait(condition: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _dispatch(worker: str, tenant: Any) -> None:
    from tenants.tasks import companies_dispatch

    connection.set_schema_to_public()
    companies_dispatch.apply_async(args=[SETTLE], kwargs={"options": {"queue": worker}}, queue=worker).get(timeout=60)
    connection.set_tenant(tenant)


@pytest.mark.worker
def test_deals_settle_across_their_deadline_in_a_real_worker(worker: str, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed_world(3) as w:
        (a, home_a), (b, home_b), (c, home_c) = w.homes
        for unit in (home_a, home_b, home_c):
            ledger.payment_record(unit=unit, amount=990, method="cash", to_prepaid=True)
        reached = w.deal(minimum=2, maximum=3, closes_in=dt.timedelta(hours=1))
        short = w.deal(minimum=2, maximum=3, closes_in=dt.timedelta(hours=1))
        won = [gb.deal_join(deal_id=reached.pk, user=u, unit=h) for u, h in ((a, home_a), (b, home_b))]
        lost = gb.deal_join(deal_id=short.pk, user=c, unit=home_c)
        assert {Order.objects.get(pk=o.pk).status for o in [*won, lost]} == {"paid"}  # prepaid, at once
        _dispatch(worker, w.tenant)  # before the deadline: nothing happens
        assert set(Deal.objects.filter(pk__in=[reached.pk, short.pk]).values_list("state", flat=True)) == {"open"}
        assert not MerchantOrder.objects.filter(merchant_id=w.merchant.pk).exists()
        # Both now close in two seconds (moved directly: the service wants ten minutes' notice).
        deadline = timezone.now() + dt.timedelta(seconds=2)
        Deal.objects.filter(pk__in=[reached.pk, short.pk]).update(deadline=deadline)
        while timezone.now() <= deadline:
            time.sleep(0.2)

        _dispatch(worker, w.tenant)

        def settled() -> bool:
            states = set(DealJoin.objects.filter(deal__in=[reached, short]).values_list("state", flat=True))
            return states == {"handed", "refunded"}

        assert _wait(settled), list(DealJoin.objects.filter(deal__in=[reached, short]).values("state"))
        _dispatch(worker, w.tenant)  # a second run: nothing twice
        from backend.celery import app

        # One more, straight to the company: the solo worker takes its queue in order, so once this answers
        # the second run has finished too; and it finds nothing left to settle.
        assert app.send_task(SETTLE, queue=worker).get(timeout=60) == 0
        assert Deal.objects.get(pk=reached.pk).state == "succeeded"
        assert Deal.objects.get(pk=short.pk).state == "failed"
        index = MerchantOrder.objects.filter(merchant_id=w.merchant.pk)
        assert sorted(index.values_list("order_id", flat=True)) == sorted(o.pk for o in won)
        assert PayableEntry.objects.filter(order_id__in=[o.pk for o in won], kind="sale").count() == 2
        assert not PayableEntry.objects.filter(order_id=lost.pk).exists()
        refunded = Order.objects.get(pk=lost.pk)
        assert (refunded.status, refunded.refunded_fen) == ("cancelled", 990)
        assert unit_account(home_c.pk).prepaid == 990  # back to the home once
        kinds = sorted(MerchantNotice.objects.filter(merchant=w.merchant).values_list("kind", flat=True))
        assert kinds == ["shop.groupbuy_failed", "shop.groupbuy_succeeded", "shop.order_new", "shop.order_new"]
