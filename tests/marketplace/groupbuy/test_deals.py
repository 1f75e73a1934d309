"""Group-buy's rules: setting a deal up, joining at the group price (held from the merchant while the deal is
open), the maximum, leaving, and the deadline — success hands the paid orders to the merchant, failure refunds
every paid participant in full, once, whatever the number of runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.billing import ledger
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.payments.models import Refund
from marketplace.groupbuy import services as gb
from marketplace.groupbuy.models import Deal, DealJoin
from marketplace.models import Listing, MerchantNotice
from marketplace.orders import flow
from marketplace.orders import merchant as merchant_side
from marketplace.orders.models import Order
from marketplace.orders_index.models import MerchantOrder
from marketplace.settlement.models import PayableEntry
from tests.backend.club.conftest import move_in
from tests.marketplace.orders.test_payment_and_flow import pay_online

from .conftest import Shop, make_deal

pytestmark = pytest.mark.django_db


def fresh(obj: Any) -> Any:
    return type(obj).objects.get(pk=obj.pk)


def prepaid(shop: Shop, unit: Any, fen: int = 5000) -> None:
    ledger.payment_record(unit=unit, amount=fen, method="cash", to_prepaid=True)


def join(shop: Shop, deal: Deal, who: str = "resident") -> Order:
    user, unit = (shop.resident, shop.home) if who == "resident" else (shop.neighbour, shop.neighbour_home)
    return gb.deal_join(deal_id=deal.pk, user=user, unit=unit)


def after(deal: Deal, minutes: int = 1) -> dt.datetime:
    return deal.deadline + dt.timedelta(minutes=minutes)


# --- setting a deal up ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"group_price_fen": 1280}, "group_price_fen"),  # not below the listing's ¥12.80
        ({"group_price_fen": 0}, "group_price_fen"),
        ({"min_participants": 0}, "min_participants"),
        ({"min_participants": 3, "max_participants": 2}, "max_participants"),
        ({"deadline": timezone.now() + dt.timedelta(minutes=2)}, "deadline"),
        ({"deadline": timezone.now() + dt.timedelta(days=40)}, "deadline"),
    ],
)
def test_a_deal_with_bad_terms_is_refused_field_by_field(shop: Shop, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        make_deal(shop, **fields)
    assert field in caught.value.fields
    assert not Deal.objects.exists()


def test_a_deal_is_only_on_the_merchants_own_listing_without_variants(shop: Shop) -> None:
    with pytest.raises(ApplicationError) as caught:
        make_deal(shop, listing_id=shop.cleaning.pk)  # another merchant's
    assert "listing" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        make_deal(shop, listing_id=shop.grapes.pk)  # variants
    assert "listing" in caught.value.fields
    deal = make_deal(shop)
    assert (deal.title, deal.regular_price_fen, deal.group_price_fen, deal.state, deal.joined) == (
        "新鲜苹果",
        1280,
        990,
        "open",
        0,
    )


# --- joining ----------------------------------------------------------------------------------------------------


def test_joining_makes_an_order_at_the_group_price_held_from_the_merchant_until_the_deal_succeeds(
    shop: Shop, deal: Deal
) -> None:
    prepaid(shop, shop.home)
    order = join(shop, deal)
    order = fresh(order)
    assert (order.status, order.total_fen, order.lines.get().unit_price_fen) == ("paid", 990, 990)
    assert order.expires_at <= deal.deadline
    assert fresh(deal).joined == 1 and DealJoin.objects.get(order=order).state == "joined"
    # Paid, but not the merchant's yet: no index row, no notice, no sale on the payables ledger.
    assert not MerchantOrder.objects.filter(order_id=order.pk).exists()
    assert not MerchantNotice.objects.filter(merchant=shop.fruit).exists()
    assert not PayableEntry.objects.filter(order_id=order.pk).exists()
    from marketplace.settlement.reconcile import payables_reconcile

    assert payables_reconcile() == 0 and not PayableEntry.objects.exists()  # held: not behind either
    assert not merchant_side.merchant_orders(merchant_id=shop.fruit.pk).exists()  # the board and API read these
    assert Listing.objects.get(pk=shop.apple.pk).stock == 4  # the item is reserved as any order's


def test_a_resident_joins_once_and_the_maximum_is_never_exceeded(shop: Shop, member: Any) -> None:
    deal = make_deal(shop, min_participants=1, max_participants=2)
    join(shop, deal)
    with pytest.raises(ApplicationError) as caught:
        join(shop, deal)
    assert caught.value.code == "already_joined" and caught.value.status == 409
    join(shop, deal, "neighbour")
    third = member(shop.tenant, ["resident"])
    move_in(shop.home, third, "王家属", role="member")
    with pytest.raises(ApplicationError) as caught:
        gb.deal_join(deal_id=deal.pk, user=third, unit=shop.home)
    assert caught.value.code == "deal_full"
    assert fresh(deal).joined == 2 and Order.objects.count() == 2


def test_a_join_not_paid_in_time_gives_its_place_back(shop: Shop, member: Any) -> None:
    deal = make_deal(shop, min_participants=1, max_participants=1)
    order = join(shop, deal)
    assert order.status == "pending_payment"
    flow.orders_expire(now=order.expires_at + dt.timedelta(seconds=1))
    assert fresh(order).status == "expired"
    assert gb.joins_release_lapsed() == 1 and gb.joins_release_lapsed() == 0  # once
    assert fresh(deal).joined == 0
    again = join(shop, deal, "neighbour")
    assert again.status == "pending_payment" and fresh(deal).joined == 1


def test_residents_of_an_estate_that_cannot_see_the_listing_cannot_see_or_join_the_deal(shop: Shop, deal: Deal) -> None:
    assert not gb.deals_for_resident(shop.other_resident).exists()
    assert list(gb.deals_for_resident(shop.resident)) == [deal]
    with pytest.raises(ApplicationError) as caught:
        gb.deal_join(deal_id=deal.pk, user=shop.other_resident, unit=shop.other_home)
    assert caught.value.status == 404
    with pytest.raises(ApplicationError):  # someone else's home
        gb.deal_join(deal_id=deal.pk, user=shop.other_resident, unit=shop.home)
    assert fresh(deal).joined == 0


def test_leaving_before_the_deadline_refunds_and_frees_the_place(shop: Shop, deal: Deal) -> None:
    prepaid(shop, shop.home, 990)
    order = join(shop, deal)
    assert fresh(order).status == "paid"
    gb.deal_leave(deal_id=deal.pk, user=shop.resident)
    order = fresh(order)
    assert (order.status, order.refunded_fen) == ("cancelled", 990)
    assert fresh(deal).joined == 0 and Listing.objects.get(pk=shop.apple.pk).stock == 5
    with pytest.raises(ApplicationError):
        gb.deal_leave(deal_id=deal.pk, user=shop.resident)
    join(shop, deal)  # may come back
    assert fresh(deal).joined == 1


def test_nobody_joins_or_leaves_after_the_deadline(shop: Shop, deal: Deal) -> None:
    join(shop, deal)
    with pytest.raises(ApplicationError) as caught:
        gb.deal_join(deal_id=deal.pk, user=shop.neighbour, unit=shop.neighbour_home, now=after(deal))
    assert caught.value.code == "deal_closed"
    with pytest.raises(ApplicationError) as caught:
        gb.deal_leave(deal_id=deal.pk, user=shop.resident, now=after(deal))
    assert caught.value.code == "deal_closed"


# --- the deadline -------------------------------------------------------------------------------------------------


def test_before_its_deadline_a_deal_is_not_settled(shop: Shop, deal: Deal) -> None:
    assert gb.deal_settle(deal.pk, now=deal.deadline - dt.timedelta(seconds=1)) == "open"
    assert gb.deals_settle_due(now=deal.deadline - dt.timedelta(seconds=1)) == 0


def test_at_the_deadline_a_deal_that_reached_its_minimum_hands_the_paid_orders_to_the_merchant_once(
    shop: Shop, deal: Deal
) -> None:
    prepaid(shop, shop.home)
    prepaid(shop, shop.neighbour_home)
    first, second = join(shop, deal), join(shop, deal, "neighbour")
    assert gb.deals_settle_due(now=after(deal)) == 1
    assert gb.deals_settle_due(now=after(deal, 2)) == 0  # a second run finds nothing to do
    assert gb.deal_settle(deal.pk, now=after(deal, 3)) == "succeeded"  # nor does a direct repeat
    deal = fresh(deal)
    assert (deal.state, deal.participants) == ("succeeded", 2)
    assert set(DealJoin.objects.values_list("state", flat=True)) == {"handed"}
    index = MerchantOrder.objects.filter(merchant_id=shop.fruit.pk)
    assert sorted(index.values_list("order_id", flat=True)) == sorted([first.pk, second.pk])
    assert PayableEntry.objects.filter(kind="sale").count() == 2
    assert PayableEntry.objects.filter(kind="sale", order_id=first.pk).get().amount_fen == 990
    notices = list(MerchantNotice.objects.filter(merchant=shop.fruit).values_list("kind", flat=True))
    assert sorted(notices) == ["shop.groupbuy_succeeded", "shop.order_new", "shop.order_new"]
    told = Notification.objects.filter(kind="shop.groupbuy_succeeded")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([shop.resident.pk, shop.neighbour.pk])
    # Now an ordinary paid order: the merchant accepts it.
    flow.order_merchant_move(order_id=first.pk, merchant_id=shop.fruit.pk, action="accept", by=None)
    assert fresh(first).status == "accepted"


@pytest.mark.usefixtures("localstripe")
def test_a_deal_short_of_its_minimum_refunds_every_paid_participant_in_full_exactly_once(
    shop: Shop, deal: Deal, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    card = join(shop, deal)
    op = pay_online(shop, card, localstripe)
    assert fresh(card).status == "paid" and fresh(deal).joined == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert gb.deal_settle(deal.pk, now=after(deal)) == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        gb.deal_settle(deal.pk, now=after(deal, 2))
        gb.deals_settle_due(now=after(deal, 3))
    card = fresh(card)
    assert (card.status, card.refunded_fen, card.refund_state) == ("cancelled", 990, "done")
    refund = Refund.objects.get(payment_id=op.payment_id)  # exactly one
    assert (refund.amount, refund.status) == (990, "succeeded")
    assert Listing.objects.get(pk=shop.apple.pk).stock == 5
    assert DealJoin.objects.get().state == "refunded" and fresh(deal).joined == 0
    assert (fresh(deal).state, fresh(deal).participants) == ("failed", 1)
    # Never the merchant's: no index row, no payables, no new-order notice.
    assert not MerchantOrder.objects.exists() and not PayableEntry.objects.exists()
    assert list(MerchantNotice.objects.values_list("kind", flat=True)) == ["shop.groupbuy_failed"]
    assert Notification.objects.filter(recipient=shop.resident, kind="shop.groupbuy_failed").count() == 1


def test_a_deal_waits_for_a_join_whose_payment_is_pending_then_counts_only_the_paid(shop: Shop, deal: Deal) -> None:
    prepaid(shop, shop.neighbour_home)
    unpaid = join(shop, deal)
    join(shop, deal, "neighbour")
    assert gb.deal_settle(deal.pk, now=unpaid.expires_at - dt.timedelta(seconds=1)) == "open"
    flow.orders_expire(now=after(deal))
    assert gb.deal_settle(deal.pk, now=after(deal)) == "failed"  # 1 paid of 2
    assert sorted(DealJoin.objects.values_list("state", flat=True)) == ["lapsed", "refunded"]
    assert Order.objects.get(pk=unpaid.pk).status == "expired"


def test_a_failed_deal_refunds_prepaid_money_back_to_the_home(shop: Shop, deal: Deal) -> None:
    from backend.billing.selectors import unit_account

    prepaid(shop, shop.home, 990)
    order = join(shop, deal)
    assert unit_account(shop.home.pk).prepaid == 0
    gb.deal_settle(deal.pk, now=after(deal))
    gb.deal_settle(deal.pk, now=after(deal, 2))
    assert fresh(order).refunded_fen == 990
    assert unit_account(shop.home.pk).prepaid == 990  # back once, not twice
    # Never the merchant's sale: the reconciliation does not count it as behind, and posts nothing.
    from marketplace.settlement.reconcile import payables_reconcile

    assert payables_reconcile() == 0 and not PayableEntry.objects.exists()


def test_cancelling_a_held_order_as_any_order_tells_the_merchant_nothing_and_frees_the_place(
    shop: Shop, deal: Deal
) -> None:
    prepaid(shop, shop.home, 990)
    order = join(shop, deal)
    flow.order_cancel(order_id=order.pk, user=shop.resident)
    assert fresh(order).status == "cancelled" and fresh(order).refunded_fen == 990
    assert not MerchantNotice.objects.filter(merchant=shop.fruit).exists()
    assert gb.joins_release_lapsed() == 1 and fresh(deal).joined == 0


def test_held_and_refunded_group_buy_orders_never_crowd_the_payables_reconciliation_out(shop: Shop, deal: Deal) -> None:
    from marketplace.settlement.reconcile import payables_reconcile

    # An ordinary order whose payables are behind (marked paid without its posting, as after a crash)...
    (ordinary,) = flow.checkout(user=shop.neighbour, unit=shop.neighbour_home, items=[flow.Item(shop.apple.pk, 1)])
    Order.objects.filter(pk=ordinary.pk).update(status="paid", paid_at=timezone.now())
    # ...and, newer (the reconciliation reads newest first), a group-buy order refunded when its deal failed.
    prepaid(shop, shop.home, 990)
    held = join(shop, deal)
    gb.deal_settle(deal.pk, now=after(deal))
    assert fresh(held).status == "cancelled"
    assert payables_reconcile(limit=1) == 1  # the ordinary one, not the held one
    assert PayableEntry.objects.filter(order_id=ordinary.pk, kind="sale").exists()
    assert not PayableEntry.objects.filter(order_id=held.pk).exists()
