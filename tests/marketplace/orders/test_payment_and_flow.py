"""Paying orders through the existing payments flow (localstripe: a PaymentIntent on the company's account,
the webhook decides) — paid exactly once, and only then seen by the merchant; the merchant's and resident's
transitions with their rules, refunds through Stripe never above what was paid, auto-complete."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.audit.models import AuditEntry
from backend.billing import ledger
from backend.billing.selectors import unit_account
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.payments.models import Refund
from backend.payments.online import online_payment_confirm, online_payment_start
from marketplace.models import Listing, MerchantNotice
from marketplace.orders import flow
from marketplace.orders.flow import Item
from marketplace.orders.models import Order, OrderLine
from marketplace.orders.money import order_payable
from marketplace.orders_index.models import MerchantOrder
from tests.backend.payments.test_online import saved_card
from tests.backend.payments.test_webhooks import deliver, event_payload, pay_at_stripe

from .conftest import Shop

pytestmark = pytest.mark.django_db


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def buy_apples(shop: Shop, n: int = 2) -> Order:
    (order,) = flow.checkout(user=shop.resident, unit=shop.home, items=[Item(shop.apple.pk, n)])
    return order


def pay_online(shop: Shop, order: Order, localstripe: str) -> Any:
    op, _ = online_payment_start(
        user=shop.resident, unit=shop.home, line_ids=order_payable(order)["line_ids"], idempotency_key=f"o{order.pk}"
    )
    return online_payment_confirm(op, payment_method=saved_card(localstripe, shop.resident))


@pytest.mark.usefixtures("localstripe")
def test_an_order_paid_by_the_webhook_is_paid_once_and_only_then_reaches_its_merchant(
    shop: Shop, localstripe: str
) -> None:
    order = buy_apples(shop)
    pay = order_payable(order)
    assert pay["amount_fen"] == 2560 and pay["pay_url"].startswith(f"/resident/pay/?unit={shop.home.pk}&lines=")
    assert not MerchantNotice.objects.filter(merchant=shop.fruit).exists()
    op, created = online_payment_start(
        user=shop.resident, unit=shop.home, line_ids=pay["line_ids"], idempotency_key="k"
    )
    again, created_again = online_payment_start(
        user=shop.resident, unit=shop.home, line_ids=pay["line_ids"], idempotency_key="k"
    )
    assert created and not created_again and again.pk == op.pk  # Idempotency-Key: one intent
    assert fresh(order).status == "pending_payment"
    paid = pay_at_stripe(localstripe, op, saved_card(localstripe, shop.resident))  # the browser, Stripe.js
    payload = event_payload("payment_intent.succeeded", paid)
    assert deliver(payload).status == "processed"
    assert deliver(event_payload("payment_intent.succeeded", paid)).status == "processed"  # a second event
    order = fresh(order)
    assert order.status == "paid" and order.paid_at is not None and order.payment_id is not None
    index = MerchantOrder.objects.get()
    assert (index.merchant_id, index.tenant_id, index.order_id, index.status, index.total_fen) == (
        shop.fruit.pk,
        shop.tenant.pk,
        order.pk,
        "paid",
        2560,
    )
    assert MerchantNotice.objects.filter(merchant=shop.fruit, kind="shop.order_new").count() == 1
    assert Notification.objects.filter(recipient=shop.resident, kind="shop.order_paid").count() == 1
    assert AuditEntry.objects.filter(action="shop.order_paid").count() == 1
    assert order_payable(order)["line_ids"] == []


def test_prepaid_money_pays_an_order_at_checkout(shop: Shop) -> None:
    ledger.payment_record(unit=shop.home, amount=10000, method="cash", to_prepaid=True)
    order = buy_apples(shop)
    assert order.status == "paid"
    assert MerchantOrder.objects.filter(order_id=order.pk).exists()


@pytest.mark.usefixtures("localstripe")
def test_the_merchant_rejects_with_a_reason_and_the_card_gets_everything_back_once(
    shop: Shop, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    order = buy_apples(shop, 3)
    op = pay_online(shop, order, localstripe)
    assert fresh(order).status == "paid"
    with pytest.raises(ApplicationError) as caught:
        flow.order_reject(order_id=order.pk, merchant_id=shop.fruit.pk, reason=" ", by=None)
    assert "reason" in caught.value.fields
    with pytest.raises(ApplicationError):  # another merchant's order
        flow.order_reject(order_id=order.pk, merchant_id=shop.cleaner.pk, reason="没货", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        flow.order_reject(order_id=order.pk, merchant_id=shop.fruit.pk, reason="今天没货了", by=None)
    order = fresh(order)
    assert (order.status, order.reject_reason, order.refunded_fen, order.refund_state) == (
        "rejected",
        "今天没货了",
        3840,
        "done",
    )
    refund = Refund.objects.get(payment_id=op.payment_id)
    assert (refund.amount, refund.status) == (3840, "succeeded")
    assert OrderLine.objects.get(order=order).refunded_fen == 3840
    assert Listing.objects.get(pk=shop.apple.pk).stock == 5  # released
    assert MerchantOrder.objects.get(order_id=order.pk).status == "rejected"
    account = unit_account(shop.home.pk)
    assert (account.owed, account.prepaid) == (0, 0)
    with pytest.raises(ApplicationError):  # once
        flow.order_reject(order_id=order.pk, merchant_id=shop.fruit.pk, reason="再拒", by=None)
    with pytest.raises(ApplicationError):
        flow.order_cancel(order_id=order.pk, user=shop.resident)
    assert Refund.objects.filter(payment_id=op.payment_id).count() == 1
    assert Listing.objects.get(pk=shop.apple.pk).stock == 5
    assert Notification.objects.filter(recipient=shop.resident, kind="shop.order_rejected").count() == 1


@pytest.mark.usefixtures("localstripe")
def test_the_resident_cancels_a_paid_order_before_acceptance_and_is_refunded_but_not_after(
    shop: Shop, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = buy_apples(shop, 1), buy_apples(shop, 1)
    op1, op2 = pay_online(shop, first, localstripe), pay_online(shop, second, localstripe)
    with django_capture_on_commit_callbacks(execute=True):
        flow.order_cancel(order_id=first.pk, user=shop.resident)
    assert fresh(first).status == "cancelled" and fresh(first).refunded_fen == 1280
    assert Refund.objects.get(payment_id=op1.payment_id).status == "succeeded"
    flow.order_merchant_move(order_id=second.pk, merchant_id=shop.fruit.pk, action="accept", by=None)
    with pytest.raises(ApplicationError) as caught:
        flow.order_cancel(order_id=second.pk, user=shop.resident)
    assert caught.value.code == "invalid_state"
    assert not Refund.objects.filter(payment_id=op2.payment_id).exists()


def test_the_path_accepted_in_delivery_delivered_completed_with_its_rules(shop: Shop) -> None:
    ledger.payment_record(unit=shop.home, amount=100000, method="cash", to_prepaid=True)
    goods = buy_apples(shop)
    (service,) = flow.checkout(
        user=shop.resident, unit=shop.home, items=[Item(shop.cleaning.pk, 1, slot_id=shop.slot.pk)]
    )
    move = flow.order_merchant_move
    with pytest.raises(ApplicationError):  # not accepted yet
        move(order_id=goods.pk, merchant_id=shop.fruit.pk, action="dispatch", by=None)
    move(order_id=goods.pk, merchant_id=shop.fruit.pk, action="accept", by=None)
    with pytest.raises(ApplicationError):  # twice
        move(order_id=goods.pk, merchant_id=shop.fruit.pk, action="accept", by=None)
    assert move(order_id=goods.pk, merchant_id=shop.fruit.pk, action="dispatch", by=None).status == "in_delivery"
    move(order_id=service.pk, merchant_id=shop.cleaner.pk, action="accept", by=None)
    assert move(order_id=service.pk, merchant_id=shop.cleaner.pk, action="dispatch", by=None).status == "in_service"
    with pytest.raises(ApplicationError):  # the resident confirms only once delivered
        flow.order_confirm(order_id=goods.pk, user=shop.resident)
    move(order_id=goods.pk, merchant_id=shop.fruit.pk, action="deliver", by=None)
    with pytest.raises(ApplicationError):  # not the neighbour
        flow.order_confirm(order_id=goods.pk, user=shop.neighbour)
    assert flow.order_confirm(order_id=goods.pk, user=shop.resident).status == "completed"
    assert MerchantOrder.objects.get(order_id=goods.pk).status == "completed"
    assert Listing.objects.get(pk=shop.apple.pk).stock == 3  # sold: stays taken
    # the service is delivered and not confirmed: it completes by itself after N days
    move(order_id=service.pk, merchant_id=shop.cleaner.pk, action="deliver", by=None)
    assert flow.orders_auto_complete(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert flow.orders_auto_complete(now=timezone.now() + dt.timedelta(days=flow.auto_complete_days(), hours=1)) == 1
    assert fresh(service).status == "completed"
    actions = set(AuditEntry.objects.filter(action__startswith="shop.").values_list("action", flat=True))
    assert {"shop.order_accept", "shop.order_dispatch", "shop.order_deliver", "shop.order_complete"} <= actions
    kinds = set(MerchantNotice.objects.filter(merchant=shop.fruit).values_list("kind", flat=True))
    assert kinds == {"shop.order_new", "shop.order_updated"}


def test_an_order_paid_after_it_expired_is_not_oversold(shop: Shop) -> None:
    """Expired first: its stock went back; a late payment of its (corrected) lines only becomes prepaid credit."""
    order = buy_apples(shop, 5)
    flow.orders_expire(now=timezone.now() + dt.timedelta(hours=1))
    other = buy_apples(shop, 5)  # somebody else could buy them again
    assert other.status == "pending_payment"
    assert fresh(order).status == "expired" and Listing.objects.get(pk=shop.apple.pk).stock == 0


@pytest.mark.usefixtures("localstripe")
def test_a_card_refund_not_sent_after_the_decision_is_sent_by_the_sweep(shop: Shop, localstripe: str) -> None:
    from marketplace.orders.money import order_refunds_sweep

    order = buy_apples(shop, 1)
    op = pay_online(shop, order, localstripe)
    flow.order_reject(order_id=order.pk, merchant_id=shop.fruit.pk, reason="缺货", by=None)  # no on-commit run
    assert Refund.objects.get(payment_id=op.payment_id).status == "requested"
    assert fresh(order).refund_state == "gateway"
    assert order_refunds_sweep() == 1
    assert Refund.objects.get(payment_id=op.payment_id).status == "succeeded"
    assert fresh(order).refund_state == "done"
    assert order_refunds_sweep() == 0
