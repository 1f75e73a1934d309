"""Property-based tests (hypothesis) of the payables ledger: for any sequence of paid orders, partial and full
refunds, monthly statements, confirmations and payouts, no fen is lost or counted twice:

- per line: one sale of its amount and one commission; refunds = the line's refunded_fen ≤ its amount;
  commission given back ≤ the commission, and all of it once the line is refunded in full;
- sales − refunds − commission + reversals = net = paid out + outstanding, where outstanding is what the
  statements say is owed (confirmed or issued, unpaid; a carried amount) plus the entries on no statement yet;
- each entry is on at most one statement, and the statements' totals are the sums of their entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.billing import ledger
from marketplace.orders.models import Order, OrderLine
from marketplace.orders.money import lock_unit_then_order
from marketplace.settlement import payouts, statements
from marketplace.settlement.ledger import merchant_totals, payables_record_order
from marketplace.settlement.models import EntryKind, PayableEntry, Statement, StatementLine, StatementStatus
from tests.marketplace.factories import make_listing

from .conftest import Shop, buy
from .test_statements import in_month

pytestmark = pytest.mark.django_db

step = st.one_of(
    st.tuples(st.just("buy"), st.integers(0, 2), st.integers(1, 4)),
    st.tuples(st.just("refund_part"), st.integers(0, 30), st.integers(1, 100)),
    st.tuples(st.just("refund_all"), st.integers(0, 30)),
    st.tuples(st.just("reject"), st.integers(0, 30)),
    st.tuples(
        st.just("month_end"),
    ),
    st.tuples(st.just("confirm"), st.integers(0, 30)),
    st.tuples(st.just("pay"), st.integers(0, 30)),
)
HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class World:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.month = -12  # the clock: months from now, moving forward at each month end
        self.goods = [
            (shop.grapes, shop.red),  # fruit, 8%
            (make_listing(shop.cleaner, title="清洁剂", category="housekeeping", price_fen=3990), None),  # 5%
            (make_listing(shop.fruit, title="橙子", price_fen=333), None),  # fruit, odd amounts
        ]
        self.merchants = [shop.fruit.pk, shop.cleaner.pk]
        self.reference = 0

    @property
    def now(self) -> dt.datetime:
        return in_month(self.month, 15)

    def orders(self) -> list[Order]:
        return list(Order.objects.filter(paid_at__isnull=False).order_by("pk"))

    def apply(self, s: tuple[Any, ...]) -> None:
        kind = s[0]
        orders = self.orders()
        if kind == "buy":
            listing, variant = self.goods[s[1]]
            buy(self.shop, s[2], now=self.now, listing=listing, variant=variant)
        elif kind in ("refund_part", "refund_all") and orders:
            order = orders[s[1] % len(orders)]
            with transaction.atomic():
                locked = lock_unit_then_order(order.pk)
                for line in OrderLine.objects.filter(order=locked):
                    left = line.amount_fen - line.refunded_fen
                    more = left if kind == "refund_all" else left * s[2] // 100
                    # What a per-line refund records, then the ledger's hook in the same transaction.
                    OrderLine.objects.filter(pk=line.pk).update(refunded_fen=line.refunded_fen + more)
                payables_record_order(locked, now=self.now)
        elif kind == "reject" and orders:
            from marketplace.orders import flow

            order = orders[s[1] % len(orders)]
            if order.status == "paid":
                flow.order_reject(order_id=order.pk, merchant_id=order.merchant_id, reason="缺货", by=None)
        elif kind == "month_end":
            statements.statements_build_month(month=self.now.date(), now=in_month(self.month + 1, 1))
            self.month += 1
        elif kind in ("confirm", "pay"):
            rows = list(Statement.objects.order_by("pk"))
            if not rows:
                return
            statement = rows[s[1] % len(rows)]
            if kind == "confirm" and statement.status == StatementStatus.ISSUED:
                statements.statement_confirm(statement_id=statement.pk, merchant_id=statement.merchant_id, user_id=None)
            elif kind == "pay" and statement.status == StatementStatus.CONFIRMED:
                self.reference += 1
                payouts.payout_record_bank(statement_id=statement.pk, reference=f"B{self.reference}", by=None)


def outstanding_by_statements(merchant_id: int) -> int:
    unpaid = Statement.objects.filter(
        merchant_id=merchant_id, status__in=[StatementStatus.ISSUED, StatementStatus.CONFIRMED]
    )
    owed = sum(unpaid.values_list("due_fen", flat=True))
    last = Statement.objects.filter(merchant_id=merchant_id).order_by("-month").first()
    if last is not None and last.status == StatementStatus.CARRIED:
        owed += last.due_fen
    loose = PayableEntry.objects.filter(merchant_id=merchant_id, statement_line__isnull=True).exclude(
        kind=EntryKind.PAYOUT
    )
    owed += sum(e.signed_fen for e in loose)
    return owed


def check(world: World) -> None:
    for line in OrderLine.objects.filter(order__paid_at__isnull=False):
        sums = {
            k: int(v or 0)
            for k, v in PayableEntry.objects.filter(order_line=line).values_list("kind").annotate(t=Sum("amount_fen"))
        }
        assert sums.get("sale", 0) == line.amount_fen
        assert sums.get("commission", 0) == line.commission_fen
        assert sums.get("refund", 0) == line.refunded_fen <= line.amount_fen
        assert 0 <= sums.get("commission_reversal", 0) <= line.commission_fen
        if line.refunded_fen == line.amount_fen:
            assert sums.get("commission_reversal", 0) == line.commission_fen
    assert not PayableEntry.objects.filter(order_line__isnull=False, order_line__order__paid_at__isnull=True).exists()
    for merchant_id in world.merchants:
        t = merchant_totals(merchant_id)
        assert t["net_fen"] == t["sale_fen"] - t["refund_fen"] - t["commission_fen"] + t["commission_reversal_fen"]
        assert t["net_fen"] == t["paid_out_fen"] + outstanding_by_statements(merchant_id)
        assert t["paid_out_fen"] == sum(
            Statement.objects.filter(merchant_id=merchant_id, status="paid").values_list("due_fen", flat=True)
        )
    for statement in Statement.objects.all():
        entries = PayableEntry.objects.filter(statement_line__statement=statement)
        assert statement.net_fen == sum(e.signed_fen for e in entries)
        assert statement.sales_fen == sum(e.amount_fen for e in entries if e.kind == "sale")
    assert StatementLine.objects.count() == StatementLine.objects.values("entry").distinct().count()


@HYPOTHESIS
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_money_is_never_lost_or_counted_twice(funded: Shop, steps: list[tuple[Any, ...]]) -> None:
    with transaction.atomic():
        world = World(funded)
        for s in steps:
            world.apply(s)
        check(world)
        # and once everything is settled and paid, nothing is owed either way except what was carried
        world.apply(("month_end",))
        check(world)
        transaction.set_rollback(True)


def test_the_property_holds_for_a_known_tricky_sequence(funded: Shop) -> None:
    ledger.payment_record(unit=funded.home, amount=1, method="cash", to_prepaid=True)
    world = World(funded)
    for s in [
        ("buy", 2, 3),  # ¥9.99 of oranges at 8%: commission 79.92 → 80
        ("refund_part", 0, 33),
        ("month_end",),
        ("confirm", 0),
        ("pay", 0),
        ("refund_part", 0, 50),
        ("refund_all", 0),
        ("month_end",),
        ("buy", 0, 1),
        ("month_end",),
    ]:
        world.apply(s)
    check(world)
    fruit = Statement.objects.filter(merchant_id=funded.fruit.pk).order_by("month")
    assert [s.status for s in fruit] == ["paid", "carried", "issued"]
