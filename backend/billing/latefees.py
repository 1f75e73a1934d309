"""滞纳金: late fees, per fee item (FeeItem.late_fee_mode: off — the default —, fixed, or percent per day).

A charge or one-off line whose item has a late fee, that is still owed (derived from the ledger) and whose
`due_date + late_fee_grace_days` is before the day, gets one late-fee BillLine (kind late_fee, parent = the
line, amount 0) the first time, and its fee is posted as ledger `charge` entries on that line:

    fixed          one entry, once (min(fixed, cap))
    daily_percent  one entry per day: round_half_up(parent owed × percent / 100), never beyond the cap (the
                   last day is cut to what is left of the cap); a day whose fee rounds to 0 fen posts nothing

Each entry carries its `accrual_date`; the unique (bill_line, accrual_date) constraint makes a re-run for the
same day post nothing. A run catches up the days missed since the last accrual (at most MAX_CATCH_UP_DAYS
back), using what the parent owes now. A line that is paid or waived in full stops accruing. Late-fee lines
are ordinary bill lines for everything else: payments settle them, the waiver flow credits them, and late
fees never accrue on late fees (only charge and adhoc lines are parents).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.audit.services import audit_record

from .ledger import prepaid_settle, unit_lock
from .models import BillLine, FeeItem, LateFeeMode, LedgerEntry
from .selectors import lines_with_balances

MAX_CATCH_UP_DAYS = 400
PARENT_KINDS = (BillLine.Kind.CHARGE, BillLine.Kind.ADHOC)


@dataclass
class AccrualResult:
    day: dt.date
    lines_created: int = 0
    entries: int = 0
    amount: int = 0
    units: set[int] = field(default_factory=set)


def first_accrual_day(line: BillLine, item: FeeItem) -> dt.date:
    """The first day a late fee accrues on `line`: the day after due date + grace days."""
    return line.due_date + dt.timedelta(days=item.late_fee_grace_days + 1)


def daily_fee(owed: int, percent: Decimal) -> int:
    """One day's fee in fen: owed × percent / 100, rounded half-up (0.03 → 0.03% a day)."""
    return int((Decimal(int(owed)) * Decimal(percent) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _plan(
    *, item: FeeItem, owed: int, start: dt.date, day: dt.date, accrued: int, last: dt.date | None, entries: int
) -> list[tuple[dt.date, int]]:
    """The (accrual_date, fen) entries still to post on one late-fee line up to `day`."""
    cap = item.late_fee_cap
    left = None if cap is None else max(0, cap - accrued)
    if left == 0:
        return []
    if item.late_fee_mode == LateFeeMode.FIXED:
        if entries:
            return []
        amount = item.late_fee_fixed if left is None else min(item.late_fee_fixed, left)
        return [(start, amount)] if amount > 0 else []
    if item.late_fee_mode != LateFeeMode.DAILY_PERCENT:
        return []
    per_day = daily_fee(owed, item.late_fee_daily_percent)
    if per_day <= 0:
        return []
    first = max(start, day - dt.timedelta(days=MAX_CATCH_UP_DAYS - 1))
    if last is not None:
        first = max(first, last + dt.timedelta(days=1))
    out = []
    current = first
    while current <= day:
        amount = per_day if left is None else min(per_day, left)
        if amount <= 0:
            break
        out.append((current, amount))
        if left is not None:
            left -= amount
        current += dt.timedelta(days=1)
    return out


def _candidates(day: dt.date) -> dict[int, list[int]]:
    """unit id → ids of the lines that may accrue a late fee on `day` (owed now, past due + grace)."""
    by_unit: dict[int, list[int]] = defaultdict(list)
    items = FeeItem.objects.exclude(late_fee_mode=LateFeeMode.OFF)
    for item in items:
        if item.late_fee_mode == LateFeeMode.FIXED and item.late_fee_fixed <= 0:
            continue
        if item.late_fee_mode == LateFeeMode.DAILY_PERCENT and item.late_fee_daily_percent <= 0:
            continue
        cutoff = day - dt.timedelta(days=item.late_fee_grace_days)
        qs = BillLine.objects.filter(fee_item=item, kind__in=PARENT_KINDS, due_date__lt=cutoff)
        for line_id, unit_id in lines_with_balances(qs).filter(Q(owed__gt=0)).values_list("id", "unit_id"):
            by_unit[unit_id].append(line_id)
    return by_unit


def _accrue_unit(unit_id: int, line_ids: list[int], day: dt.date, result: AccrualResult) -> list[int]:
    """Post one unit's late fees (inside the caller's transaction). Returns the late-fee lines charged."""
    unit_lock(unit_id)
    # Re-read under the lock: a payment may have landed since the candidates were listed.
    parents = list(
        lines_with_balances(BillLine.objects.filter(pk__in=line_ids, unit_id=unit_id))
        .filter(Q(owed__gt=0))
        .select_related("fee_item")
    )
    if not parents:
        return []
    existing = {
        line.parent_id: line
        for line in BillLine.objects.filter(
            parent_id__in=[p.pk for p in parents], kind=BillLine.Kind.LATE_FEE
        ).annotate(
            accrued=Sum("entries__amount", filter=Q(entries__kind=LedgerEntry.Kind.CHARGE)),
            last_accrual=Max("entries__accrual_date", filter=Q(entries__kind=LedgerEntry.Kind.CHARGE)),
            n=Count("entries", filter=Q(entries__kind=LedgerEntry.Kind.CHARGE)),
        )
    }
    rows: list[LedgerEntry] = []
    charged_lines: list[int] = []
    for parent in parents:
        item = parent.fee_item
        start = first_accrual_day(parent, item)
        if start > day:
            continue
        late = existing.get(parent.pk)
        plan = _plan(
            item=item,
            owed=int(parent.owed),  # type: ignore[attr-defined]
            start=start,
            day=day,
            accrued=int(getattr(late, "accrued", 0) or 0),
            last=getattr(late, "last_accrual", None),
            entries=int(getattr(late, "n", 0) or 0),
        )
        if not plan:
            continue
        if late is None:
            late = BillLine.objects.create(  # type: ignore[assignment]
                unit_id=unit_id,
                fee_item=item,
                kind=BillLine.Kind.LATE_FEE,
                parent=parent,
                period_start=parent.period_start,
                period_end=parent.period_end,
                amount=0,
                due_date=start,
                description=_("Late fee (滞纳金) on %(item)s %(period)s")
                % {"item": item.name, "period": f"{parent.period_start:%Y-%m}"},
            )
            result.lines_created += 1
        assert late is not None
        charged_lines.append(late.pk)
        for accrual_date, amount in plan:
            rows.append(
                LedgerEntry(
                    unit_id=unit_id,
                    kind=LedgerEntry.Kind.CHARGE,
                    amount=amount,
                    bill_line=late,
                    accrual_date=accrual_date,
                    occurred_on=accrual_date,
                    reason=_("Late fee (滞纳金)"),
                )
            )
    if rows:
        # Under the unit lock nothing else posts accruals; were it to, the unique (line, day) index refuses it.
        LedgerEntry.objects.bulk_create(rows)
        result.entries += len(rows)
        result.amount += sum(e.amount for e in rows)
        result.units.add(unit_id)
    return charged_lines


def late_fees_accrue(day: dt.date | None = None) -> AccrualResult:
    """Accrue every late fee due up to `day` (default: today in the company's time zone). Idempotent per day:
    running it twice for the same day posts nothing the second time."""
    day = day or timezone.localdate()
    result = AccrualResult(day=day)
    for unit_id, line_ids in sorted(_candidates(day).items()):
        with transaction.atomic():
            charged = _accrue_unit(unit_id, line_ids, day, result)
        if charged:
            # A unit with prepaid credit pays its new late fee from it, like any new bill.
            prepaid_settle(unit_id, line_ids=charged)
    if result.entries:
        audit_record(
            action="billing.late_fees_accrue",
            object_type="billing.billline",
            object_repr=_("Late fees for %(day)s") % {"day": day.isoformat()},
            changes={
                "day": day.isoformat(),
                "units": len(result.units),
                "lines_created": result.lines_created,
                "entries": result.entries,
                "amount": result.amount,
            },
        )
    return result
