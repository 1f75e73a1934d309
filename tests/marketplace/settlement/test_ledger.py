"""The payables ledger: a paid line posts its sale and the company's commission once, in the payment's
transaction; a refund posts the refund and gives back the commission on it; nothing else moves money; the
table refuses UPDATE and DELETE."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from marketplace.orders import flow
from marketplace.orders.models import Order
from marketplace.settlement.ledger import merchant_totals, payables_record_order, reversal_due
from marketplace.settlement.models import PayableEntry

from .conftest import Shop, buy

pytestmark = pytest.mark.django_db


def kinds(order: Order) -> list[tuple[str, int]]:
    return list(PayableEntry.objects.filter(order_id=order.pk).order_by("id").values_list("kind", "amount_fen"))


def test_a_paid_order_posts_its_sale_and_the_commission_at_the_category_rate_once(funded: Shop) -> None:
    order = buy(funded, 2)  # 2 × ¥12.80 of fruit at 8%: ¥2.048 → ¥2.05 (half-up)
    assert order.status == "paid"
    assert kinds(order) == [("sale", 2560), ("commission", 205)]
    line = order.lines.get()
    assert (line.commission_bp, line.commission_fen) == (800, 205)
    assert payables_record_order(Order.objects.get(pk=order.pk)) == 0  # a repeat posts nothing
    assert merchant_totals(funded.fruit.pk)["balance_fen"] == 2560 - 205


def test_an_unpaid_order_posts_nothing_even_when_it_expires(shop: Shop) -> None:
    order = buy(shop, 1)
    assert order.status == "pending_payment"
    assert kinds(order) == []
    import datetime as dt

    from django.utils import timezone

    flow.orders_expire(now=timezone.now() + dt.timedelta(hours=2))
    assert Order.objects.get(pk=order.pk).status == "expired"
    assert kinds(order) == []


def test_a_rejected_order_posts_its_refund_and_gives_the_commission_back_in_the_same_transaction(
    funded: Shop,
) -> None:
    order = buy(funded, 3)  # ¥38.40, commission 307.2 → 307
    flow.order_reject(order_id=order.pk, merchant_id=funded.fruit.pk, reason="缺货", by=None)
    assert kinds(order) == [("sale", 3840), ("commission", 307), ("refund", 3840), ("commission_reversal", 307)]
    totals = merchant_totals(funded.fruit.pk)
    assert totals["net_fen"] == 0 and totals["balance_fen"] == 0


def test_a_refund_that_fails_rolls_its_entries_back_with_it(funded: Shop) -> None:
    order = buy(funded, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        flow.order_cancel(order_id=order.pk, user=funded.resident)
        assert len(kinds(order)) == 4
        raise RuntimeError("the refund's transaction fails later")
    assert kinds(order) == [("sale", 1280), ("commission", 102)]


def test_partial_refunds_give_back_commission_by_the_running_total_never_more_than_taken(funded: Shop) -> None:
    order = buy(funded, 3)
    line = order.lines.get()
    given = []
    for refunded in (1, 1000, 1001, 3839, 3840):
        line.refunded_fen = refunded
        line.save(update_fields=["refunded_fen"])
        payables_record_order(Order.objects.get(pk=order.pk))
        given.append(reversal_due(commission_fen=307, refunded_fen=refunded, amount_fen=3840))
    reversals = PayableEntry.objects.filter(order_id=order.pk, kind="commission_reversal")
    assert sum(reversals.values_list("amount_fen", flat=True)) == 307 == given[-1]
    assert given == sorted(given) and given[0] == 0  # 307 × 1 / 3840 rounds to 0: nothing given back yet


def test_the_ledger_refuses_to_change_or_delete_an_entry(funded: Shop) -> None:
    order = buy(funded, 1)
    entry = PayableEntry.objects.filter(order_id=order.pk).first()
    assert entry is not None
    entry.amount_fen = 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        PayableEntry.objects.filter(pk=entry.pk).delete()
    assert PayableEntry.objects.get(pk=entry.pk).amount_fen == 1280
