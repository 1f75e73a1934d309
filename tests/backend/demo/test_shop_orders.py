"""The demo shop (backend/demo/shop_orders.py): a few hundred orders over the last three months across the
approved merchants in every state, reviews with ratings, refunds per line, a complaint, one settled (paid) and
one open statement per merchant; money consistent: the payables ledger matches the orders (the reconciler finds
nothing to catch up), every shop charge is settled, corrected or owed as its order says, and no shopper is left
with credit it did not get back from a refund. Seeding again adds nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from backend.billing.selectors import payments_with_credit
from marketplace.models import Listing, Merchant
from marketplace.orders.models import Complaint, Order, OrderLine, RefundRequest, Review
from marketplace.orders_index.models import MerchantOrder
from marketplace.settlement.ledger import merchant_totals
from marketplace.settlement.models import EntryKind, PayableEntry, Statement
from marketplace.settlement.reconcile import payables_reconcile
from tests.backend.demo.conftest import DemoWorld


def test_the_demo_shop_has_three_months_of_orders_reviews_a_complaint_and_statements(
    demo_world: DemoWorld, db: Any
) -> None:
    tenant = demo_world.shifan  # company_seed(SHIFAN, billing=False) and marketplace_seed(), in conftest.py
    lines = demo_world.shifan_lines
    assert any(line.startswith("demo: 示范物业 shop orders — ") for line in lines), lines
    now = timezone.now()
    with schema_context(tenant.schema_name):
        # the shop's history (the group-buy demo's joins of today, held from the merchant, are its own)
        shop = Order.objects.filter(deal_join__isnull=True)
        orders = list(shop)
        assert 250 <= len(orders) <= 340
        states = Counter(o.status for o in orders)
        assert {"paid", "accepted", "delivered", "completed", "reviewed", "rejected", "cancelled", "expired"} <= set(
            states
        ), states
        assert states["completed"] + states["reviewed"] > len(orders) // 2
        assert min(o.created_at for o in orders) < now - dt.timedelta(days=60)  # over three months
        assert len({o.merchant_id for o in orders}) >= 5  # across the merchants
        # reviews with ratings, refunds per line, the complaint
        assert Review.objects.count() == states["reviewed"] > 50
        assert set(Review.objects.values_list("stars", flat=True)) >= {1, 3, 5}
        assert RefundRequest.objects.filter(status="approved", approved_fen__gt=0).exists()
        assert Complaint.objects.filter(status="in_review").count() == 1
        # settlement: the month before last paid, last month open
        paid = Statement.objects.filter(status="paid")
        assert paid.exists() and Statement.objects.filter(status="issued").exists()
        assert {s.month for s in paid} < {s.month for s in Statement.objects.all()}
        # money: the payables ledger matches the orders, nothing to catch up
        assert payables_reconcile() == 0
        paid_orders = shop.filter(paid_at__isnull=False)
        sales = PayableEntry.objects.filter(kind=EntryKind.SALE).aggregate(s=Sum("amount_fen"))["s"]
        assert sales == paid_orders.aggregate(s=Sum("total_fen"))["s"]
        refunds = PayableEntry.objects.filter(kind=EntryKind.REFUND).aggregate(s=Sum("amount_fen"))["s"]
        paid_lines = OrderLine.objects.filter(order__in=paid_orders)
        assert refunds == paid_lines.aggregate(s=Sum("refunded_fen"))["s"] > 0
        assert not shop.filter(paid_at__isnull=True, status__in=["paid", "completed", "reviewed"]).exists()
        for merchant_id in {o.merchant_id for o in orders}:
            totals = merchant_totals(merchant_id)
            assert totals["paid_out_fen"] == sum(s.due_fen for s in paid.filter(merchant_id=merchant_id))
        # each order's charges: settled (paid), corrected (rejected, cancelled, expired: nothing owed)
        for order in orders:
            owed = sum(li.charge.outstanding for li in order.lines.select_related("charge") if li.charge)
            assert owed == 0, (order.code, order.status, owed)
        # no shopper holds credit but what refunds gave back
        credit = sum(c for o in {o.unit_id for o in orders} for _p, c in payments_with_credit(o))
        assert credit == sum(o.refunded_fen for o in orders)
        # the merchants' boards list the paid orders
        indexed = MerchantOrder.objects.filter(tenant=tenant, order_id__in=paid_orders.values("pk"))
        assert indexed.count() == paid_orders.count()
    assert Listing.objects.filter(rating_count__gt=0).exists()
    assert Merchant.objects.filter(rating__isnull=False).exists()
    assert demo_world.unchanged(Order, schema=tenant.schema_name)  # seeded again (in conftest.py): nothing more
