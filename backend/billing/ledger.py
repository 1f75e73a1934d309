"""Writes to the ledger: payments, settlement of the prepaid balance, refunds, waivers, deposits and one-off
charges. Every function here takes the unit's lock first, so two cashiers (or a cashier and a webhook) never
settle the same line twice, and posts only new rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.notifications.recipients import Recipients
from backend.notifications.services import notification_send, notify
from backend.properties.models import Unit
from tenants.db import connection

from . import hooks
from .models import BillLine, Deposit, FeeItem, LedgerEntry, Payment, WaiverRequest
from .selectors import (
    deposit_held,
    lines_with_balances,
    owed_lines,
    payment_refundable,
    payment_unallocated,
    payments_with_credit,
)


def unit_lock(unit_id: int) -> None:
    """Serialise every money movement of one unit (transaction-scoped advisory lock, per company schema)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", [int(unit_id)])


def _today() -> dt.date:
    """The company's today: what a write is dated with unless its caller names the business date (`today=`:
    a replay, a back-dated correction)."""
    return timezone.localdate()


def _uid(user: User | None) -> int | None:
    return user.pk if user is not None else None


class PaymentRecorded(NamedTuple):
    """What `payment_record` did: `created` is False when an idempotency key's payment was there already (a
    retried request, a second webhook), so a caller can answer a replay as one without a lock of its own."""

    payment: Payment
    created: bool


def _settle(
    *, payment: Payment, lines: Iterable[BillLine], available: int, by: User | None, today: dt.date | None = None
) -> int:
    """Settle `lines` (annotated with owed) from `payment`, greedily in the given order. Returns what was used."""
    used = 0
    rows = []
    for line in lines:
        take = min(int(line.owed), available - used)  # type: ignore[attr-defined]
        if take <= 0:
            continue
        rows.append(
            LedgerEntry(
                unit_id=line.unit_id,
                kind=LedgerEntry.Kind.SETTLE,
                amount=take,
                bill_line=line,
                payment=payment,
                occurred_on=today or _today(),
                created_by_id=_uid(by),
            )
        )
        used += take
        if used >= available:
            break
    LedgerEntry.objects.bulk_create(rows)
    return used


def payment_record(
    *,
    unit: Unit,
    amount: int,
    method: str,
    channel: str = Payment.Channel.COUNTER,
    line_ids: Sequence[int] | None = None,
    to_prepaid: bool = False,
    reference: str = "",
    payer_name: str = "",
    note: str = "",
    received_at: dt.datetime | None = None,
    recorded_by: User | None = None,
    idempotency_key: str | None = None,
    today: dt.date | None = None,
) -> PaymentRecorded:
    """Record money received for a unit and settle bill lines with it.

    - `line_ids`: settle exactly these lines (in the company's settlement order); what is left of the payment
      goes to the prepaid balance.
    - neither `line_ids` nor `to_prepaid`: settle whatever the unit owes, oldest first (by the company's order).
    - `to_prepaid`: a top-up (预收); it settles bills when they are issued.
    - `idempotency_key`: the same key returns the payment already recorded (a retried request, a second
      webhook) instead of recording it twice, with `created` False; the check runs under the unit's lock,
      so it is exact.
    - `today`: the business date the settlements are dated with (default: the company's today).
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = [_("Enter an amount above zero.")]
    if method not in Payment.Method.values:
        errors["method"] = [_("Choose a payment method.")]
    if channel not in Payment.Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    if to_prepaid and line_ids:
        errors["line_ids"] = [_("A top-up of the prepaid balance does not settle chosen lines.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        unit_lock(unit.pk)
        if idempotency_key:
            existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if existing.unit_id != unit.pk or existing.amount != amount:
                    raise ApplicationError(
                        _("This idempotency key was already used for a different payment."),
                        code="idempotency_conflict",
                        status=409,
                    )
                return PaymentRecorded(existing, created=False)
        lines: list[BillLine] = []
        if line_ids is not None:
            wanted = list(dict.fromkeys(int(i) for i in line_ids))
            known = set(BillLine.objects.filter(unit_id=unit.pk, pk__in=wanted).values_list("pk", flat=True))
            if missing := [i for i in wanted if i not in known]:
                raise ApplicationError.for_fields(
                    {"line_ids": [_("Lines %(ids)s are not this unit's.") % {"ids": ", ".join(map(str, missing))}]}
                )
            lines = owed_lines(unit.pk, line_ids=wanted)
        elif not to_prepaid:
            lines = owed_lines(unit.pk)
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    unit=unit,
                    amount=amount,
                    method=method,
                    channel=channel,
                    reference=reference[:80],
                    payer_name=payer_name[:60],
                    note=note[:200],
                    to_prepaid=to_prepaid,
                    idempotency_key=idempotency_key or None,
                    received_at=received_at or timezone.now(),
                    recorded_by=recorded_by,
                )
        except IntegrityError:
            # Same key, another unit, at the same moment: the other request won.
            raise ApplicationError(
                _("This idempotency key was already used for a different payment."),
                code="idempotency_conflict",
                status=409,
            ) from None
        nothing_owed = not to_prepaid and not lines
        LedgerEntry.objects.create(
            unit=unit,
            kind=LedgerEntry.Kind.PREPAYMENT if (to_prepaid or nothing_owed) else LedgerEntry.Kind.PAYMENT,
            amount=amount,
            payment=payment,
            occurred_on=timezone.localdate(payment.received_at),
            created_by=recorded_by,
        )
        settled = _settle(payment=payment, lines=lines, available=amount, by=recorded_by, today=today)
        hooks.payment_recorded(payment)
        audit_record(
            action="billing.payment_record",
            target=payment,
            object_repr=f"{unit.label} ¥{amount / 100:.2f}",
            changes={
                "amount": amount,
                "method": method,
                "channel": channel,
                "settled": settled,
                "to_prepaid": amount - settled,
                "lines": [line.pk for line in lines],
            },
        )
    return PaymentRecorded(payment, created=True)


def prepaid_settle(
    unit_id: int, *, by: User | None = None, line_ids: Iterable[int] | None = None, today: dt.date | None = None
) -> int:
    """Apply the unit's prepaid balance to what it owes (oldest payment first, lines in the company's
    settlement order). Returns the fen settled. Called when bills are issued."""
    with transaction.atomic():
        unit_lock(unit_id)
        credits = payments_with_credit(unit_id)
        if not credits:
            return 0
        lines = owed_lines(unit_id, line_ids=line_ids)
        total = 0
        for payment, credit in credits:
            if not lines:
                break
            used = _settle(payment=payment, lines=lines, available=credit, by=by, today=today)
            total += used
            if used:
                lines = owed_lines(unit_id, line_ids=line_ids)
        if total:
            audit_record(
                action="billing.prepaid_settle",
                object_type="properties.unit",
                object_id=unit_id,
                changes={"settled": total},
            )
        return total


def refund_record(*, payment: Payment, amount: int, reason: str, by: User | None) -> LedgerEntry:
    """Give money back from a payment. It comes out of the payment's unallocated part first; beyond that
    the lines it settled (newest first) are reopened. Never more than was paid and not yet refunded."""
    if not isinstance(amount, int) or amount <= 0:
        raise ApplicationError.for_fields({"amount": [_("Enter an amount above zero.")]})
    if not reason.strip():
        raise ApplicationError.for_fields({"reason": [_("Give a reason for the refund.")]})
    with transaction.atomic():
        unit_lock(payment.unit_id)
        refundable = payment_refundable(payment)
        if amount > refundable:
            raise ApplicationError.for_fields(
                {"amount": [_("At most ¥%(max).2f can still be refunded.") % {"max": refundable / 100}]}
            )
        shortfall = amount - max(0, payment_unallocated(payment.pk))
        if shortfall > 0:
            per_line = lines_with_balances(BillLine.objects.filter(entries__payment=payment).distinct())
            settled_by_payment: dict[int, int] = {}
            for e in LedgerEntry.objects.filter(payment=payment, kind__in=["settle", "unsettle"]):
                sign = 1 if e.kind == "settle" else -1
                key = int(e.bill_line_id or 0)
                settled_by_payment[key] = settled_by_payment.get(key, 0) + sign * e.amount
            rows = []
            for line in per_line.order_by("-period_start", "-id"):
                take = min(settled_by_payment.get(line.pk, 0), shortfall)
                if take <= 0:
                    continue
                rows.append(
                    LedgerEntry(
                        unit_id=payment.unit_id,
                        kind=LedgerEntry.Kind.UNSETTLE,
                        amount=take,
                        bill_line=line,
                        payment=payment,
                        reason=reason[:300],
                        occurred_on=_today(),
                        created_by_id=_uid(by),
                    )
                )
                shortfall -= take
                if shortfall == 0:
                    break
            LedgerEntry.objects.bulk_create(rows)
        entry = LedgerEntry.objects.create(
            unit_id=payment.unit_id,
            kind=LedgerEntry.Kind.REFUND,
            amount=amount,
            payment=payment,
            reason=reason[:300],
            occurred_on=_today(),
            created_by=by,
        )
        audit_record(
            action="billing.refund_record",
            target=payment,
            changes={"amount": amount, "reason": reason, "refundable_before": refundable},
        )
    return entry


def _waivable(line: BillLine, kind: str) -> int:
    annotated = lines_with_balances(BillLine.objects.filter(pk=line.pk)).get()
    if kind == LedgerEntry.WaiverKind.CORRECTION:
        return int(annotated.charged - annotated.waived)  # type: ignore[attr-defined]
    return int(annotated.owed)  # type: ignore[attr-defined]


def waiver_request(
    *, line: BillLine, amount: int, reason: str, by: User, kind: str = LedgerEntry.WaiverKind.WAIVER
) -> WaiverRequest:
    """Ask for a waiver (减免, up to what is owed) or a correction (红冲, up to what was charged; a paid
    part goes back to the prepaid balance). A second person approves it."""
    errors: dict[str, list[str]] = {}
    if kind not in LedgerEntry.WaiverKind.values:
        errors["kind"] = [_("Choose waiver or correction.")]
    if not isinstance(amount, int) or amount <= 0:
        errors["amount"] = [_("Enter an amount above zero.")]
    if not reason.strip():
        errors["reason"] = [_("Give a reason.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    limit = _waivable(line, kind)
    if amount > limit:
        raise ApplicationError.for_fields({"amount": [_("At most ¥%(max).2f on this line.") % {"max": limit / 100}]})
    with transaction.atomic():
        request = WaiverRequest.objects.create(bill_line=line, kind=kind, amount=amount, reason=reason, requested_by=by)
        audit_record(
            action="billing.waiver_request", target=request, changes={"line": line.pk, "amount": amount, "kind": kind}
        )

        notify(
            recipients=Recipients(roles=tuple(sorted(perms.WAIVER_APPROVE.roles)), exclude_user_ids=(by.pk,)),
            kind="waiver.requested",
            title=_("Waiver to approve: %(unit)s ¥%(amount).2f") % {"unit": line.unit.label, "amount": amount / 100},
            body=reason,
            url="/staff/billing/waivers/",
        )
    return request


def waiver_post(
    *, line: BillLine, amount: int, reason: str, approved_by: User, created_by: User | None, kind: str
) -> LedgerEntry:
    """Post a credit on a line (inside the caller's transaction, unit locked)."""
    unit_lock(line.unit_id)
    limit = _waivable(line, kind)
    if amount > limit:
        raise ApplicationError.for_fields({"amount": [_("At most ¥%(max).2f on this line.") % {"max": limit / 100}]})
    owed = _waivable(line, LedgerEntry.WaiverKind.WAIVER)
    reopen = amount - max(owed, 0)
    if reopen > 0:
        # A correction of a paid line: the payments that settled it get that money back as prepaid credit.
        for e in LedgerEntry.objects.filter(bill_line=line, kind="settle").order_by("-id"):
            reversed_ = LedgerEntry.objects.filter(bill_line=line, payment=e.payment, kind="unsettle")
            net = e.amount - sum(u.amount for u in reversed_)
            take = min(net, reopen)
            if take <= 0:
                continue
            LedgerEntry.objects.create(
                unit_id=line.unit_id,
                kind=LedgerEntry.Kind.UNSETTLE,
                amount=take,
                bill_line=line,
                payment_id=e.payment_id,
                reason=reason[:300],
                occurred_on=_today(),
                created_by=created_by,
            )
            reopen -= take
            if reopen == 0:
                break
    return LedgerEntry.objects.create(
        unit_id=line.unit_id,
        kind=LedgerEntry.Kind.WAIVER,
        waiver_kind=kind,
        amount=amount,
        bill_line=line,
        reason=reason[:300],
        approved_by=approved_by,
        created_by=created_by,
        occurred_on=_today(),
    )


def waiver_decide(*, request: WaiverRequest, by: User, approve: bool, note: str = "") -> WaiverRequest:
    """Approve (posts the credit) or reject a pending waiver. The requester cannot approve their own."""
    if request.status != WaiverRequest.Status.PENDING:
        raise ApplicationError(_("This waiver was already decided."), code="already_decided")
    if approve and request.requested_by_id == by.pk:
        raise ApplicationError(_("A waiver needs a second person to approve it."), code="four_eyes", status=403)
    with transaction.atomic():
        locked = WaiverRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != WaiverRequest.Status.PENDING:
            raise ApplicationError(_("This waiver was already decided."), code="already_decided")
        if approve:
            locked.entry = waiver_post(
                line=locked.bill_line,
                amount=locked.amount,
                reason=locked.reason,
                approved_by=by,
                created_by=locked.requested_by,
                kind=locked.kind,
            )
        locked.status = WaiverRequest.Status.APPROVED if approve else WaiverRequest.Status.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note[:300]
        locked.save()
        audit_record(
            action="billing.waiver_approve" if approve else "billing.waiver_reject",
            target=locked,
            changes={"amount": locked.amount, "line": locked.bill_line_id, "note": note},
        )

        notification_send(
            recipient=locked.requested_by,
            kind="waiver.decided",
            title=(_("Waiver approved") if approve else _("Waiver rejected")) + f": {locked.bill_line.unit.label}",
            body=note,
            url="/staff/billing/waivers/",
        )
    return locked


def deposit_hold(
    *,
    unit: Unit,
    amount: int,
    purpose: str,
    method: str,
    reference: str = "",
    payer_name: str = "",
    received_at: dt.datetime | None = None,
    by: User | None = None,
) -> Deposit:
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or amount <= 0:
        errors["amount"] = [_("Enter an amount above zero.")]
    if not purpose.strip():
        errors["purpose"] = [_("Say what the deposit is for.")]
    if method not in Payment.Method.values:
        errors["method"] = [_("Choose a payment method.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        unit_lock(unit.pk)
        deposit = Deposit.objects.create(
            unit=unit,
            amount=amount,
            purpose=purpose[:100],
            method=method,
            reference=reference[:80],
            payer_name=payer_name[:60],
            received_at=received_at or timezone.now(),
            recorded_by=by,
        )
        LedgerEntry.objects.create(
            unit=unit,
            kind=LedgerEntry.Kind.DEPOSIT_HELD,
            amount=amount,
            deposit=deposit,
            reason=purpose[:300],
            occurred_on=timezone.localdate(deposit.received_at),
            created_by=by,
        )
        audit_record(action="billing.deposit_hold", target=deposit, changes={"amount": amount, "purpose": purpose})
    return deposit


def deposit_release(
    *,
    deposit: Deposit,
    refund: int = 0,
    forfeit: int = 0,
    reason: str,
    by: User | None,
    today: dt.date | None = None,
) -> list[LedgerEntry]:
    """Refund and/or forfeit (part of) a held deposit; never more than is still held."""
    if refund < 0 or forfeit < 0 or refund + forfeit <= 0:
        raise ApplicationError.for_fields({"refund": [_("Refund or forfeit an amount above zero.")]})
    if not reason.strip():
        raise ApplicationError.for_fields({"reason": [_("Give a reason.")]})
    with transaction.atomic():
        unit_lock(deposit.unit_id)
        held = deposit_held(deposit.pk)
        if refund + forfeit > held:
            raise ApplicationError.for_fields(
                {"refund": [_("Only ¥%(held).2f of this deposit is still held.") % {"held": held / 100}]}
            )
        entries = [
            LedgerEntry.objects.create(
                unit_id=deposit.unit_id,
                kind=kind,
                amount=value,
                deposit=deposit,
                reason=reason[:300],
                occurred_on=today or _today(),
                created_by=by,
            )
            for kind, value in (
                (LedgerEntry.Kind.DEPOSIT_REFUNDED, refund),
                (LedgerEntry.Kind.DEPOSIT_FORFEITED, forfeit),
            )
            if value
        ]
        audit_record(
            action="billing.deposit_release",
            target=deposit,
            changes={"refund": refund, "forfeit": forfeit, "held_before": held, "reason": reason},
        )
    return entries


def adhoc_charge_post(
    *,
    unit: Unit,
    fee_item: FeeItem,
    amount: int,
    description: str,
    due_date: dt.date | None = None,
    period: dt.date | None = None,
    by: User | None = None,
    today: dt.date | None = None,
) -> BillLine:
    """临时费用: a one-off charge posted by staff (a paid service, renovation debris, a replaced card)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(amount, int) or amount <= 0:
        errors["amount"] = [_("Enter an amount above zero.")]
    if fee_item.office_id != unit.office_id:
        errors["fee_item"] = [_("This fee item belongs to another management office.")]
    if not description.strip():
        errors["description"] = [_("Describe the charge.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    today = today or _today()
    with transaction.atomic():
        unit_lock(unit.pk)
        line = BillLine.objects.create(
            unit=unit,
            fee_item=fee_item,
            kind=BillLine.Kind.ADHOC,
            period_start=period or today,
            period_end=period or today,
            amount=amount,
            description=description[:200],
            due_date=due_date or today,
            created_by=by,
        )
        LedgerEntry.objects.create(
            unit=unit, kind=LedgerEntry.Kind.CHARGE, amount=amount, bill_line=line, occurred_on=today, created_by=by
        )
        audit_record(action="billing.adhoc_charge", target=line, changes={"amount": amount, "item": fee_item.code})
    prepaid_settle(unit.pk, by=by, line_ids=[line.pk], today=today)
    return line


def describe(entry: LedgerEntry) -> dict[str, Any]:
    """One entry as plain data (API, exports)."""
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "amount": entry.amount,
        "currency": entry.currency,
        "bill_line": entry.bill_line_id,
        "payment": entry.payment_id,
        "deposit": entry.deposit_id,
        "reason": entry.reason,
        "occurred_on": entry.occurred_on.isoformat(),
        "created_at": entry.created_at.isoformat(),
    }
