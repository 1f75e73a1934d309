"""Shop orders' services: checkout (a cart split by merchant, stock and slot places reserved by conditional
UPDATE, lines charged on the home's ledger), paying, expiry and cancellation (reservations released exactly
once), and the merchant's and resident's transitions. Every write is one transaction with the unit's ledger
lock before the order's row lock; a transition re-checks the status under the lock, so a repeat (two clicks,
two workers) changes nothing twice. Each is audited and told live: the resident by a notification (their
company socket), the merchant by notify_merchant (its /ws/merchant/ socket), once the order is paid."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.ledger import unit_lock
from backend.billing.models import LedgerEntry
from backend.club.money import lines_payment_in_flight
from backend.errors import ApplicationError
from backend.notifications.services import notification_send
from backend.properties.models import Person, Unit
from backend.properties.selectors import resident_units
from marketplace.company.models import DEFAULT_COMMISSION_BP, CategorySetting
from marketplace.models import Listing, ListingKind, ListingVariant, ServiceSlot
from marketplace.orders_index.models import MerchantOrder
from marketplace.visibility import category_descendants, visible_listings
from tenants.db import connection

from . import money
from .cart import MAX_QUANTITY, Item, check_choice
from .handover import order_held, order_reach_merchant
from .handover import tell_merchant as _tell_merchant
from .models import CartItem, Fulfilment, Order, OrderLine, OrderStatus

log = logging.getLogger(__name__)

SOLD_OUT = "sold_out"


def pay_minutes() -> int:
    return int(getattr(settings, "SHOP_ORDER_PAY_MINUTES", 15))


def auto_complete_days() -> int:
    return int(getattr(settings, "SHOP_ORDER_AUTO_COMPLETE_DAYS", 7))


# --- checkout -------------------------------------------------------------------------------------------------


def commission_bp(category_code: str) -> int:
    """The company's rate for the category, else its nearest parent's row, else the default."""
    rates = dict(CategorySetting.objects.values_list("category_code", "commission_bp"))
    below = category_descendants()
    if category_code in rates:
        return rates[category_code]
    # The closest ancestor with a row: the smallest subtree holding the category.
    holders = [code for code, members in below.items() if category_code in members and code in rates]
    if holders:
        closest = min(holders, key=lambda c: len(below[c]))
        return rates[closest]
    return DEFAULT_COMMISSION_BP


def commission_of(amount_fen: int, bp: int) -> int:
    return int((Decimal(amount_fen) * bp / Decimal(10000)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _reserve(listing: Listing, item: Item) -> bool:
    """Take the quantity from the stock (or the slot's places) by one conditional UPDATE; False: not enough."""
    q = item.quantity
    if item.slot_id is not None:
        return bool(
            ServiceSlot.objects.filter(
                pk=item.slot_id, listing_id=listing.pk, is_active=True, booked__lte=F("capacity") - q
            ).update(booked=F("booked") + q)
        )
    if item.variant_id is not None:
        variant = ListingVariant.objects.filter(pk=item.variant_id, listing_id=listing.pk)
        if variant.filter(stock__isnull=True).exists():
            return True
        return bool(variant.filter(stock__gte=q).update(stock=F("stock") - q))
    if listing.kind == ListingKind.SERVICE or listing.stock is None:
        return True
    return bool(Listing.objects.filter(pk=listing.pk, stock__gte=q).update(stock=F("stock") - q))


def _give_back(line: OrderLine) -> None:
    q = line.quantity
    if line.slot_id is not None:
        ServiceSlot.objects.filter(pk=line.slot_id, booked__gte=q).update(booked=F("booked") - q)
    elif line.variant_id is not None:
        ListingVariant.objects.filter(pk=line.variant_id, stock__isnull=False).update(stock=F("stock") + q)
    elif line.kind == ListingKind.GOOD:
        Listing.objects.filter(pk=line.listing_id, stock__isnull=False).update(stock=F("stock") + q)


def _new_code() -> str:
    return f"SO{timezone.now():%y%m%d}{secrets.token_hex(4).upper()}"


def contact_of(user: User, unit: Unit) -> tuple[str, str]:
    person = Person.objects.filter(user=user).first()
    name = (person.name if person else "") or user.name or user.email or ""
    phone = (person.phone if person else "") or getattr(user, "phone", "") or ""
    return str(name), str(phone)


def _price(listing: Listing, variant: ListingVariant | None, now: dt.datetime) -> int:
    if variant is not None:
        return variant.price_fen
    month = timezone.localdate(now).replace(day=1)
    special = listing.specials.filter(month=month).values_list("price_fen", flat=True).first()
    return special if special is not None else listing.price_fen


def checkout(
    *,
    user: User,
    unit: Unit,
    fulfilment: str = Fulfilment.DELIVERY,
    note: str = "",
    items: list[Item] | None = None,
    now: dt.datetime | None = None,
    unit_prices: Mapping[int, int] | None = None,
    expires_by: dt.datetime | None = None,
    on_order: Callable[[Order], object] | None = None,
) -> list[Order]:
    """Turn the resident's cart (or `items`) into orders, one per merchant: everything must be visible to the
    home's estate and within each listing's limit per order; stock and slot places are reserved for
    SHOP_ORDER_PAY_MINUTES (or until `expires_by`); each line is charged on the home's ledger. All or nothing:
    an item sold out refuses the whole checkout (code "sold_out") and reserves nothing. A caller selling on its
    own terms (group-buy) sets `unit_prices` ({listing id: fen}) and `on_order` (called with each new order
    in the transaction, before it may be marked paid)."""
    now = now or timezone.now()
    if not resident_units(user_id=user.pk).filter(pk=unit.pk).exists():
        raise ApplicationError.for_fields({"unit": [_("Choose one of your homes.")]})
    if fulfilment not in Fulfilment.values:
        raise ApplicationError.for_fields({"fulfilment": [_("Choose delivery or pickup.")]})
    from_cart = items is None
    if items is None:
        items = [
            Item(r.listing_id, r.quantity, r.variant_id, r.slot_id) for r in CartItem.objects.filter(cart__user=user)
        ]
    if not items:
        raise ApplicationError.for_fields({"items": [_("Your cart is empty.")]})
    visible = visible_listings(tenant_id=connection.tenant.pk, estate_ids=[unit.estate_id])
    listings = {
        li.pk: li for li in visible.filter(pk__in={i.listing_id for i in items}).select_related("category", "merchant")
    }
    errors: list[str] = []
    totals: dict[tuple[int, int | None, int | None], int] = defaultdict(int)
    for item in items:
        listing = listings.get(item.listing_id)
        if listing is None:
            errors.append(_("An item in your cart is no longer on sale in your estate."))
            continue
        check_choice(listing, item)
        totals[(listing.pk, item.variant_id, item.slot_id)] += item.quantity
    if errors:
        raise ApplicationError.for_fields({"items": errors})
    per_listing: dict[int, int] = defaultdict(int)
    for (listing_id, _v, _s), q in totals.items():
        per_listing[listing_id] += q
    for listing_id, q in per_listing.items():
        limit = listings[listing_id].per_order_limit
        if q <= 0 or q > MAX_QUANTITY or (limit and q > limit):
            errors.append(
                _("%(title)s: at most %(n)s per order.")
                % {"title": listings[listing_id].title, "n": min(limit or MAX_QUANTITY, MAX_QUANTITY)}
            )
    if errors:
        raise ApplicationError.for_fields({"items": errors})
    merged = [Item(lid, q, v, s) for (lid, v, s), q in totals.items()]
    by_merchant: dict[int, list[Item]] = defaultdict(list)
    for item in merged:
        by_merchant[listings[item.listing_id].merchant_id].append(item)
    name, phone = contact_of(user, unit)
    expires_at = now + dt.timedelta(minutes=pay_minutes())
    if expires_by is not None:  # a group-buy's join: no later than its deadline
        expires_at = min(expires_at, expires_by)
    label = f"{unit.estate.name} {unit}" if hasattr(unit, "estate") else str(unit)
    variants = {v.pk: v for v in ListingVariant.objects.filter(pk__in=[i.variant_id for i in merged if i.variant_id])}
    slots = {s.pk: s for s in ServiceSlot.objects.filter(pk__in=[i.slot_id for i in merged if i.slot_id])}
    orders: list[Order] = []
    with transaction.atomic():
        unit_lock(unit.pk)
        for merchant_id in sorted(by_merchant):
            merchant_items = sorted(by_merchant[merchant_id], key=lambda i: (i.listing_id, i.variant_id or 0))
            for item in merchant_items:
                if not _reserve(listings[item.listing_id], item):
                    transaction.set_rollback(True)
                    title = listings[item.listing_id].title
                    raise ApplicationError(
                        _("%(title)s is sold out (or not enough left).") % {"title": title},
                        code=SOLD_OUT,
                        fields={"items": [_("%(title)s is sold out.") % {"title": title}]},
                        status=409,
                    )
            first = listings[merchant_items[0].listing_id]
            order = Order.objects.create(
                code=_new_code(),
                user=user,
                unit=unit,
                merchant_id=merchant_id,
                merchant_name=first.merchant.name,
                fulfilment=fulfilment,
                contact_name=name[:100],
                contact_phone=phone[:30],
                unit_label=label[:120],
                note=note[:200],
                total_fen=0,
                expires_at=expires_at,
            )
            lines = []
            for item in merchant_items:
                listing = listings[item.listing_id]
                variant = variants.get(item.variant_id) if item.variant_id else None
                slot = slots.get(item.slot_id) if item.slot_id else None
                unit_price = (unit_prices or {}).get(listing.pk, _price(listing, variant, now))
                amount = unit_price * item.quantity
                bp = commission_bp(listing.category.code)
                lines.append(
                    OrderLine(
                        order=order,
                        listing_id=listing.pk,
                        variant_id=item.variant_id,
                        slot_id=item.slot_id,
                        kind=listing.kind,
                        title=listing.title,
                        variant_name=variant.name if variant else "",
                        slot_starts_at=slot.starts_at if slot else None,
                        unit_price_fen=unit_price,
                        quantity=item.quantity,
                        amount_fen=amount,
                        category_code=listing.category.code,
                        commission_bp=bp,
                        commission_fen=commission_of(amount, bp),
                    )
                )
            lines = OrderLine.objects.bulk_create(lines)
            order.total_fen = sum(li.amount_fen for li in lines)
            order.commission_fen = sum(li.commission_fen for li in lines)
            order.save(update_fields=["total_fen", "commission_fen"])
            paid_lines = [li for li in lines if li.amount_fen > 0]
            money.order_charges_post(order, paid_lines, unit=unit, today=timezone.localdate(now))
            if on_order is not None:
                on_order(order)
            audit_record(
                action="shop.order_checkout",
                target=order,
                changes={"merchant": merchant_id, "total_fen": order.total_fen, "lines": len(lines)},
            )
            orders.append(order)
        if from_cart:
            CartItem.objects.filter(cart__user=user).delete()
        for order in orders:
            # Free orders (all lines ¥0) and ones prepaid money settled at once are paid now.
            if money.order_is_paid(order) or order.total_fen == 0:
                order_mark_paid(order.pk, now=now)
    return [Order.objects.get(pk=o.pk) for o in orders]


# --- paid, expired, cancelled ---------------------------------------------------------------------------------


def _resident_url(order: Order) -> str:
    return f"/resident/shop/orders/{order.pk}/"


def _tell_resident(order: Order, kind: str, title: str, body: str = "") -> None:
    notification_send(
        recipient=order.user,
        kind=kind,
        title=title,
        body=body or f"{order.merchant_name} · {order.code}",
        url=_resident_url(order),
        payload={"order": order.pk, "status": order.status},
    )


def _index_sync(order: Order) -> None:
    MerchantOrder.objects.filter(tenant_id=connection.tenant.pk, order_id=order.pk).update(
        status=order.status, total_fen=order.total_fen, commission_fen=order.commission_fen
    )


def order_mark_paid(order_id: int, *, now: dt.datetime | None = None) -> int:
    """A pending order whose lines are all paid becomes paid, once (under its row lock; the caller holds the
    unit's ledger lock): it then reaches its merchant (the index row, a notice, a live push). Returns 1 when
    this call made it paid."""
    now = now or timezone.now()
    locked = money.order_lock(order_id)
    if locked.status != OrderStatus.PENDING_PAYMENT:
        return 0
    ids = money.order_line_ids(locked)
    if ids and not money.lines_paid(ids):
        return 0
    locked.status = OrderStatus.PAID
    locked.paid_at = now
    locked.payment = money._settling_payment(ids) if ids else None
    locked.save(update_fields=["status", "paid_at", "payment"])
    audit_record(action="shop.order_paid", target=locked, changes={"payment": locked.payment_id})
    _tell_resident(locked, "shop.order_paid", _("Order paid"))
    if not order_held(locked.pk):  # a group-buy's order reaches its merchant when its deal succeeds
        order_reach_merchant(locked, now=now)
    return 1


def _release(locked: Order) -> bool:
    """Give the order's stock and slot places back, once (the order row is locked by the caller)."""
    if not locked.reserved:
        return False
    for line in locked.lines.all():
        _give_back(line)
    locked.reserved = False
    locked.save(update_fields=["reserved"])
    return True


def orders_expire(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Pending orders not paid in time expire: their reservations are released and their unpaid lines
    corrected; one whose online payment is in flight waits (as the club's holds). Each in its own short
    transaction, skipping rows another worker holds."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now).values_list("pk", "unit_id")[
            :limit
        ]
    )
    expired = 0
    for pk, unit_id in due:
        with transaction.atomic():
            unit_lock(unit_id)
            locked = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now)
                .first()
            )
            if locked is None:
                continue
            ids = money.order_line_ids(locked)
            if lines_payment_in_flight(unit_id=unit_id, line_ids=ids, hold_expires_at=locked.expires_at, now=now):
                continue
            if ids and money.lines_paid(ids):
                order_mark_paid(pk, now=now)  # paid some other way meanwhile
                continue
            locked.status = OrderStatus.EXPIRED
            locked.closed_at = now
            locked.save(update_fields=["status", "closed_at"])
            _release(locked)
            money.order_refund(locked, reason=_("Shop order %(code)s expired") % {"code": locked.code}, now=now)
            locked.save(update_fields=["refunded_fen", "refund_state", "refund_ids"])
            audit_record(action="shop.order_expire", target=locked)
            _tell_resident(locked, "shop.order_expired", _("Order expired (not paid in time)"))
            expired += 1
            money.order_refunds_on_commit(pk)
    return expired


# --- billing's payment hook ---------------------------------------------------------------------------------


def _pending_for_payments(payment_ids: Sequence[int]) -> list[int]:
    settled = LedgerEntry.objects.filter(payment_id__in=payment_ids, kind=LedgerEntry.Kind.SETTLE).values(
        "bill_line_id"
    )
    return list(
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, lines__charge_id__in=settled)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def orders_pay_for(payments: Sequence[Any]) -> int:
    """Billing's payment hook (inside the payment's transaction, the unit's lock held): pending orders these
    payments left fully paid become paid. Never raises (a failure must not refuse the payment: the sweep
    `pending_orders_check` catches up)."""
    try:
        ids = _pending_for_payments([p.pk for p in payments])
    except Exception:
        log.exception("shop: finding the orders paid by payments %s failed", [p.pk for p in payments])
        return 0
    done = 0
    for pk in ids:
        try:
            with transaction.atomic():
                done += order_mark_paid(pk)
        except Exception:
            log.exception("shop: marking order %s paid failed", pk)
    return done


def payment_pays_orders(payment: Any) -> None:
    orders_pay_for([payment])


def payments_pay_orders(payments: Sequence[Any]) -> None:
    orders_pay_for(payments)


# --- transitions ----------------------------------------------------------------------------------------------

MERCHANT_MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": ((OrderStatus.PAID,), OrderStatus.ACCEPTED),
    "dispatch": ((OrderStatus.ACCEPTED,), ""),  # in_delivery or in_service, by the order's lines
    "deliver": ((OrderStatus.IN_DELIVERY, OrderStatus.IN_SERVICE, OrderStatus.ACCEPTED), OrderStatus.DELIVERED),
}


def _refused(locked: Order) -> ApplicationError:
    return ApplicationError(
        _("This order is %(status)s: that cannot be done now.") % {"status": locked.get_status_display()},
        code="invalid_state",
        status=409,
    )


def order_close_with_refund(locked: Order, *, status: str, reason: str, now: dt.datetime) -> None:
    """Close an order the caller holds locked (select_for_update) with `status`, put back its stock and
    slots, and refund what was paid in full (after commit). The rejection, the lapse and a failed group-buy
    all end this way."""
    locked.status = status
    locked.closed_at = now
    _release(locked)
    money.order_refund(locked, reason=reason, now=now)
    locked.save(update_fields=["status", "closed_at", "reject_reason", "refunded_fen", "refund_state", "refund_ids"])
    _index_sync(locked)
    money.order_refunds_on_commit(locked.pk)


def order_merchant_move(
    *, order_id: int, merchant_id: int, action: str, by: User | None, now: dt.datetime | None = None
) -> Order:
    """The merchant accepts, dispatches (in delivery / in service) or marks delivered one of its orders."""
    now = now or timezone.now()
    if action not in MERCHANT_MOVES:
        raise ApplicationError.for_fields({"action": [_("Unknown action.")]})
    with transaction.atomic():
        locked = money.lock_unit_then_order(order_id)
        if locked.merchant_id != merchant_id:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        allowed, target = MERCHANT_MOVES[action]
        if locked.status not in allowed:
            raise _refused(locked)
        if action == "accept":
            locked.accepted_at = now
        elif action == "dispatch":
            goods = locked.lines.filter(kind=ListingKind.GOOD).exists()
            target = OrderStatus.IN_DELIVERY if goods else OrderStatus.IN_SERVICE
            locked.dispatched_at = now
        else:
            locked.delivered_at = now
        before = locked.status
        locked.status = target
        locked.save(update_fields=["status", "accepted_at", "dispatched_at", "delivered_at"])
        _index_sync(locked)
        audit_record(
            action=f"shop.order_{action}",
            target=locked,
            changes={"status": [before, target], "merchant_user": by.pk if by else None},
        )
        titles = {
            "accept": ("shop.order_accepted", _("Your order was accepted")),
            "dispatch": ("shop.order_dispatched", _("Your order is on its way")),
            "deliver": ("shop.order_delivered", _("Your order was delivered: please confirm")),
        }
        kind, title = titles[action]
        _tell_resident(locked, kind, title)
        _tell_merchant(locked, "shop.order_updated", _("Order %(code)s updated") % {"code": locked.code})
    return locked


def order_reject(
    *, order_id: int, merchant_id: int, reason: str, by: User | None, now: dt.datetime | None = None
) -> Order:
    """The merchant turns a paid order down, with a reason: everything is refunded and released."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.for_fields({"reason": [_("Say why you reject the order.")]})
    with transaction.atomic():
        locked = money.lock_unit_then_order(order_id)
        if locked.merchant_id != merchant_id:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        if locked.status != OrderStatus.PAID:
            raise _refused(locked)
        locked.reject_reason = reason[:300]
        order_close_with_refund(
            locked,
            status=OrderStatus.REJECTED,
            reason=_("Shop order %(code)s rejected: %(why)s") % {"code": locked.code, "why": reason[:200]},
            now=now,
        )
        audit_record(
            action="shop.order_reject",
            target=locked,
            changes={"reason": reason, "refunded_fen": locked.refunded_fen, "merchant_user": by.pk if by else None},
        )
        _tell_resident(locked, "shop.order_rejected", _("Your order was rejected"), body=reason)
        _tell_merchant(locked, "shop.order_updated", _("Order %(code)s rejected") % {"code": locked.code})
    return locked


def order_cancel(*, order_id: int, user: User, now: dt.datetime | None = None) -> Order:
    """The resident cancels an order before the merchant accepted it: released, and refunded in full when paid
    (its unpaid lines are simply owed no more)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = money.lock_unit_then_order(order_id)
        if locked.user_id != user.pk:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        if locked.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID):
            raise _refused(locked)
        was_paid = locked.status == OrderStatus.PAID
        order_close_with_refund(
            locked,
            status=OrderStatus.CANCELLED,
            reason=_("Shop order %(code)s cancelled by the resident") % {"code": locked.code},
            now=now,
        )
        audit_record(action="shop.order_cancel", target=locked, changes={"refunded_fen": locked.refunded_fen})
        _tell_resident(locked, "shop.order_cancelled", _("Order cancelled"))
        if was_paid and not order_held(locked.pk):  # a held order (group-buy) was never the merchant's
            _tell_merchant(locked, "shop.order_updated", _("Order %(code)s cancelled") % {"code": locked.code})
    return locked


def order_confirm(*, order_id: int, user: User | None, now: dt.datetime | None = None) -> Order:
    """The resident confirms receipt (user None: the auto-complete sweep) → completed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = money.lock_unit_then_order(order_id)
        if user is not None and locked.user_id != user.pk:
            raise ApplicationError(_("Not found."), code="not_found", status=404)
        if locked.status != OrderStatus.DELIVERED:
            raise _refused(locked)
        locked.status = OrderStatus.COMPLETED
        locked.completed_at = locked.closed_at = now
        locked.save(update_fields=["status", "completed_at", "closed_at"])
        _index_sync(locked)
        if locked.reserved:  # sold: the stock stays taken; counted as sales
            Listing.objects.filter(pk__in=locked.lines.values("listing_id")).update(sales=F("sales") + 1)
            locked.reserved = False
            locked.save(update_fields=["reserved"])
        audit_record(action="shop.order_complete", target=locked, changes={"auto": user is None})
        _tell_resident(locked, "shop.order_completed", _("Order completed"))
        _tell_merchant(locked, "shop.order_updated", _("Order %(code)s completed") % {"code": locked.code})
    return locked


def orders_auto_complete(*, now: dt.datetime | None = None) -> int:
    """Delivered orders the resident did not confirm within SHOP_ORDER_AUTO_COMPLETE_DAYS complete by themselves."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=auto_complete_days())
    done = 0
    for pk in Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lte=cutoff).values_list("pk", flat=True):
        try:
            order_confirm(order_id=pk, user=None, now=now)
            done += 1
        except ApplicationError:
            continue
    return done


def pending_orders_check(*, now: dt.datetime | None = None) -> int:
    """The sweep behind the payment hook: pending orders whose lines were paid some other way become paid."""
    done = 0
    for pk, unit_id in Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).values_list("pk", "unit_id"):
        order = Order.objects.get(pk=pk)
        ids = money.order_line_ids(order)
        if ids and money.lines_paid(ids):
            with transaction.atomic():
                unit_lock(unit_id)
                done += order_mark_paid(pk, now=now)
    return done
