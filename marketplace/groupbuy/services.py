"""Group-buy (团购) services, in the company's schema.

- `deal_create`: a merchant offers one of its listings (no variants, no appointment times) at a group price
  lower than its own, for min…max residents, until a deadline.
- `deal_join`: a resident takes a place (a conditional UPDATE of `joined`, never above the maximum) and checks
  out one item at the group price through the shop's checkout (marketplace/orders/flow.py): the order is paid
  as any other (online with Idempotency-Key, the webhook decides; or prepaid money at once) and expires unpaid
  as any other (at the latest at the deadline). It is held back from the merchant (`order_held_by_deal`).
- `deal_leave`: before the deadline a resident may leave: the order is cancelled and refunded in full.
- `deal_settle` (the periodic task, per company): once the deadline has passed and no join awaits its
  payment, the deal succeeds if at least the minimum have paid — each paid order then reaches its merchant —
  or fails, and each paid order is cancelled and refunded in full (the shop's refund path). Each join is
  decided once, under its order's lock, in its own transaction: a second run, or one after a crash half-way,
  decides only what is left.

Locks, always in this order: the deal's row, the unit's ledger lock, the order's row, the join's row (a
payment takes unit → order and only reads the join)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from backend.notifications.services import notification_send
from backend.properties.models import Unit
from marketplace.models import ApplicationStatus, Listing, MerchantApplication
from marketplace.notices import notify_merchant
from marketplace.orders import flow, money
from marketplace.orders.cart import Item
from marketplace.orders.handover import order_reach_merchant
from marketplace.orders.models import Fulfilment, Order, OrderStatus
from marketplace.visibility import resident_estate_ids, visible_listings
from tenants.db import connection

from .models import HOLDING, Deal, DealJoin, DealState, JoinState

log = logging.getLogger(__name__)

MAX_PARTICIPANTS = 500
UNPAID = (OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED, OrderStatus.CANCELLED, OrderStatus.REJECTED)
MIN_MINUTES = 10  # the shortest deal
MAX_DAYS = 30  # the longest deal


def orders_held_by_deals(order_ids: Collection[int]) -> set[int]:
    """The order hook: a group-buy's order stays away from its merchant until its join is handed over (for
    ever, when its deal failed)."""
    joins = DealJoin.objects.filter(order_id__in=list(order_ids)).exclude(state=JoinState.HANDED)
    return set(joins.values_list("order_id", flat=True))


# --- reads ----------------------------------------------------------------------------------------------------


def deals_for_estates(estate_ids: list[int]) -> QuerySet[Deal]:
    """The deals whose listing these estates' residents may see (the marketplace's visibility rule)."""
    visible = visible_listings(tenant_id=connection.tenant.pk, estate_ids=estate_ids)
    return Deal.objects.filter(listing_id__in=list(visible.values_list("pk", flat=True)))


def deals_for_resident(user: User) -> QuerySet[Deal]:
    return deals_for_estates(resident_estate_ids(user_id=user.pk))


def paid_count(deal: Deal) -> int:
    """Participants who have paid (the figure the minimum is measured against)."""
    return DealJoin.objects.filter(deal=deal, state__in=HOLDING).exclude(order__status__in=UNPAID).count()


# --- the merchant offers a deal -------------------------------------------------------------------------------


def deal_create(
    *,
    merchant_id: int,
    listing_id: int,
    group_price_fen: int,
    min_participants: int,
    max_participants: int,
    deadline: dt.datetime,
    now: dt.datetime | None = None,
) -> Deal:
    """Offer one of the merchant's listings at a group price in this company (called in its schema)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    listing = Listing.objects.filter(pk=listing_id, merchant_id=merchant_id).select_related("merchant").first()
    application = MerchantApplication.objects.filter(
        tenant_id=connection.tenant.pk, merchant_id=merchant_id, status=ApplicationStatus.APPROVED
    ).first()
    visible = application is not None and (
        visible_listings(tenant_id=connection.tenant.pk, estate_ids=application.approved_estate_ids)
        .filter(pk=listing_id)
        .exists()
    )
    if listing is None or not visible:
        errors["listing"] = [_("Choose one of your listings on sale in this company's estates.")]
    elif listing.variants.filter(is_active=True).exists() or listing.slots.filter(is_active=True).exists():
        errors["listing"] = [_("A group-buy is for a listing without variants or appointment times.")]
    elif not 0 < group_price_fen < listing.price_fen:
        errors["group_price_fen"] = [_("The group price must be above zero and below the listing's price.")]
    if not 1 <= min_participants <= MAX_PARTICIPANTS:
        errors["min_participants"] = [_("Between 1 and %(n)s.") % {"n": MAX_PARTICIPANTS}]
    if not min_participants <= max_participants <= MAX_PARTICIPANTS:
        errors["max_participants"] = [_("At least the minimum, at most %(n)s.") % {"n": MAX_PARTICIPANTS}]
    if timezone.is_naive(deadline):
        errors["deadline"] = [_("Give the deadline with its time zone.")]
    elif not now + dt.timedelta(minutes=MIN_MINUTES) <= deadline <= now + dt.timedelta(days=MAX_DAYS):
        errors["deadline"] = [_("Between %(m)s minutes and %(d)s days from now.") % {"m": MIN_MINUTES, "d": MAX_DAYS}]
    if errors:
        raise ApplicationError.for_fields(errors)
    assert listing is not None
    with transaction.atomic():
        deal = Deal.objects.create(
            merchant_id=merchant_id,
            merchant_name=listing.merchant.name,
            listing_id=listing.pk,
            title=listing.title,
            regular_price_fen=listing.price_fen,
            group_price_fen=group_price_fen,
            min_participants=min_participants,
            max_participants=max_participants,
            deadline=deadline,
        )
        audit_record(
            action="shop.groupbuy_create",
            target=deal,
            changes={"listing": listing.pk, "price": group_price_fen, "min": min_participants, "max": max_participants},
        )
    return deal


# --- residents join and leave -----------------------------------------------------------------------------------


def _refused(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, status=409)


def deal_join(
    *,
    deal_id: int,
    user: User,
    unit: Unit,
    fulfilment: str = Fulfilment.DELIVERY,
    note: str = "",
    now: dt.datetime | None = None,
) -> Order:
    """Take a place in the deal and check out one item at the group price for the home (then pay the order as
    any other). Refused (409) when the deal is closed (`deal_closed`), full (`deal_full`), the resident is in
    already (`already_joined`), or the item is sold out (`sold_out`); 404 when the home's estate may not see it."""
    now = now or timezone.now()
    deal = deals_for_estates([unit.estate_id]).filter(pk=deal_id).first()
    if deal is None:
        raise not_found()
    if deal.state != DealState.OPEN or deal.deadline <= now:
        raise _refused(_("This group-buy is closed."), "deal_closed")
    if DealJoin.objects.filter(deal=deal, user=user, state__in=HOLDING).exists():
        raise _refused(_("You have joined this group-buy already."), "already_joined")
    joins_release_lapsed(deal_id=deal.pk, now=now)  # the places of joins not paid in time come back first

    def link(order: Order) -> None:
        try:
            with transaction.atomic():
                DealJoin.objects.create(deal_id=deal.pk, order=order, user=user)
        except IntegrityError:  # the same resident's other join won the race
            raise _refused(_("You have joined this group-buy already."), "already_joined") from None

    with transaction.atomic():
        took = Deal.objects.filter(
            pk=deal.pk, state=DealState.OPEN, deadline__gt=now, joined__lt=F("max_participants")
        ).update(joined=F("joined") + 1)
        if not took:
            raise _refused(_("This group-buy is full."), "deal_full")
        (order,) = flow.checkout(
            user=user,
            unit=unit,
            fulfilment=fulfilment,
            note=note,
            items=[Item(deal.listing_id, 1)],
            now=now,
            unit_prices={deal.listing_id: deal.group_price_fen},
            expires_by=deal.deadline,
            on_order=link,
        )
        audit_record(action="shop.groupbuy_join", target=deal, changes={"order": order.pk, "unit": unit.pk})
    return order


def _give_place_back(deal_id: int) -> None:
    Deal.objects.filter(pk=deal_id, joined__gt=0).update(joined=F("joined") - 1)


def deal_leave(*, deal_id: int, user: User, now: dt.datetime | None = None) -> DealJoin:
    """Leave a deal before its deadline: the order is cancelled (refunded in full when paid) and the place freed."""
    now = now or timezone.now()
    join = DealJoin.objects.filter(deal_id=deal_id, user=user, state=JoinState.JOINED).first()
    if join is None:
        raise _refused(_("You are not in this group-buy."), "not_joined")
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal_id)
        if deal.state != DealState.OPEN or deal.deadline <= now:
            raise _refused(_("This group-buy is closed."), "deal_closed")
        locked = money.lock_unit_then_order(join.order_id)
        join = DealJoin.objects.select_for_update().get(pk=join.pk)
        if join.state != JoinState.JOINED:
            raise _refused(_("You are not in this group-buy."), "invalid_state")
        if locked.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID):
            flow.order_close_with_refund(
                locked,
                status=OrderStatus.CANCELLED,
                reason=_("Left the group-buy %(title)s (%(code)s)") % {"title": deal.title, "code": locked.code},
                now=now,
            )
        join.state = JoinState.LAPSED
        join.decided_at = now
        join.save(update_fields=["state", "decided_at"])
        _give_place_back(deal.pk)
        audit_record(action="shop.groupbuy_leave", target=deal, changes={"order": locked.pk})
    return join


def joins_release_lapsed(*, deal_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Joins whose order expired unpaid, or was cancelled or rejected, give their place back (once each)."""
    now = now or timezone.now()
    gone = DealJoin.objects.filter(
        state=JoinState.JOINED,
        deal__state=DealState.OPEN,
        order__status__in=[OrderStatus.EXPIRED, OrderStatus.CANCELLED, OrderStatus.REJECTED],
    )
    if deal_id is not None:
        gone = gone.filter(deal_id=deal_id)
    released = 0
    for pk, join_deal in gone.values_list("pk", "deal_id"):
        with transaction.atomic():
            Deal.objects.select_for_update().filter(pk=join_deal).first()
            if DealJoin.objects.filter(pk=pk, state=JoinState.JOINED).update(state=JoinState.LAPSED, decided_at=now):
                _give_place_back(join_deal)
                released += 1
    return released


# --- the deadline ---------------------------------------------------------------------------------------------


def _tell_participant(join: DealJoin, deal: Deal, kind: str, title: str, body: str) -> None:
    notification_send(
        recipient=join.user,
        kind=kind,
        title=title,
        body=body,
        url=f"/resident/shop/deals/{deal.pk}/",
        payload={"deal": deal.pk, "order": join.order_id, "state": deal.state},
    )


def _decide(deal: Deal, now: dt.datetime) -> bool:
    """Decide a due deal (its row locked by the caller): False while a join still awaits its payment."""
    waiting = DealJoin.objects.filter(deal=deal, state=JoinState.JOINED, order__status=OrderStatus.PENDING_PAYMENT)
    if waiting.exists():
        return False
    paid = paid_count(deal)
    deal.state = DealState.SUCCEEDED if paid >= deal.min_participants else DealState.FAILED
    deal.participants = paid
    deal.settled_at = now
    deal.save(update_fields=["state", "participants", "settled_at"])
    audit_record(action=f"shop.groupbuy_{deal.state}", target=deal, changes={"participants": paid})
    if deal.state == DealState.SUCCEEDED:
        title = _("Group-buy succeeded: %(title)s") % {"title": deal.title}
        body = _("%(n)s orders to fulfil") % {"n": paid}
    else:
        title = _("Group-buy failed: %(title)s") % {"title": deal.title}
        body = _("%(n)s of %(min)s participants; everyone is refunded") % {"n": paid, "min": deal.min_participants}
    notify_merchant(
        merchant_id=deal.merchant_id,
        tenant_id=connection.tenant.pk,
        kind=f"shop.groupbuy_{deal.state}",
        title=title,
        body=body,
        data={"deal": deal.pk, "tenant": connection.tenant.pk, "state": deal.state, "participants": paid},
    )
    return True


def _decide_join(deal_id: int, join_id: int, now: dt.datetime) -> str:
    """Carry a settled deal's outcome to one join, once: hand its paid order to the merchant, or cancel and
    refund it in full; a join whose order did not stay paid lapses. Returns the join's new state ('' if none)."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal_id)
        order_id = DealJoin.objects.values_list("order_id", flat=True).get(pk=join_id)
        locked = money.lock_unit_then_order(order_id)
        join = DealJoin.objects.select_for_update().select_related("user").get(pk=join_id)
        if join.state != JoinState.JOINED or deal.state == DealState.OPEN:
            return ""
        join.decided_at = now
        if locked.status != OrderStatus.PAID:
            join.state = JoinState.LAPSED
            join.save(update_fields=["state", "decided_at"])
            _give_place_back(deal.pk)
            return join.state
        if deal.state == DealState.SUCCEEDED:
            join.state = JoinState.HANDED
            join.save(update_fields=["state", "decided_at"])  # before the handover: the order is no longer held
            order_reach_merchant(locked, now=now)
            audit_record(action="shop.groupbuy_handed", target=locked, changes={"deal": deal.pk})
            _tell_participant(
                join,
                deal,
                "shop.groupbuy_succeeded",
                _("Group-buy succeeded: %(title)s") % {"title": deal.title},
                _("Your order %(code)s goes to %(merchant)s.") % {"code": locked.code, "merchant": deal.merchant_name},
            )
            return join.state
        locked.reject_reason = _("The group-buy did not reach its minimum.")
        flow.order_close_with_refund(
            locked,
            status=OrderStatus.CANCELLED,
            reason=_("Group-buy %(title)s failed (%(code)s)") % {"title": deal.title, "code": locked.code},
            now=now,
        )
        join.state = JoinState.REFUNDED
        join.save(update_fields=["state", "decided_at"])
        _give_place_back(deal.pk)
        audit_record(action="shop.groupbuy_refund", target=locked, changes={"refunded_fen": locked.refunded_fen})
        _tell_participant(
            join,
            deal,
            "shop.groupbuy_failed",
            _("Group-buy failed: %(title)s") % {"title": deal.title},
            _("It did not reach %(min)s participants: ¥%(amount).2f is refunded to you.")
            % {"min": deal.min_participants, "amount": locked.refunded_fen / 100},
        )
        return join.state


def deal_settle(deal_id: int, *, now: dt.datetime | None = None, lapsed_released: bool = False) -> str:
    """Settle one deal at its deadline (idempotent): decide it once, then carry the outcome to every join not
    decided yet. Returns the deal's state. `lapsed_released`: the caller has just released every lapsed
    join (the sweep), so this deal's are not looked for again."""
    now = now or timezone.now()
    if not lapsed_released:
        joins_release_lapsed(deal_id=deal_id, now=now)
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal_id)
        if deal.state == DealState.OPEN and (deal.deadline > now or not _decide(deal, now)):
            return deal.state
    for join_id in DealJoin.objects.filter(deal_id=deal_id, state=JoinState.JOINED).values_list("pk", flat=True):
        try:
            _decide_join(deal_id, join_id, now)
        except Exception:  # noqa: BLE001 - the next run decides it (the join is still 'joined')
            log.exception("groupbuy: deciding join %s of deal %s failed", join_id, deal_id)
    return deal.state


def deals_settle_due(*, now: dt.datetime | None = None) -> int:
    """The periodic sweep (per company): places of lapsed joins come back; deals past their deadline are
    settled, and settled deals with joins left undecided (a worker died) are finished. Returns how many deals
    were looked at."""
    now = now or timezone.now()
    joins_release_lapsed(now=now)
    due = set(Deal.objects.filter(state=DealState.OPEN, deadline__lte=now).values_list("pk", flat=True))
    due |= set(
        DealJoin.objects.filter(state=JoinState.JOINED)
        .exclude(deal__state=DealState.OPEN)
        .values_list("deal_id", flat=True)
    )
    for pk in sorted(due):
        try:
            deal_settle(pk, now=now, lapsed_released=True)
        except Exception:  # noqa: BLE001 - one deal must not stop the others
            log.exception("groupbuy: settling deal %s failed", pk)
    return len(due)
