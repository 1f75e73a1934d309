"""Reads of the ledger. Every balance here is derived from LedgerEntry rows; nothing is stored and edited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from backend.properties.models import Unit
from backend.properties.scope import Scope
from backend.properties.selectors import areas_within_q

from .models import BillingSettings, BillLine, BillRun, Deposit, LedgerEntry, Payment, SettlementOrder

ZERO = Value(0)


def _sum(kinds: Iterable[str], prefix: str = "entries__") -> Coalesce:
    return Coalesce(
        Sum(f"{prefix}amount", filter=Q(**{f"{prefix}kind__in": list(kinds)}), output_field=IntegerField()), ZERO
    )


def lines_with_balances(qs: QuerySet[BillLine] | None = None) -> QuerySet[BillLine]:
    """Bill lines annotated with charged, waived, settled (net of reversals) and owed, all in fen."""
    qs = BillLine.objects.all() if qs is None else qs
    return qs.annotate(
        charged=_sum(["charge"]),
        waived=_sum(["waiver"]),
        settled_gross=_sum(["settle"]),
        unsettled=_sum(["unsettle"]),
    ).annotate(
        settled=F("settled_gross") - F("unsettled"),
        owed=F("charged") - F("waived") - F("settled_gross") + F("unsettled"),
    )


def outstanding_mismatches(limit: int = 100) -> list[tuple[int, int, int]]:
    """(line id, its `outstanding` column, what the ledger says it owes) for lines where the two differ: none,
    unless something wrote the column or went around the ledger triggers (billing migration 0002)."""
    lines = lines_with_balances().exclude(outstanding=F("owed")).order_by("pk")[:limit]
    return [(line.pk, line.outstanding, int(line.owed)) for line in lines]  # type: ignore[attr-defined]


def settlement_ordering(order: str | None = None) -> list[Any]:
    order = order or BillingSettings.load().settlement_order
    if order == SettlementOrder.PRIORITY:
        return ["fee_item__priority", "period_start", "due_date", "id"]
    return ["period_start", "due_date", "fee_item__priority", "id"]


def owed_lines(unit_id: int, *, line_ids: Iterable[int] | None = None, order: str | None = None) -> list[BillLine]:
    """The unit's lines with something still owed, in the company's settlement order."""
    qs = BillLine.objects.filter(unit_id=unit_id)
    if line_ids is not None:
        qs = qs.filter(pk__in=list(line_ids))
    return list(
        lines_with_balances(qs).filter(Q(owed__gt=0)).select_related("fee_item").order_by(*settlement_ordering(order))
    )


def owed_by_unit(unit_ids: Iterable[int]) -> dict[int, list[tuple[int, dt.date]]]:
    """Per unit of `unit_ids`: (what the line still owes in fen, its due date) for each of its lines with
    something owed, in no particular order, in one query for all the units. Read from the lines'
    `outstanding` column, which the ledger triggers keep equal to the ledger's sum (billing migration 0002;
    `outstanding_mismatches` checks it): no join of the ledger. Units owing nothing are absent."""
    out: dict[int, list[tuple[int, dt.date]]] = {}
    rows = (
        BillLine.objects.filter(unit_id__in=list(unit_ids), outstanding__gt=0)
        .order_by()
        .values_list("unit_id", "outstanding", "due_date")
    )
    for unit_id, outstanding, due_date in rows:
        out.setdefault(unit_id, []).append((int(outstanding), due_date))
    return out


@dataclass(frozen=True)
class Account:
    """A unit's account, derived. balance = owed − prepaid (positive: the unit owes)."""

    charged: int
    waived: int
    paid: int
    refunded: int
    owed: int
    prepaid: int
    deposits_held: int

    @property
    def balance(self) -> int:
        return self.owed - self.prepaid


def _kind_totals(qs: QuerySet[LedgerEntry]) -> dict[str, int]:
    return {row["kind"]: int(row["total"]) for row in qs.values("kind").annotate(total=Sum("amount")).order_by()}


def unit_account(unit_id: int) -> Account:
    t = _kind_totals(LedgerEntry.objects.filter(unit_id=unit_id))
    g = t.get
    return Account(
        charged=g("charge", 0),
        waived=g("waiver", 0),
        paid=g("payment", 0) + g("prepayment", 0),
        refunded=g("refund", 0),
        owed=g("charge", 0) - g("waiver", 0) - g("settle", 0) + g("unsettle", 0),
        prepaid=g("payment", 0) + g("prepayment", 0) - g("settle", 0) + g("unsettle", 0) - g("refund", 0),
        deposits_held=g("deposit_held", 0) - g("deposit_refunded", 0) - g("deposit_forfeited", 0),
    )


def ledger_balance(unit_id: int) -> int:
    """Σ of the signed entries: charges and refunds add, waivers and money received subtract."""
    t = _kind_totals(LedgerEntry.objects.filter(unit_id=unit_id))
    return t.get("charge", 0) + t.get("refund", 0) - t.get("waiver", 0) - t.get("payment", 0) - t.get("prepayment", 0)


def payment_unallocated(payment_id: int) -> int:
    """What of a payment is neither settled against a line nor refunded: its part of the prepaid balance."""
    t = _kind_totals(LedgerEntry.objects.filter(payment_id=payment_id))
    received = t.get("payment", 0) + t.get("prepayment", 0)
    return received - t.get("settle", 0) + t.get("unsettle", 0) - t.get("refund", 0)


def payment_refunded(payment_id: int) -> int:
    return int(
        LedgerEntry.objects.filter(payment_id=payment_id, kind="refund").aggregate(t=Coalesce(Sum("amount"), 0))["t"]
    )


def payment_refundable(payment: Payment) -> int:
    """What of a payment can still be given back: paid minus refunded so far."""
    return payment.amount - payment_refunded(payment.pk)


def payments_with_credit(unit_id: int) -> list[tuple[Payment, int]]:
    """The unit's payments with an unallocated remainder, oldest first (the prepaid balance, by source)."""
    payments = (
        Payment.objects.filter(unit_id=unit_id)
        .annotate(
            received=_sum(["payment", "prepayment"]),
            settled=_sum(["settle"]),
            unsettled=_sum(["unsettle"]),
            refunded=_sum(["refund"]),
        )
        .annotate(credit=F("received") - F("settled") + F("unsettled") - F("refunded"))
        .filter(credit__gt=0)
        .order_by("received_at", "id")
    )
    return [(p, int(p.credit)) for p in payments]


def payments_with_totals(qs: QuerySet[Payment]) -> QuerySet[Payment]:
    """Payments annotated with what was received, settled (net of reversals), refunded and is left as credit."""
    return qs.annotate(
        received=_sum(["payment", "prepayment"]),
        settled_gross=_sum(["settle"]),
        unsettled=_sum(["unsettle"]),
        refunded=_sum(["refund"]),
    ).annotate(
        settled=F("settled_gross") - F("unsettled"),
        prepaid_credit=F("received") - F("settled_gross") + F("unsettled") - F("refunded"),
    )


def payment_allocations(payment: Payment) -> list[dict[str, int]]:
    """The lines a payment settled, net of reversals: [{bill_line, amount}], by line."""
    return [
        {"bill_line": row["bill_line_id"], "amount": row["total"]}
        for row in LedgerEntry.objects.filter(payment=payment, kind__in=["settle", "unsettle"])
        .values("bill_line_id")
        .annotate(
            total=Sum("amount", filter=Q(kind="settle"), default=0)
            - Sum("amount", filter=Q(kind="unsettle"), default=0)
        )
        .order_by("bill_line_id")
        if row["total"]
    ]


def deposits_with_totals(qs: QuerySet[Deposit]) -> QuerySet[Deposit]:
    """Deposits annotated with what is held, refunded and forfeited."""
    return qs.annotate(
        held_gross=_sum(["deposit_held"]),
        refunded=_sum(["deposit_refunded"]),
        forfeited=_sum(["deposit_forfeited"]),
    ).annotate(held=F("held_gross") - F("refunded") - F("forfeited"))


def deposit_held(deposit_id: int) -> int:
    t = _kind_totals(LedgerEntry.objects.filter(deposit_id=deposit_id))
    return t.get("deposit_held", 0) - t.get("deposit_refunded", 0) - t.get("deposit_forfeited", 0)


def unit_deposits(unit_id: int) -> list[dict[str, Any]]:
    out = []
    for d in Deposit.objects.filter(unit_id=unit_id).order_by("-received_at"):
        t = _kind_totals(d.entries.all())
        out.append(
            {
                "deposit": d,
                "held": t.get("deposit_held", 0) - t.get("deposit_refunded", 0) - t.get("deposit_forfeited", 0),
                "refunded": t.get("deposit_refunded", 0),
                "forfeited": t.get("deposit_forfeited", 0),
            }
        )
    return out


# What a unit's bills show on a statement (the portal's bills tables): the other columns are left unread, as
# reading and converting them was most of the cost of a resident's page. Reading another field of these
# lines later costs a query per line (tests/portal/test_query_counts.py would notice).
UNIT_BILL_FIELDS = (
    "id",
    "unit_id",
    "fee_item_id",
    "kind",
    "period_start",
    "period_end",
    "description",
    "due_date",
    "fee_item__id",
    "fee_item__name",
    "fee_item__priority",
)


def unit_bills(unit_id: int, *, unpaid_first: bool = True) -> list[BillLine]:
    """Every line of a unit with its balance (the fields of UNIT_BILL_FIELDS); unpaid first, then newest
    period first."""
    qs = lines_with_balances(
        BillLine.objects.filter(unit_id=unit_id).select_related("fee_item").only(*UNIT_BILL_FIELDS)
    )
    lines = list(qs.order_by("-period_start", "fee_item__priority", "id"))
    if unpaid_first:
        lines.sort(key=lambda line: 0 if line.owed > 0 else 1)  # type: ignore[attr-defined]  # stable
    return lines


# A unit's unpaid lines and its newest paid ones with their ledger sums, in one statement (unit_bills_split).
_UNIT_BILLS_SPLIT_SQL = """
WITH shown AS (
    SELECT id FROM billing_billline WHERE unit_id = %(unit)s AND outstanding > 0
    UNION ALL
    (SELECT b.id FROM billing_billline b JOIN billing_feeitem f ON f.id = b.fee_item_id
     WHERE b.unit_id = %(unit)s AND b.outstanding <= 0
     ORDER BY b.period_start DESC, f.priority, b.id LIMIT %(paid_limit)s)
)
SELECT l.id, l.unit_id, l.fee_item_id, l.kind, l.period_start, l.period_end, l.description, l.due_date,
       f.name, f.priority, l.outstanding > 0,
       COALESCE(t.charged, 0), COALESCE(t.waived, 0), COALESCE(t.settled_gross, 0), COALESCE(t.unsettled, 0),
       (SELECT COUNT(*) FROM billing_billline p WHERE p.unit_id = %(unit)s AND p.outstanding <= 0)
FROM shown s
JOIN billing_billline l ON l.id = s.id
JOIN billing_feeitem f ON f.id = l.fee_item_id
LEFT JOIN LATERAL (
    SELECT SUM(e.amount) FILTER (WHERE e.kind = 'charge') AS charged,
           SUM(e.amount) FILTER (WHERE e.kind = 'waiver') AS waived,
           SUM(e.amount) FILTER (WHERE e.kind = 'settle') AS settled_gross,
           SUM(e.amount) FILTER (WHERE e.kind = 'unsettle') AS unsettled
    FROM billing_ledgerentry e WHERE e.bill_line_id = l.id
) t ON TRUE
ORDER BY l.period_start DESC, f.priority, l.id
"""
_SPLIT_LINE_FIELDS = ("id", "unit_id", "fee_item_id", "kind", "period_start", "period_end", "description", "due_date")


def unit_bills_split(unit_id: int, *, paid_limit: int) -> tuple[list[BillLine], list[BillLine], int]:
    """(the unit's unpaid lines, its newest `paid_limit` paid lines, how many paid lines it has), each line
    as unit_bills gives it (the fields of UNIT_BILL_FIELDS with charged, waived, settled and owed; newest
    period first). Unpaid and paid are told apart by the `outstanding` column (kept equal to the ledger's sum
    by the database, see outstanding_mismatches), so the open lines come from their partial index and only
    the paid lines shown are read and summed, in one statement: a resident's bills page costs what it shows,
    not what years of paid bills are, and no ORM query is compiled for it."""
    from django.db import connection

    from .models import FeeItem

    with connection.cursor() as cursor:
        cursor.execute(_UNIT_BILLS_SPLIT_SQL, {"unit": int(unit_id), "paid_limit": int(paid_limit)})
        fetched = cursor.fetchall()
    unpaid: list[BillLine] = []
    paid: list[BillLine] = []
    paid_count = 0
    for row in fetched:
        line: Any = BillLine.from_db("default", _SPLIT_LINE_FIELDS, row[:8])
        line.fee_item = FeeItem.from_db("default", ("id", "name", "priority"), (row[2], row[8], row[9]))
        charged, waived, settled_gross, unsettled = (int(v) for v in row[11:15])
        line.charged, line.waived, line.settled_gross, line.unsettled = charged, waived, settled_gross, unsettled
        line.settled = settled_gross - unsettled
        line.owed = charged - waived - settled_gross + unsettled
        (unpaid if row[10] else paid).append(line)
        paid_count = int(row[15])
    return unpaid, paid, paid_count


# The effect of each kind on the unit balance (owed − prepaid), for the running balance of a statement.
BALANCE_SIGN = {"charge": 1, "refund": 1, "waiver": -1, "payment": -1, "prepayment": -1}


def unit_statement(unit_id: int, *, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, Any]:
    """对账单: the entries that move the balance between two dates, with the opening and a running balance.
    Settlements (moving credit onto a line) leave the balance alone and are listed with the line they paid."""
    entries = LedgerEntry.objects.filter(unit_id=unit_id, kind__in=list(BALANCE_SIGN)).select_related(
        "bill_line__fee_item", "payment"
    )
    opening = 0
    if start:
        before = _kind_totals(entries.filter(occurred_on__lt=start))
        opening = sum(BALANCE_SIGN[k] * v for k, v in before.items())
        entries = entries.filter(occurred_on__gte=start)
    if end:
        entries = entries.filter(occurred_on__lte=end)
    rows = []
    running = opening
    for e in entries.order_by("occurred_on", "created_at", "id"):
        running += BALANCE_SIGN[e.kind] * e.amount
        rows.append({"entry": e, "signed": BALANCE_SIGN[e.kind] * e.amount, "balance": running})
    return {"opening": opening, "rows": rows, "closing": running, "account": unit_account(unit_id)}


def bill_lines_for(scope: Scope, qs: QuerySet[BillLine] | None = None) -> QuerySet[BillLine]:
    """Bill lines the caller may see (staff: their offices/estates; residents: their current homes)."""
    qs = BillLine.objects.all() if qs is None else qs
    return qs.filter(unit__in=scope.filter_units(Unit.objects.all()))


def bill_runs_visible(*, scope: Scope) -> QuerySet[BillRun]:
    """The bill runs a member may see and start, for the portal and the API alike: every run for company-wide
    staff; for scoped staff only runs lying entirely within their scope. A whole-company run, or one that also
    covers another office, would show (and post) that office's totals."""
    qs = BillRun.objects.all()
    if scope.all_offices:
        return qs
    whole_company = Q(office_ids=[], estate_ids=[], building_ids=[])
    within = areas_within_q(
        scope=scope, office_field="office_ids", estate_field="estate_ids", building_field="building_ids"
    )
    return qs.filter(~whole_company & within)
