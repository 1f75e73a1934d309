"""Many payments in a few statements, under the rules of ledger.payment_record (an import such as 银行托收,
the demo's year of history).

The rules are the same: every unit involved is locked first (the same advisory lock, taken in unit order so
two bulk writers cannot deadlock); a payment settles what its unit owes in the company's settlement order and
what is left goes to the prepaid balance; an idempotency key already used answers the payment recorded
before (another unit or amount under it is a conflict); every payment gets its receipt and is refused on a
cashier's closed day (hooks.payments_recorded, the bulk form of payment_recorded). The outcome is what
recording the payments one after another in the given order would give; only the number of statements
differs: the open lines of every unit are read once (BillLine.outstanding, kept by the ledger triggers),
the settlements worked out in memory, and the payments, entries and receipts inserted in bulk."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from tenants.db import connection

from . import hooks
from .models import BillLine, LedgerEntry, Payment
from .selectors import settlement_ordering

ENTRY_BATCH = 4000  # rows per INSERT: well under PostgreSQL's 65,535 parameters


@dataclass(frozen=True)
class PaymentIn:
    """One payment to record: what payment_record takes, for one unit."""

    unit_id: int
    amount: int
    method: str
    received_at: dt.datetime
    channel: str = Payment.Channel.IMPORT
    reference: str = ""
    payer_name: str = ""
    note: str = ""
    idempotency_key: str | None = None


@dataclass
class BulkResult:
    """The payments in the order given (recorded now, or recorded before under the same key)."""

    payments: list[Payment] = field(default_factory=list)
    fresh: list[bool] = field(default_factory=list)  # per payment: recorded now (False: recorded before)
    created: int = 0
    replayed: int = 0
    settled: int = 0  # fen applied to bill lines
    to_prepaid: int = 0  # fen left on the prepaid balance


def units_lock(unit_ids: Sequence[int]) -> None:
    """ledger.unit_lock for many units in one statement, in ascending order (the subquery's order is the
    order the locks are taken in), so two bulk writers over overlapping units wait instead of deadlocking."""
    ids = sorted({int(i) for i in unit_ids})
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext(current_schema()), u::integer) "
            "FROM (SELECT u FROM unnest(%s::bigint[]) AS t(u) ORDER BY u) AS ordered) AS locked",
            [ids],
        )


def _validate(payments: Sequence[PaymentIn]) -> None:
    errors: dict[str, list[str]] = {}
    for index, p in enumerate(payments):
        if not isinstance(p.amount, int) or isinstance(p.amount, bool) or p.amount <= 0:
            errors.setdefault("amount", []).append(_("Payment %(n)s: enter an amount above zero.") % {"n": index + 1})
        if p.method not in Payment.Method.values:
            errors.setdefault("method", []).append(_("Payment %(n)s: choose a payment method.") % {"n": index + 1})
        if p.channel not in Payment.Channel.values:
            errors.setdefault("channel", []).append(_("Payment %(n)s: choose a channel.") % {"n": index + 1})
    if errors:
        raise ApplicationError.for_fields(errors)


def _conflict() -> ApplicationError:
    return ApplicationError(
        _("This idempotency key was already used for a different payment."), code="idempotency_conflict", status=409
    )


def _open_lines(unit_ids: Sequence[int]) -> dict[int, list[list[int]]]:
    """unit → [[line id, still owed], …] in the company's settlement order."""
    out: dict[int, list[list[int]]] = defaultdict(list)
    rows = (
        BillLine.objects.filter(unit_id__in=list(unit_ids), outstanding__gt=0)
        .order_by(*settlement_ordering())
        .values_list("pk", "unit_id", "outstanding")
    )
    for pk, unit_id, outstanding in rows:
        out[unit_id].append([pk, int(outstanding)])
    return out


def payments_record_bulk(
    *,
    payments: Sequence[PaymentIn],
    recorded_by: User | None,
    today: dt.date | None = None,
    audit_action: str = "billing.payments_record_bulk",
    audit_repr: str = "",
) -> BulkResult:
    """Record `payments` as payment_record would one after another (see the module docstring), settling
    whatever each unit owes. `today` dates the settlements (default: the company's today). One audit entry
    names the batch and its payments."""
    _validate(payments)
    result = BulkResult()
    if not payments:
        return result
    day = today or timezone.localdate()
    with transaction.atomic():
        units_lock([p.unit_id for p in payments])
        keys = [p.idempotency_key for p in payments if p.idempotency_key]
        known = {p.idempotency_key: p for p in Payment.objects.filter(idempotency_key__in=keys)} if keys else {}
        fresh: list[tuple[int, Payment]] = []
        order: list[Payment | int] = []  # a stored payment, or the index into `fresh`
        for p in payments:
            existing = known.get(p.idempotency_key) if p.idempotency_key else None
            if existing is not None:
                if existing.unit_id != p.unit_id or existing.amount != p.amount:
                    raise _conflict()
                order.append(existing)
                result.replayed += 1
                continue
            payment = Payment(
                unit_id=p.unit_id,
                amount=p.amount,
                method=p.method,
                channel=p.channel,
                reference=p.reference[:80],
                payer_name=p.payer_name[:60],
                note=p.note[:200],
                idempotency_key=p.idempotency_key or None,
                received_at=p.received_at,
                recorded_by=recorded_by,
            )
            if p.idempotency_key:
                known[p.idempotency_key] = payment  # the same key twice in one batch: one payment
            order.append(len(fresh))
            fresh.append((p.unit_id, payment))
        created = [payment for _unit, payment in fresh]
        if created:
            try:
                with transaction.atomic():
                    Payment.objects.bulk_create(created, batch_size=ENTRY_BATCH)
            except IntegrityError:
                # A key taken at the same moment by a payment of a unit this batch does not lock.
                raise _conflict() from None
            result.settled, result.to_prepaid = _post(created, recorded_by=recorded_by, day=day)
            hooks.payments_recorded(created)
            result.created = len(created)
            audit_record(
                action=audit_action,
                object_type="billing.payment",
                object_id=created[0].pk,
                object_repr=(audit_repr or _("%(n)s payments") % {"n": len(created)})[:200],
                changes={
                    "payments": [p.pk for p in created],
                    "amount": sum(p.amount for p in created),
                    "settled": result.settled,
                    "to_prepaid": result.to_prepaid,
                    "replayed": result.replayed,
                },
            )
        result.payments = [item if isinstance(item, Payment) else created[item] for item in order]
        result.fresh = [not isinstance(item, Payment) for item in order]
    return result


def _post(created: list[Payment], *, recorded_by: User | None, day: dt.date) -> tuple[int, int]:
    """The ledger entries of new payments: each one's payment (or prepayment) entry and its settlements."""
    lines = _open_lines([p.unit_id for p in created])
    entries: list[LedgerEntry] = []
    settled_total = 0
    by = recorded_by.pk if recorded_by is not None else None
    for payment in created:
        unit_lines = lines.get(payment.unit_id, [])
        owes = any(owed > 0 for _pk, owed in unit_lines)
        entries.append(
            LedgerEntry(
                unit_id=payment.unit_id,
                kind=LedgerEntry.Kind.PAYMENT if owes else LedgerEntry.Kind.PREPAYMENT,
                amount=payment.amount,
                payment=payment,
                occurred_on=timezone.localdate(payment.received_at),
                created_by_id=by,
            )
        )
        available = payment.amount
        for line in unit_lines:
            take = min(line[1], available)
            if take <= 0:
                continue
            entries.append(
                LedgerEntry(
                    unit_id=payment.unit_id,
                    kind=LedgerEntry.Kind.SETTLE,
                    amount=take,
                    bill_line_id=line[0],
                    payment=payment,
                    occurred_on=day,
                    created_by_id=by,
                )
            )
            line[1] -= take
            available -= take
            settled_total += take
            if available == 0:
                break
    LedgerEntry.objects.bulk_create(entries, batch_size=ENTRY_BATCH)
    return settled_total, sum(p.amount for p in created) - settled_total


_CREDITS = """
SELECT p.unit_id, p.id,
       SUM(CASE WHEN e.kind IN ('payment', 'prepayment', 'unsettle') THEN e.amount ELSE -e.amount END) AS credit
FROM billing_payment p
JOIN billing_ledgerentry e
  ON e.payment_id = p.id AND e.kind IN ('payment', 'prepayment', 'settle', 'unsettle', 'refund')
WHERE p.unit_id = ANY(%s)
GROUP BY p.unit_id, p.id, p.received_at
HAVING SUM(CASE WHEN e.kind IN ('payment', 'prepayment', 'unsettle') THEN e.amount ELSE -e.amount END) > 0
ORDER BY p.unit_id, p.received_at, p.id
"""
SETTLE_CHUNK = 2000  # units per transaction: their locks are held only that long


def prepaid_settle_bulk(unit_ids: Sequence[int], *, by: User | None = None, today: dt.date | None = None) -> int:
    """ledger.prepaid_settle for many units (a bill run's homes with credit): each unit's prepaid balance,
    oldest payment first, applied to what it owes in the company's settlement order, an audit entry per unit
    that settled something. Returns the fen settled."""
    day = today or timezone.localdate()
    ids = sorted({int(i) for i in unit_ids})
    total = 0
    for start in range(0, len(ids), SETTLE_CHUNK):
        chunk = ids[start : start + SETTLE_CHUNK]
        with transaction.atomic():
            units_lock(chunk)
            total += _settle_credits(chunk, by=by, day=day)
    return total


def _settle_credits(unit_ids: list[int], *, by: User | None, day: dt.date) -> int:
    credits: dict[int, list[tuple[int, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(_CREDITS, [unit_ids])
        for unit_id, payment_id, credit in cursor.fetchall():
            credits[unit_id].append((payment_id, int(credit)))
    lines = _open_lines([u for u in unit_ids if credits.get(u)])
    entries: list[LedgerEntry] = []
    settled: dict[int, int] = defaultdict(int)
    for unit_id, payments in credits.items():
        unit_lines = lines.get(unit_id, [])
        for payment_id, credit in payments:
            for line in unit_lines:
                take = min(line[1], credit)
                if take <= 0:
                    continue
                entries.append(
                    LedgerEntry(
                        unit_id=unit_id,
                        kind=LedgerEntry.Kind.SETTLE,
                        amount=take,
                        bill_line_id=line[0],
                        payment_id=payment_id,
                        occurred_on=day,
                        created_by_id=by.pk if by is not None else None,
                    )
                )
                line[1] -= take
                credit -= take
                settled[unit_id] += take
                if credit == 0:
                    break
    LedgerEntry.objects.bulk_create(entries, batch_size=ENTRY_BATCH)
    for unit_id, amount in sorted(settled.items()):
        audit_record(
            action="billing.prepaid_settle",
            object_type="properties.unit",
            object_id=unit_id,
            changes={"settled": amount},
        )
    return sum(settled.values())
