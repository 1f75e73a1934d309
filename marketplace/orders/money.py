"""The money of shop orders, through the ledger and the existing payments flow (the club's bookings are the
model): each order line is a one-off bill line on the home's ledger (fee item `shop` of the home's office,
category "paid service", made on first use); the resident pays the lines online (`POST
/api/v1/payments/online/` with their ids: a Stripe PaymentIntent on the company's account, Idempotency-Key, the
webhook decides), and billing's payment hook marks the order paid inside the payment's transaction, once (its
status under its row lock). A refund corrects (红冲) the paid lines, which turns the money into the home's
prepaid credit, and sends what came from a card back to it (payments' Refund rows; the row's pk is Stripe's
idempotency key), never more than a line was paid.

Locks: the unit's ledger lock before the order's row lock, the order a payment takes them in."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from backend.billing.ledger import adhoc_charge_post, unit_lock, waiver_post
from backend.billing.models import BillLine, FeeItem, LedgerEntry, Payment
from backend.billing.models.fees import ChargeMethod, Cycle, FeeCategory
from backend.club.money import line_charged_left, lines_paid, rules_approver
from backend.errors import ApplicationError
from backend.payments.models import Refund
from backend.payments.refunds import ONLINE_CHANNELS, refund_left, refund_request, refund_send
from backend.properties.models import Unit
from marketplace.settlement.ledger import payables_record_order
from tenants.db import connection

from .models import Order, OrderLine, OrderStatus, RefundState

log = logging.getLogger(__name__)

FEE_CODE = "shop"


def shop_fee_item(office_id: int) -> FeeItem:
    item, _created = FeeItem.objects.get_or_create(
        office_id=office_id,
        code=FEE_CODE,
        defaults={
            "name": _("Shop order"),
            "category": FeeCategory.SERVICE,
            "method": ChargeMethod.FIXED,
            "cycle": Cycle.ONE_OFF,
        },
    )
    return item


def order_charges_post(order: Order, lines: Sequence[OrderLine], *, unit: Unit, today: dt.date | None = None) -> None:
    """Post each line of a new order as a bill line, due the checkout's day (inside the checkout's transaction,
    unit locked)."""
    item = shop_fee_item(unit.office_id)
    today = today or timezone.localdate()
    for line in lines:
        what = f"{order.merchant_name}: {line.title}"
        if line.variant_name:
            what += f" ({line.variant_name})"
        line.charge = adhoc_charge_post(
            unit=unit,
            fee_item=item,
            amount=line.amount_fen,
            description=f"{what} × {line.quantity} [{order.code}]",
            due_date=today,
            today=today,
        )
        line.save(update_fields=["charge"])


def order_line_ids(order: Order) -> list[int]:
    return list(order.lines.exclude(charge=None).order_by("id").values_list("charge_id", flat=True))


def order_payable(order: Order) -> dict[str, Any]:
    """What to pay for a pending order: its bill lines still owed, and the pay page that takes them."""
    ids = order_line_ids(order) if order.status == OrderStatus.PENDING_PAYMENT else []
    owed = BillLine.objects.filter(pk__in=ids, outstanding__gt=0)
    line_ids = list(owed.order_by("id").values_list("id", flat=True))
    amount = int(owed.aggregate(s=Sum("outstanding"))["s"] or 0)
    query = "&".join(f"lines={pk}" for pk in line_ids)
    return {
        "line_ids": line_ids,
        "amount_fen": amount,
        "pay_url": f"/resident/pay/?unit={order.unit_id}&{query}" if line_ids else "",
    }


def order_lock(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).get(pk=order_id)


def _settling_payment(line_ids: Sequence[int]) -> Payment | None:
    entry = (
        LedgerEntry.objects.filter(bill_line_id__in=line_ids, kind=LedgerEntry.Kind.SETTLE)
        .select_related("payment")
        .order_by("-id")
        .first()
    )
    return entry.payment if entry is not None else None


def order_lines_correct(locked: Order, *, reason: str, amounts: Mapping[int, int] | None = None) -> dict[int, int]:
    """Correct (红冲) what is still charged on each line of the order (unit locked, order locked): an unpaid
    line is owed no more; a paid one's money goes back to its payment as prepaid credit. Each line's refunded
    part is recorded (never above its amount). `amounts` ({order line id: fen}): only these lines, at most
    that much each (a refund per line). Returns {order line id: fen corrected of what had been paid}."""
    approver = rules_approver()
    paid_back: dict[int, int] = {}
    for line in locked.lines.select_related("charge").order_by("id"):
        charge = line.charge  # read with the lines, under the unit's lock
        if charge is None or (amounts is not None and line.pk not in amounts):
            continue
        left = line_charged_left(charge.pk)
        if amounts is not None:
            left = min(left, amounts[line.pk])
        if left <= 0:
            continue
        owed = charge.outstanding
        waiver_post(
            line=charge,
            amount=left,
            reason=reason,
            approved_by=approver,
            created_by=None,
            kind=LedgerEntry.WaiverKind.CORRECTION,
        )
        paid_part = max(0, left - int(owed))
        if paid_part:
            back = min(paid_part, line.amount_fen - line.refunded_fen)
            line.refunded_fen += back
            line.save(update_fields=["refunded_fen"])
            paid_back[line.pk] = back
    if paid_back:
        locked.refunded_fen = min(locked.total_fen, locked.refunded_fen + sum(paid_back.values()))
    return paid_back


def _last_entry_id() -> int:
    return LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def order_refund(
    locked: Order, *, reason: str, amounts: Mapping[int, int] | None = None, now: dt.datetime | None = None
) -> list[int]:
    """Give an order's money back in full, or `amounts` ({order line id: fen}) of some lines (inside the
    caller's transaction, unit and order locked): the lines are corrected and, for each online payment that
    credit went to, a Refund row is requested (sent to Stripe after commit by `order_refunds_send`). Returns
    the refund ids."""
    since = _last_entry_id()
    line_charges = order_line_ids(locked)
    order_lines_correct(locked, reason=reason, amounts=amounts)
    credited: dict[int, int] = {}
    for payment_id, amount in LedgerEntry.objects.filter(
        id__gt=since, kind=LedgerEntry.Kind.UNSETTLE, bill_line_id__in=line_charges
    ).values_list("payment_id", "amount"):
        credited[payment_id] = credited.get(payment_id, 0) + int(amount)
    made: list[int] = []
    for payment in Payment.objects.filter(pk__in=credited, channel__in=ONLINE_CHANNELS, reference__startswith="pi_"):
        amount = min(credited[payment.pk], refund_left(payment))
        if amount > 0:
            made.append(refund_request(payment=payment, amount=amount, reason=reason, by=None).pk)
    locked.refund_ids = [*locked.refund_ids, *made]
    if locked.refunded_fen:
        locked.refund_state = RefundState.GATEWAY if made else RefundState.DONE
    # the merchant's refunds and the commission given back, same transaction, dated when it was decided
    payables_record_order(locked, now=now)
    return made


def order_refunds_send(order_id: int) -> None:
    """Send the order's requested card refunds to Stripe (no transaction open). A refund Stripe refused leaves
    the money as the home's prepaid credit (the correction already gave it there), never lost."""
    order = Order.objects.get(pk=order_id)
    for refund in Refund.objects.filter(pk__in=order.refund_ids, status=Refund.Status.REQUESTED).select_related(
        "payment"
    ):
        try:
            refund_send(refund)
        except ApplicationError as exc:
            log.warning("shop: card refund %s of order %s not made: %s", refund.pk, order_id, exc.code)
    waiting = Refund.objects.filter(pk__in=order.refund_ids, status=Refund.Status.REQUESTED).exists()
    if order.refund_state == RefundState.GATEWAY and not waiting:
        Order.objects.filter(pk=order_id, refund_state=RefundState.GATEWAY).update(refund_state=RefundState.DONE)


def order_refunds_on_commit(order_id: int) -> None:
    """Send the order's refunds once the deciding transaction commits, in the order's company's schema (a
    merchant decides from the platform domain, inside that company's tenant_context)."""
    tenant = connection.tenant

    def run() -> None:
        try:
            with tenant_context(tenant):
                order_refunds_send(order_id)
        except Exception:  # noqa: BLE001 - the decision stands; the payments' refund recheck reconciles later
            log.exception("shop: sending the refunds of order %s failed", order_id)

    transaction.on_commit(run)


def lock_unit_then_order(order_id: int) -> Order:
    unit_id = Order.objects.values_list("unit_id", flat=True).get(pk=order_id)
    unit_lock(unit_id)
    return order_lock(order_id)


def order_is_paid(order: Order) -> bool:
    return lines_paid(order_line_ids(order))


def order_refunds_sweep(limit: int = 200) -> int:
    """The periodic retry: orders whose card refunds are still waiting (Stripe unreachable after the decision,
    a worker that died) send them again; returns how many orders were looked at."""
    ids = list(Order.objects.filter(refund_state=RefundState.GATEWAY).values_list("pk", flat=True)[:limit])
    for pk in ids:
        try:
            order_refunds_send(pk)
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("shop: the refund sweep of order %s failed", pk)
    return len(ids)
