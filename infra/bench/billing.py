"""bill-run-100k: a month's bill run (计费 / 月结) over 100,000 units on a dedicated company of the benchmark
database, beside a one-row-at-a-time ORM implementation of the same run measured in the same process.

Set-up (once, kept): 100 buildings × 1,000 units in 10 estates, a management fee by building area (with a
price change, so the standard is looked up by date) and a fixed garbage fee, both assigned to every unit.

- value: `bill_run_execute` of a fresh period over all units (the run is created with `bill_run_create`
  first, which is not timed); then the lines are counted (2 per unit, each with its charge entry) and a
  second run of the same period must create none.
- baseline: for each unit, for each assigned item, look up the standard, price the line in Python, then
  `BillLine.objects.get_or_create` + `LedgerEntry.objects.create` in a transaction per unit. On every unit if
  a 10,000-unit sample says it would take under 3 minutes, otherwise on that sample scaled × 10 (the line
  says which). Its amounts are checked against the set-based run's.

Both runs happen in transactions that are rolled back, so the company keeps its set-up and nothing else
(the tables are vacuumed before each measurement, so repeated runs start alike).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from tenants.db import connection

BENCH_SLUG = "bench-billing"
UNITS = 100_000
UNITS_PER_BUILDING = 1_000  # 25 floors × 40
BUILDINGS_PER_ESTATE = 10
PERIOD = dt.date(2026, 3, 1)
SAMPLE = 10_000
BASELINE_FULL_LIMIT = 180.0  # seconds: run the baseline on every unit only if it fits in this


@dataclass
class SetBased:
    seconds: float
    units: int
    lines: int
    entries: int
    amount: int
    rerun_lines: int
    rerun_seconds: float
    sample_amounts: dict[int, int]


@dataclass
class Baseline:
    seconds: float
    units: int
    lines: int
    amounts: dict[int, int]


def _company():
    from tenants.models import Tenant
    from tenants.services import company_onboard

    tenant = Tenant.objects.filter(slug=BENCH_SLUG).first()
    if tenant is None:
        tenant = company_onboard(
            company_name="计费基准物业",
            subdomain=BENCH_SLUG,
            admin_name="基准",
            admin_email="bench-billing@bench.test",
            admin_phone="16600000002",
            admin_password="Bench-billing-2026",
        ).tenant
    return tenant


def seed(units: int = UNITS, *, per_building: int = UNITS_PER_BUILDING, per_estate: int = BUILDINGS_PER_ESTATE) -> int:
    """The bench's units and fee set-up in the current company (resumable: whatever exists is kept)."""
    from backend.billing import services as billing
    from backend.billing.models import FeeItem
    from backend.properties import services
    from backend.properties.models import Building, Estate, ManagementOffice, Unit
    from backend.properties.scope import Scope

    everything = Scope.everything()
    office = ManagementOffice.objects.filter(name="计费基准管理处").first() or services.office_create(
        name="计费基准管理处", scope=everything
    )
    floors = max(1, per_building // 40)
    per_floor = per_building // floors
    buildings = units // per_building
    if Unit.objects.filter(office=office).count() < buildings * per_building:
        for b in range(buildings):
            estate_name = f"计费小区{b // per_estate:02d}"
            estate = Estate.objects.filter(office=office, name=estate_name).first() or services.estate_create(
                office_id=office.pk, name=estate_name, scope=everything
            )
            building = Building.objects.filter(estate=estate, name=f"{b % per_estate + 1}栋").first()
            if building is None:
                building = services.building_create(
                    estate_id=estate.pk, name=f"{b % per_estate + 1}栋", scope=everything
                )
            services.units_generate(
                building_id=building.pk,
                first_floor=1,
                last_floor=floors,
                units_per_floor=per_floor,
                pattern="{floor}{unit:02d}",
                area=f"{60 + (b % 9) * 10}.50",
                scope=everything,
            )
    start = dt.date(2025, 1, 1)
    items = {i.code: i for i in FeeItem.objects.filter(office=office)}
    if "mgmt" not in items:
        mgmt = billing.fee_item_create(
            office=office,
            scope=everything,
            code="mgmt",
            name="物业费",
            category="management",
            method="area",
            cycle="monthly",
        )
        billing.fee_standard_create(item=mgmt, effective_from=start, rate="2.50", custody_percent="70")
        billing.fee_standard_create(item=mgmt, effective_from=dt.date(2026, 1, 1), rate="2.80", custody_percent="70")
        items["mgmt"] = mgmt
    if "garbage" not in items:
        garbage = billing.fee_item_create(
            office=office,
            scope=everything,
            code="garbage",
            name="垃圾清运费",
            category="garbage",
            method="fixed",
            cycle="monthly",
        )
        billing.fee_standard_create(item=garbage, effective_from=start, rate="10")
        items["garbage"] = garbage
    for estate in Estate.objects.filter(office=office):
        for item in items.values():
            billing.fee_assign(item=item, scope=everything, start_date=start, estate_id=estate.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE properties_unit; ANALYZE billing_feeassignment; ANALYZE billing_feestandard")
    return Unit.objects.filter(office=office).count()


def set_based(period: dt.date, *, sample_ids: list[int]) -> SetBased:
    """Time bill_run_execute over every unit, count what it made, run it again (rolled back afterwards)."""
    from backend.billing.models import BillLine, BillRun, LedgerEntry
    from backend.billing.runs import bill_run_create, bill_run_execute
    from backend.properties.scope import Scope

    with transaction.atomic():
        run = bill_run_create(period=period, scope=Scope.everything(), by=None)
        BillRun.objects.filter(pk=run.pk).update(status=BillRun.Status.QUEUED)
        started = time.perf_counter()
        run = bill_run_execute(run.pk)
        seconds = time.perf_counter() - started
        lines = BillLine.objects.filter(bill_run=run)
        entries = LedgerEntry.objects.filter(bill_line__bill_run=run, kind="charge").count()
        amounts = dict(lines.filter(unit_id__in=sample_ids).values_list("unit_id").annotate(t=Sum("amount")).order_by())
        again = bill_run_create(period=period, scope=Scope.everything(), by=None)
        BillRun.objects.filter(pk=again.pk).update(status=BillRun.Status.QUEUED)
        started = time.perf_counter()
        again = bill_run_execute(again.pk)
        rerun_seconds = time.perf_counter() - started
        result = SetBased(
            seconds=seconds,
            units=run.total_units,
            lines=lines.count(),
            entries=entries,
            amount=run.amount_created,
            rerun_lines=again.lines_created,
            rerun_seconds=rerun_seconds,
            sample_amounts={k: int(v) for k, v in amounts.items()},
        )
        transaction.set_rollback(True)
    return result


def _one_unit(unit, period: dt.date, today: dt.date, due: dt.date) -> tuple[int, int]:
    """The naive run for one unit: (lines created, amount)."""
    from backend.billing.models import BillLine, FeeAssignment, FeeStandard, LedgerEntry
    from backend.billing.periods import item_period

    created = amount = 0
    with transaction.atomic():
        for assignment in FeeAssignment.objects.filter(unit=unit, fee_item__is_active=True).select_related("fee_item"):
            item = assignment.fee_item
            span = item_period(item.cycle, period)
            if span is None or assignment.start_date > period or (assignment.end_date and assignment.end_date < period):
                continue
            standard = (
                FeeStandard.objects.filter(
                    fee_item=item, effective_from__lte=period, unit_type__in=[unit.unit_type, ""]
                )
                .order_by("-effective_from")
                .first()
            )
            if standard is None:
                continue
            qty = unit.area if item.method == "area" else Decimal(1)
            pct = standard.custody_percent if unit.status == "custody" else Decimal(100)
            value = int((standard.rate * qty * pct / 100 * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            line, new = BillLine.objects.get_or_create(
                unit=unit,
                fee_item=item,
                kind=BillLine.Kind.CHARGE,
                period_start=span[0],
                defaults={
                    "period_end": span[1],
                    "amount": value,
                    "quantity": qty,
                    "rate": standard.rate,
                    "percent": pct,
                    "due_date": due,
                },
            )
            if new:
                LedgerEntry.objects.create(
                    unit=unit, kind=LedgerEntry.Kind.CHARGE, amount=value, bill_line=line, occurred_on=today
                )
                created += 1
                amount += value
    return created, amount


def baseline(period: dt.date, *, limit: int, full_limit: float = BASELINE_FULL_LIMIT) -> tuple[Baseline, bool]:
    """One row at a time with the ORM over the first `limit` units; then over the rest too if the sample says
    the whole company fits in `full_limit` seconds. Returns (result, measured on every unit)."""
    from django.utils import timezone

    from backend.billing.periods import due_date_for
    from backend.properties.models import Unit
    from tenants.company.models import CompanySettings

    today = timezone.localdate()
    due = due_date_for(period, CompanySettings.objects.values_list("payment_due_day", flat=True).first() or 10)
    total = Unit.objects.count()
    amounts: dict[int, int] = {}
    lines = 0
    with transaction.atomic():
        units = Unit.objects.order_by("pk")
        started = time.perf_counter()
        for unit in units[:limit].iterator(chunk_size=2000):
            made, value = _one_unit(unit, period, today, due)
            lines += made
            amounts[unit.pk] = value
        seconds = time.perf_counter() - started
        done = min(limit, total)
        full = done >= total or seconds * total / max(done, 1) <= full_limit
        if full and done < total:
            started = time.perf_counter()
            for unit in units[limit:].iterator(chunk_size=2000):
                lines += _one_unit(unit, period, today, due)[0]
            seconds += time.perf_counter() - started
            done = total
        transaction.set_rollback(True)
    return Baseline(seconds=seconds, units=done, lines=lines, amounts=amounts), full


def measure(period: dt.date = PERIOD, *, sample: int = SAMPLE, full_limit: float = BASELINE_FULL_LIMIT) -> str:
    """Both measurements in the current company; the report line."""
    from backend.billing.models import BillLine, FeeAssignment
    from backend.properties.models import Unit

    if BillLine.objects.filter(kind="charge", period_start=period).exists():
        raise RuntimeError(f"{period:%Y-%m} is already billed in this company: the bench needs a fresh period")
    units = Unit.objects.count()
    expected = FeeAssignment.objects.filter(fee_item__is_active=True).count()
    sample_ids = list(Unit.objects.order_by("pk").values_list("pk", flat=True)[:sample])
    fast = set_based(period, sample_ids=sample_ids)
    if fast.lines != expected or fast.entries != expected or fast.units != units:
        raise RuntimeError(
            f"the run made {fast.lines} lines / {fast.entries} entries for {units} units, not {expected}"
        )
    if fast.rerun_lines:
        raise RuntimeError(f"running the period again created {fast.rerun_lines} lines")
    slow, full = baseline(period, limit=sample, full_limit=full_limit)
    if slow.amounts != {u: fast.sample_amounts.get(u, 0) for u in slow.amounts}:
        raise RuntimeError("the baseline priced the sample differently from the bill run")
    baseline_seconds = slow.seconds if full else slow.seconds * units / max(slow.units, 1)
    how = (
        f"baseline on all {units:,} units"
        if full
        else f"baseline on a {slow.units:,}-unit sample × {units / max(slow.units, 1):g}"
    )
    return (
        f"bench bill-run-100k: {fast.seconds:.2f} s; baseline {baseline_seconds:.1f} s; "
        f"ratio {baseline_seconds / fast.seconds:.1f}x "
        f"({units:,} units, {fast.lines:,} lines + {fast.entries:,} charge entries; re-run created "
        f"{fast.rerun_lines} lines in {fast.rerun_seconds:.2f} s; {how}; both rolled back)"
    )


def _vacuum() -> None:
    """Earlier (rolled-back) runs leave dead rows and index entries behind: clear them so every run of the
    bench starts from the same tables."""
    with connection.cursor() as cursor:
        for table in ("billing_billline", "billing_ledgerentry", "billing_billrun", "audit_auditentry"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def run() -> str:
    connection.set_tenant(_company())
    try:
        seed(int(os.environ.get("BENCH_BILLING_UNITS", UNITS)))
        _vacuum()
        return measure()
    finally:
        connection.set_schema_to_public()
