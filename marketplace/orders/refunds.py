"""Refunds per line after delivery (issue 15 part 4): the resident asks for part or all of what one line
cost, with a reason and photos; the merchant approves it (in full or in part) or declines it; a declined
request can be escalated to the company (staff holding marketplace_manage), whose decision is final.

Rules: only on a delivered, completed or reviewed order, within SHOP_REFUND_REQUEST_DAYS of delivery; the
amount is at most what was paid for the line less what went back already (and less nothing else: one open
request per line); an approval refunds at most what was asked. Each approval gives the money back through
money.order_refund (the ledger's correction, then Stripe for what came from a card, after commit).

Every transition is one transaction taking the unit's ledger lock, the order's row lock, then the request's
row lock (the order money.py takes them in), and re-checks the request's status under them: two approvals at
once refund once, the second is refused. Each is audited and told live: the merchant by notify_merchant (its
/ws/merchant/ socket), the resident and the company's staff by notifications (their company socket)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError, not_found
from backend.notifications.services import notification_send
from backend.properties.scope import Scope
from backend.uploads.validation import AcceptedUpload
from marketplace.aftersale_index.models import RefundEntry
from marketplace.notices import notify_merchant
from marketplace.orders_index.models import MerchantOrder
from tenants.db import connection

from . import money
from .aftersale_common import photos_add, photos_check, staff_scope_q, tell_staff, text_clean
from .aftersale_models import OPEN_REFUND, RefundRequest, RefundStatus
from .models import Order, OrderLine, OrderStatus

AFTER_DELIVERY = (OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.REVIEWED)


def request_days() -> int:
    return int(getattr(settings, "SHOP_REFUND_REQUEST_DAYS", 15))


def line_refundable(line: OrderLine) -> int:
    """What may still be asked back for a line: what was paid for it less what went back already."""
    return max(0, line.amount_fen - line.refunded_fen)


def _refused(message: str, code: str = "invalid_state", status: int = 409) -> ApplicationError:
    return ApplicationError(message, code=code, status=status)


def _locked(request_id: int) -> tuple[Order, RefundRequest]:
    """The unit's ledger lock, the order's row lock, then the request's."""
    order_id = RefundRequest.objects.filter(pk=request_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise not_found()
    order = money.lock_unit_then_order(order_id)
    locked = RefundRequest.objects.select_for_update(of=("self",)).select_related("line").get(pk=request_id)
    return order, locked


def _index(req: RefundRequest, order: Order) -> None:
    entry = MerchantOrder.objects.filter(tenant_id=connection.tenant.pk, order_id=order.pk).first()
    if entry is None:  # every order after delivery was paid, so it is indexed
        return
    RefundEntry.objects.update_or_create(
        tenant_id=connection.tenant.pk,
        request_id=req.pk,
        defaults={
            "merchant_id": req.merchant_id,
            "order_entry": entry,
            "code": order.code,
            "status": req.status,
            "amount_fen": req.amount_fen,
            "approved_fen": req.approved_fen,
            "created_at": req.created_at,
        },
    )


def resident_url(order_id: int) -> str:
    return f"/resident/shop/orders/{order_id}/"


def staff_url(req: RefundRequest) -> str:
    return f"/staff/marketplace/refunds/{req.pk}/"


def _tell_resident(req: RefundRequest, order: Order, kind: str, title: str, body: str = "") -> None:
    notification_send(
        recipient=order.user,
        kind=kind,
        title=title,
        body=body or f"{order.merchant_name} · {order.code} · {req.line.title}",
        url=resident_url(order.pk),
        payload={"order": order.pk, "refund": req.pk, "status": req.status},
    )


def _tell_merchant(req: RefundRequest, order: Order, kind: str, title: str) -> None:
    entry_id = (
        MerchantOrder.objects.filter(tenant_id=connection.tenant.pk, order_id=order.pk)
        .values_list("pk", flat=True)
        .first()
    )
    notify_merchant(
        merchant_id=order.merchant_id,
        tenant_id=connection.tenant.pk,
        kind=kind,
        title=title,
        body=f"{order.code} · {req.line.title} · ¥{req.amount_fen / 100:.2f}",
        data={"order": entry_id, "refund": req.pk, "tenant": connection.tenant.pk, "status": req.status},
    )


def _amount(value: Any, field: str = "amount_fen") -> int:
    try:
        amount = int(value)
    except (TypeError, ValueError):
        raise ApplicationError.for_fields({field: [_("Enter an amount in fen.")]}) from None
    if amount <= 0:
        raise ApplicationError.for_fields({field: [_("The amount must be more than ¥0.")]})
    return amount


# --- the resident -----------------------------------------------------------------------------------------


def refund_request_create(
    *,
    user: User,
    order_id: int,
    line_id: int,
    amount_fen: Any,
    reason: str,
    photos: Sequence[AcceptedUpload] | None = None,
    now: dt.datetime | None = None,
) -> RefundRequest:
    """The resident asks for `amount_fen` of one line of their delivered order back."""
    now = now or timezone.now()
    reason = text_clean(reason, "reason", required=True)
    amount = _amount(amount_fen)
    images = photos_check(photos)
    with transaction.atomic():
        if not Order.objects.filter(pk=order_id, user=user).exists():
            raise not_found()
        order = money.lock_unit_then_order(order_id)
        line = OrderLine.objects.select_for_update().filter(pk=line_id, order=order).first()
        if line is None:
            raise ApplicationError.for_fields({"line": [_("Choose a line of this order.")]})
        if order.status not in AFTER_DELIVERY or order.delivered_at is None:
            raise _refused(_("A refund can be asked for once the order was delivered."))
        if now > order.delivered_at + dt.timedelta(days=request_days()):
            raise _refused(
                _("Refunds can be asked for within %(n)s days of delivery.") % {"n": request_days()}, code="too_late"
            )
        if RefundRequest.objects.filter(line=line, status__in=OPEN_REFUND).exists():
            raise _refused(_("This line already has a refund request open."), code="already_open")
        left = line_refundable(line)
        if amount > left:
            raise ApplicationError(
                _("At most ¥%(max).2f can be refunded on this line.") % {"max": left / 100},
                code="over_refund",
                fields={"amount_fen": [_("At most ¥%(max).2f.") % {"max": left / 100}]},
            )
        req = RefundRequest.objects.create(
            order=order,
            line=line,
            user=user,
            unit_id=order.unit_id,
            merchant_id=order.merchant_id,
            amount_fen=amount,
            reason=reason,
        )
        count = photos_add(images, refund=req)
        _index(req, order)
        audit_record(
            action="shop.refund_request",
            target=req,
            changes={"order": order.pk, "line": line.pk, "amount_fen": amount, "photos": count},
        )
        _tell_merchant(req, order, "shop.refund_requested", _("Refund requested"))
    return req


def refund_withdraw(*, request_id: int, user: User) -> RefundRequest:
    with transaction.atomic():
        order, req = _locked(request_id)
        if req.user_id != user.pk:
            raise not_found()
        if req.status != RefundStatus.PENDING:
            raise _refused(_("Only a request the merchant has not decided can be withdrawn."))
        req.status = RefundStatus.WITHDRAWN
        req.save(update_fields=["status"])
        _index(req, order)
        audit_record(action="shop.refund_withdraw", target=req)
        _tell_merchant(req, order, "shop.refund_withdrawn", _("Refund request withdrawn"))
    return req


def refund_escalate(*, request_id: int, user: User, note: str, now: dt.datetime | None = None) -> RefundRequest:
    """The resident takes a declined request to the company."""
    now = now or timezone.now()
    note = text_clean(note, "note", required=True)
    with transaction.atomic():
        order, req = _locked(request_id)
        if req.user_id != user.pk:
            raise not_found()
        if req.status != RefundStatus.DECLINED:
            raise _refused(_("Only a request the merchant declined can be taken to the property company."))
        if RefundRequest.objects.filter(line_id=req.line_id, status__in=OPEN_REFUND).exists():
            raise _refused(_("This line already has a refund request open."), code="already_open")
        req.status = RefundStatus.ESCALATED
        req.escalation_note = note
        req.escalated_at = now
        req.save(update_fields=["status", "escalation_note", "escalated_at"])
        _index(req, order)
        audit_record(action="shop.refund_escalate", target=req, changes={"note": note})
        tell_staff(
            order.unit,
            kind="shop.refund_escalated",
            title=_("A refund dispute needs a decision"),
            body=f"{order.merchant_name} · {order.code} · ¥{req.amount_fen / 100:.2f}",
            url=staff_url(req),
            payload={"refund": req.pk, "order": order.pk},
        )
        _tell_merchant(req, order, "shop.refund_escalated", _("Refund taken to the property company"))
    return req


# --- deciding ----------------------------------------------------------------------------------------------


def _refund_apply(
    order: Order, req: RefundRequest, amount: int, *, by_company: bool, now: dt.datetime | None = None
) -> None:
    """Give `amount` of the request's line back through money.order_refund (unit, order, request locked)."""
    line = OrderLine.objects.select_for_update().get(pk=req.line_id)
    if amount > line_refundable(line):
        raise ApplicationError(
            _("At most ¥%(max).2f can be refunded on this line.") % {"max": line_refundable(line) / 100},
            code="over_refund",
            fields={"amount_fen": [_("At most ¥%(max).2f.") % {"max": line_refundable(line) / 100}]},
        )
    before = line.refunded_fen
    who = _("the property company") if by_company else order.merchant_name
    reason = _("Shop order %(code)s: refund of %(title)s approved by %(who)s") % {
        "code": order.code,
        "title": line.title,
        "who": who,
    }
    made = money.order_refund(order, reason=reason, amounts={line.pk: amount}, now=now)
    line.refresh_from_db(fields=["refunded_fen"])
    if line.refunded_fen - before != amount:
        # Not what was decided (the line's charge was corrected some other way): nothing happens.
        raise ApplicationError(_("This line cannot be refunded that much now."), code="over_refund", status=409)
    order.save(update_fields=["refunded_fen", "refund_state", "refund_ids"])
    req.approved_fen = amount
    req.refund_ids = [*req.refund_ids, *made]
    money.order_refunds_on_commit(order.pk)


def _decision_amount(req: RefundRequest, approve: bool, amount_fen: Any) -> int:
    if not approve:
        return 0
    amount = req.amount_fen if amount_fen in (None, "") else _amount(amount_fen)
    if amount > req.amount_fen:
        raise ApplicationError.for_fields(
            {"amount_fen": [_("At most what was asked for: ¥%(max).2f.") % {"max": req.amount_fen / 100}]}
        )
    return amount


def refund_merchant_decide(
    *,
    request_id: int,
    merchant_id: int,
    approve: bool,
    amount_fen: Any = None,
    note: str = "",
    by: User | None,
    now: dt.datetime | None = None,
) -> RefundRequest:
    """The merchant approves (all that was asked, or `amount_fen` of it) or declines (with a note)."""
    now = now or timezone.now()
    note = text_clean(note, "note", required=not approve)
    with transaction.atomic():
        order, req = _locked(request_id)
        if req.merchant_id != merchant_id or order.merchant_id != merchant_id:
            raise not_found()
        if req.status != RefundStatus.PENDING:
            raise _refused(_("This refund request was already decided."), code="already_decided")
        amount = _decision_amount(req, approve, amount_fen)
        if approve:
            _refund_apply(order, req, amount, by_company=False, now=now)
        req.status = RefundStatus.APPROVED if approve else RefundStatus.DECLINED
        req.merchant_note = note
        req.merchant_decided_at = now
        req.merchant_decided_by = by
        req.save(
            update_fields=[
                "status",
                "approved_fen",
                "refund_ids",
                "merchant_note",
                "merchant_decided_at",
                "merchant_decided_by",
            ]
        )
        _index(req, order)
        audit_record(
            action="shop.refund_approve" if approve else "shop.refund_decline",
            target=req,
            changes={"approved_fen": amount, "note": note, "merchant_user": by.pk if by else None},
        )
        if approve:
            title = (
                _("Refund approved in part: ¥%(n).2f") % {"n": amount / 100}
                if amount < req.amount_fen
                else _("Refund approved: ¥%(n).2f") % {"n": amount / 100}
            )
        else:
            title = _("Refund declined by the merchant")
        _tell_resident(req, order, "shop.refund_decided", title, body=note)
        _tell_merchant(req, order, "shop.refund_decided", _("Refund request decided"))
    return req


def refund_company_decide(
    *,
    request_id: int,
    approve: bool,
    amount_fen: Any = None,
    note: str,
    by: User | None,
    scope: Scope,
    now: dt.datetime | None = None,
) -> RefundRequest:
    """The company's final word on an escalated request (staff with marketplace_manage, within their scope)."""
    now = now or timezone.now()
    note = text_clean(note, "note", required=True)
    with transaction.atomic():
        if not RefundRequest.objects.filter(staff_scope_q(scope), pk=request_id).exists():
            raise not_found()
        order, req = _locked(request_id)
        if req.status != RefundStatus.ESCALATED:
            raise _refused(_("Only an escalated request can be decided by the company."), code="already_decided")
        amount = _decision_amount(req, approve, amount_fen)
        if approve:
            _refund_apply(order, req, amount, by_company=True, now=now)
        req.status = RefundStatus.COMPANY_APPROVED if approve else RefundStatus.COMPANY_DECLINED
        req.company_note = note
        req.company_decided_at = now
        req.company_decided_by = by
        req.save(
            update_fields=[
                "status",
                "approved_fen",
                "refund_ids",
                "company_note",
                "company_decided_at",
                "company_decided_by",
            ]
        )
        _index(req, order)
        audit_record(
            action="shop.refund_company_approve" if approve else "shop.refund_company_decline",
            target=req,
            changes={"approved_fen": amount, "note": note},
        )
        title = (
            _("The property company approved your refund: ¥%(n).2f") % {"n": amount / 100}
            if approve
            else _("The property company declined your refund")
        )
        _tell_resident(req, order, "shop.refund_decided", title, body=note)
        _tell_merchant(req, order, "shop.refund_decided", _("The property company decided a refund"))
    return req


# --- reads -------------------------------------------------------------------------------------------------


def staff_refunds(scope: Scope, *, status: str = RefundStatus.ESCALATED) -> Any:
    qs = RefundRequest.objects.filter(staff_scope_q(scope)).select_related("order", "line", "unit")
    if status and status != "all":
        qs = qs.filter(status=status)
    elif status == "all":
        qs = qs.filter(escalated_at__isnull=False)
    return qs


def staff_refund_get(scope: Scope, pk: int) -> RefundRequest | None:
    """An escalated (or once escalated) request within the caller's scope."""
    return (
        RefundRequest.objects.filter(staff_scope_q(scope), pk=pk, escalated_at__isnull=False)
        .select_related("order", "line", "unit")
        .first()
    )
