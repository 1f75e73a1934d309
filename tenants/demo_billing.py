"""The demo company's billing: a year of 收费管理 for 示范物业, posted through the billing services.

What it sets up (in the current company schema, on top of tenants/demo_registry.py):

- fee items and standards for both estates: 物业费 by area (阳光花园 ¥2.00/m², ¥2.20 from the middle of the
  year; 翠湖苑 ¥3.50/m², with a daily-percent late fee), a higher rate for shops (底商), 70% for units in
  custody; 垃圾清运费 fixed monthly; 水费 by each unit's water meter at ¥2.80/t; 电梯公摊电费 from a shared
  meter of 阳光花园 1栋, apportioned by area; 车位管理费 quarterly for units with a parking space; 装修垃圾清运费
  as a one-off charge;
- 12 months of meter readings (two of this month's flagged for review, an older one confirmed) and 12
  monthly bill runs ending with the current month (dates in the company's time zone);
- payments as they would have come in: most units pay each month within a few weeks of the due date, at
  the counter (cash, POS) or by bank transfer; the developer pays for its unsold (vacant) units every two
  months; some owners pay a year ahead and the bill runs settle their bills from the prepaid balance; a few
  renovation deposits (one refunded) with their debris charges; about 8% of units in arrears of every age,
  more of them in 阳光花园 (collection rate under the 95% target) than in 翠湖苑 (above it); one waiver
  waiting for approval.

The year is replayed in date order: while an event of a past day runs, `timezone.localdate()` answers that
day, so bill runs, settlements and deposits carry the date they would have had (payments and deposits carry
their `received_at` anyway). Only `localdate` is replaced, only for the duration of the seeding, which runs
in one process and thread (the `seed_demo` command, or a test). Everything is deterministic (fixed random
seed) and happens in one transaction; a company that already has the demo fee items is left as it is.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from backend.accounts.models import User
from backend.audit.context import Actor, acting_as
from backend.billing import ledger, runs, services
from backend.billing.models import (
    BillingSettings,
    BillLine,
    BillRun,
    FeeItem,
    LateFeeMode,
    Meter,
    MeterReading,
    Payment,
    WaiverRequest,
)
from backend.billing.periods import add_months, due_date_for
from backend.properties import services as registry
from backend.properties.models import Building, Estate, ManagementOffice, ParkingSpace, Unit, UnitStatus, UnitType
from backend.properties.scope import Scope
from tenants.company.models import CompanySettings
from tenants.db import company_time_zone, connection
from tenants.models import Tenant

SEED = 2026
MONTHS = 12
DEVELOPER = "示范置业有限公司"


@dataclass(frozen=True)
class EstateFees:
    """Per estate: its management fee item and standards, and the share of its units in arrears."""

    code: str
    name: str
    rates: tuple[tuple[int, str], ...]  # (month index it takes effect, ¥/m²/month)
    shop: str  # ¥/m²/month for shops
    arrears: Decimal
    shops: tuple[tuple[str, int], ...]  # ground-floor shops (底商): (building, floor)
    late_fee: bool = False


MANAGEMENT = {
    # a price change in the middle of the year
    "阳光花园": EstateFees(
        "mgmt-yg", "物业费（阳光花园）", ((0, "2.00"), (6, "2.20")), "4.50", Decimal("0.12"), (("5栋", 1),)
    ),
    "翠湖苑": EstateFees(
        "mgmt-ch", "物业费（翠湖苑）", ((0, "3.50"),), "5.80", Decimal("0.04"), (("1栋", 1), ("2栋", 1)), late_fee=True
    ),
}
WATER_RATE = "2.80"
ELEVATOR_RATE = "0.68"
GARBAGE = ("10", "50")  # ¥ per month: homes, shops
PARKING_RATE = "150"  # ¥ per month, billed quarterly
PARKING_UNITS_PER_ESTATE = 30
PREPAYERS = 90  # pay a year ahead: half before the first month, half in the middle of the year
RENOVATIONS = 4
DEPOSIT = 200_000  # 装修保证金, fen
DEBRIS = 30_000  # 装修垃圾清运费, fen
# How many of the latest overdue months an arrears unit has left unpaid (weights), so every aging bucket
# (0–30 / 31–90 / 91–180 / 180+ days) holds units.
ARREARS_MONTHS = [(1, 15), (2, 10), (3, 10), (4, 8), (5, 8), (6, 9), (8, 10), (10, 12), (12, 18)]
METHODS = [(Payment.Method.CASH, 25), (Payment.Method.POS, 45), (Payment.Method.BANK_TRANSFER, 30)]


@dataclass
class Plan:
    """How one unit pays."""

    unit: Unit
    kind: str  # owner | developer | arrears | prepay_start | prepay_mid | resident
    method: str
    offset: int  # habitual days after the due date (negative: before)
    unpaid_months: int = 0
    payer: str = ""


@dataclass
class Book:
    """What each unit owes and holds, followed as the year is replayed (mirrors the ledger)."""

    owed: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    credit: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def charge(self, unit_id: int, amount: int) -> None:
        self.owed[unit_id] += amount
        used = min(self.credit[unit_id], self.owed[unit_id])
        self.credit[unit_id] -= used
        self.owed[unit_id] -= used

    def pay(self, unit_id: int, amount: int) -> None:
        used = min(self.owed[unit_id], amount)
        self.owed[unit_id] -= used
        self.credit[unit_id] += amount - used


@contextmanager
def replay_clock() -> Iterator[Callable[[dt.date], None]]:
    """Make `timezone.localdate()` (no argument) answer the day being replayed; yields the setter."""
    real = timezone.localdate
    day: list[dt.date | None] = [None]

    def localdate(value: dt.datetime | None = None, timezone: Any = None) -> dt.date:
        if value is None and day[0] is not None:
            return day[0]
        return real(value, timezone)

    def set_day(value: dt.date) -> None:
        day[0] = value

    with mock.patch.object(timezone, "localdate", localdate):
        yield set_day


def _round_fen(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _analyze() -> None:
    """Refresh the planner's statistics of the tables this seeding fills (in its own transaction the
    autovacuum daemon cannot see them; without this the bill runs and payments plan for empty tables)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE billing_feeassignment, billing_meter, billing_meterreading, billing_billline, "
            "billing_ledgerentry, billing_payment, properties_unit"
        )


def _user(email: str | None) -> User | None:
    return User.objects.filter(email=email).first() if email else None


def demo_billing_seed(
    *,
    resident_email: str | None = None,
    finance_email: str | None = None,
    service_email: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Seed the demo company's year of billing (see the module docstring). Returns what was created."""
    if FeeItem.objects.filter(code=MANAGEMENT["阳光花园"].code).exists() or not Unit.objects.exists():
        return {}
    finance, service = _user(finance_email), _user(service_email)
    resident = _user(resident_email)
    previous = connection.tenant
    if getattr(previous, "pk", None) is None:
        # Under schema_context() the connection holds a stand-in without an id; notifications need the company.
        connection.set_tenant(Tenant.objects.get(schema_name=connection.schema_name))
    try:
        tz = company_time_zone()
        now = (now or timezone.now()).astimezone(tz)
        with transaction.atomic(), replay_clock() as set_day:
            with connection.cursor() as cursor:
                # Small statements with large estimates: compiling them (JIT) would cost more than running them.
                cursor.execute("SET LOCAL jit = off")
            seeder = _Seeder(tz=tz, now=now, finance=finance, service=service, resident=resident, set_day=set_day)
            return seeder.run()
    finally:
        if connection.tenant is not previous:
            connection.set_tenant(previous)


class _Seeder:
    def __init__(
        self,
        *,
        tz: ZoneInfo,
        now: dt.datetime,
        finance: User | None,
        service: User | None,
        resident: User | None,
        set_day: Callable[[dt.date], None],
    ) -> None:
        self.tz, self.now, self.today = tz, now, now.date()
        self.finance, self.service, self.resident = finance, service, resident
        self.set_day = set_day
        self.rng = random.Random(SEED)
        self._current = now
        self.everything = Scope.everything()
        first = add_months(self.today.replace(day=1), -(MONTHS - 1))
        self.months = [add_months(first, i) for i in range(MONTHS)]
        company = CompanySettings.objects.first()
        self.billing_day = company.billing_day if company else 1
        self.due_day = company.payment_due_day if company else 10
        self.book = Book()
        self.counts: dict[str, int] = defaultdict(int)
        self.events: list[tuple[dt.datetime, int, Callable[[], Any]]] = []

    # -- the timeline ------------------------------------------------------------------------------------

    def at(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.tz)

    def add(self, when: dt.datetime, action: Callable[[], Any]) -> None:
        if when <= self.now:
            self.events.append((when, len(self.events), action))

    def run(self) -> dict[str, int]:
        self.set_day(self.months[0] - dt.timedelta(days=20))
        BillingSettings.load()
        self.estates = {e.name: e for e in Estate.objects.filter(name__in=list(MANAGEMENT))}
        self.office = ManagementOffice.objects.filter(pk__in=Unit.objects.values("office_id")).order_by("pk").first()
        self._shops()
        self.units = list(Unit.objects.select_related("building").order_by("pk"))
        self.resident_units: set[int] = set()
        if self.resident is not None:
            self.resident_units = set(
                Unit.objects.filter(
                    occupancies__person__user=self.resident, occupancies__end_date__isnull=True
                ).values_list("pk", flat=True)
            )
        self._items()
        self._meters()
        self._plans()
        self._timeline()
        for when, _seq, action in sorted(self.events, key=lambda e: (e[0], e[1])):
            self._current = when
            self.set_day(when.date())
            action()
        return dict(self.counts)

    # -- set-up ----------------------------------------------------------------------------------------------

    def _shops(self) -> None:
        for estate_name, spec in MANAGEMENT.items():
            for building, floor in spec.shops:
                ids = list(
                    Unit.objects.filter(estate__name=estate_name, building__name=building, floor=floor).values_list(
                        "pk", flat=True
                    )
                )
                # A few at a time: the audit entry lists the ids in a 64-character field.
                for start in range(0, len(ids), 8):
                    registry.units_bulk_update(
                        unit_ids=ids[start : start + 8], scope=self.everything, unit_type=UnitType.SHOP
                    )

    def _item(self, **data: Any) -> FeeItem:
        assert self.office is not None
        return services.fee_item_create(office=self.office, scope=self.everything, **{"cycle": "monthly", **data})

    def _standard(self, item: FeeItem, month: int, rate: str, **extra: Any) -> None:
        services.fee_standard_create(
            item=item, effective_from=self.months[month], rate=Decimal(rate), by=self.finance, **extra
        )

    def _items(self) -> None:
        start = self.months[0]
        self.management: dict[str, FeeItem] = {}
        for priority, (estate_name, spec) in enumerate(MANAGEMENT.items()):
            estate = self.estates.get(estate_name)
            if estate is None:
                continue
            late = (
                {
                    "late_fee_mode": LateFeeMode.DAILY_PERCENT,
                    "late_fee_daily_percent": Decimal("0.03"),
                    "late_fee_grace_days": 15,
                    "late_fee_cap": 10_000,
                }
                if spec.late_fee
                else {}
            )
            item = self._item(
                code=spec.code,
                name=spec.name,
                category="management",
                method="area",
                cycle="monthly",
                priority=10 + priority,
                **late,
            )
            first_rate = spec.rates[0][1]
            self._standard(item, 0, first_rate, custody_percent="70", note="物业服务合同约定的收费标准")
            self._standard(item, 0, spec.shop, unit_type=UnitType.SHOP, custody_percent="70")
            services.fee_assign(item=item, scope=self.everything, start_date=start, estate_id=estate.pk)
            self.management[estate_name] = item
        self.garbage = self._item(code="garbage", name="垃圾清运费", category="garbage", method="fixed", priority=30)
        self._standard(self.garbage, 0, GARBAGE[0])
        self._standard(self.garbage, 0, GARBAGE[1], unit_type=UnitType.SHOP)
        self.water = self._item(
            code="water", name="水费", category="water", method="meter", meter_kind="water", priority=40
        )
        self._standard(self.water, 0, WATER_RATE)
        self.elevator = self._item(
            code="elevator",
            name="电梯公摊电费",
            category="shared",
            method="shared_meter",
            meter_kind="electricity",
            priority=50,
        )
        self._standard(self.elevator, 0, ELEVATOR_RATE)
        self.parking = self._item(
            code="parking", name="车位管理费", category="parking", method="fixed", cycle="quarterly", priority=60
        )
        self._standard(self.parking, 0, PARKING_RATE)
        self.debris = self._item(
            code="debris", name="装修垃圾清运费", category="renovation_debris", method="fixed", cycle="one_off"
        )
        for estate in self.estates.values():
            for item in (self.garbage, self.water):
                services.fee_assign(item=item, scope=self.everything, start_date=start, estate_id=estate.pk)
        # Units with a parking space pay its management fee, quarterly.
        parking_units: list[int] = []
        for estate in self.estates.values():
            spaces = list(ParkingSpace.objects.filter(estate=estate, unit__isnull=True).order_by("number"))
            homes = list(Unit.objects.filter(estate=estate, status=UnitStatus.OCCUPIED).order_by("pk"))
            chosen = self.rng.sample(homes, min(len(homes), len(spaces), PARKING_UNITS_PER_ESTATE))
            for space, unit in zip(spaces, chosen, strict=False):
                ParkingSpace.objects.filter(pk=space.pk).update(unit=unit)
                parking_units.append(unit.pk)
        if parking_units:
            services.fee_assign(item=self.parking, scope=self.everything, start_date=start, unit_ids=parking_units)

    def _meters(self) -> None:
        """A water meter per unit and the shared elevator meter of 阳光花园 1栋, with a reading a month."""
        meters = Meter.objects.bulk_create(
            [
                Meter(kind="water", number=f"W-{u.building.name}-{u.number}", estate_id=u.estate_id, unit=u)
                for u in self.units
            ]
        )
        self.water_meters = {m.unit_id: m for m in meters}
        self.elevator_meter: Meter | None = None
        estate = self.estates.get("阳光花园")
        building = Building.objects.filter(estate=estate, name="1栋").first() if estate else None
        if building is not None:
            self.elevator_meter = Meter.objects.create(
                kind="electricity", number="E-1栋-电梯", estate=building.estate, fee_item=self.elevator
            )
            self.elevator_meter.shared_units.set(Unit.objects.filter(building=building))
        # Usage per month: households 4–14 t with a summer peak; homes being renovated a little; none when vacant.
        self.usage: dict[int, list[Decimal]] = {}
        for u in self.units:
            if u.status == UnitStatus.OCCUPIED:
                base = self.rng.uniform(4, 14) * (2.5 if u.unit_type == UnitType.SHOP else 1)
            elif u.status == UnitStatus.HANDED_OVER:
                base = self.rng.uniform(0.5, 3)
            elif u.status == UnitStatus.CUSTODY:
                base = self.rng.uniform(0, 1)
            else:
                base = 0
            row = []
            for m in self.months:
                season = 1 + 0.25 * math.sin((m.month - 4) / 12 * 2 * math.pi)
                value = base * season * self.rng.uniform(0.85, 1.15)
                row.append(Decimal(str(round(value, 1))))
            self.usage[u.pk] = row
        self.start_reading = {u.pk: Decimal(self.rng.randint(50, 1800)) for u in self.units}
        occupied = [u for u in self.units if u.status == UnitStatus.OCCUPIED and u.pk not in self.resident_units]
        odd = self.rng.sample(occupied, 3)
        # (unit, month index, status, reason): two of this month's readings wait for review, an older spike
        # (a leaking pipe) was confirmed and billed.
        self.odd_readings = {
            (odd[0].pk, MONTHS - 1): ("lower", "flagged", "Lower than the previous reading"),
            (odd[1].pk, MONTHS - 1): ("spike", "flagged", "Usage far above the unit's average"),
            (odd[2].pk, MONTHS - 5): ("spike", "confirmed", "Usage far above the unit's average"),
        }

    def _readings(self, index: int) -> None:
        month = self.months[index]
        read_on = month - dt.timedelta(days=2)
        rows = []
        for u in self.units:
            meter = self.water_meters[u.pk]
            before = self.start_reading[u.pk] + sum(self.usage[u.pk][:index], Decimal(0))
            usage = self.usage[u.pk][index]
            status, reason, reviewed = "ok", "", None
            odd = self.odd_readings.get((u.pk, index))
            if odd:
                what, status, reason = odd
                usage = (-Decimal("90.0") if what == "lower" else usage * 6 + 20).quantize(Decimal("0.1"))
                self.usage[u.pk][index] = usage if status == "confirmed" else Decimal(0)
                if status == "confirmed":
                    reviewed = self.at(read_on + dt.timedelta(days=1), 15)
            rows.append(
                MeterReading(
                    meter=meter,
                    period=month,
                    reading=before + usage,
                    previous=before,
                    usage=usage,
                    status=status,
                    flag_reason=reason,
                    read_on=read_on,
                    reviewed_by=self.finance if reviewed else None,
                    reviewed_at=reviewed,
                )
            )
        if self.elevator_meter is not None:
            kwh = [Decimal(self.rng.randint(2600, 3400)) for _ in range(index + 1)]
            rows.append(
                MeterReading(
                    meter=self.elevator_meter,
                    period=month,
                    reading=Decimal(20_000) + sum(kwh),
                    previous=Decimal(20_000) + sum(kwh[:-1]),
                    usage=kwh[-1],
                    read_on=read_on,
                )
            )
        MeterReading.objects.bulk_create(rows)
        self.counts["readings"] += len(rows)
        if index in (0, 1, 2, 4, 8):  # as the tables grow
            _analyze()

    # -- who pays how ----------------------------------------------------------------------------------------

    def _plans(self) -> None:
        rng = self.rng
        self.plans: list[Plan] = []
        open_units: list[Unit] = []
        for u in self.units:
            method = _pick(rng, METHODS)
            offset = rng.randint(-8, 14)
            if u.pk in self.resident_units:
                self.plans.append(Plan(u, "resident", Payment.Method.POS, -3, unpaid_months=1))
            elif u.status == UnitStatus.VACANT:
                self.plans.append(Plan(u, "developer", Payment.Method.BANK_TRANSFER, 10, payer=DEVELOPER))
            else:
                plan = Plan(u, "owner", method, offset)
                self.plans.append(plan)
                open_units.append(u)
        by_unit = {p.unit.pk: p for p in self.plans}
        for estate_name, spec in MANAGEMENT.items():
            estate = self.estates.get(estate_name)
            if estate is None:
                continue
            in_estate = [u for u in self.units if u.estate_id == estate.pk]
            candidates = [u for u in open_units if u.estate_id == estate.pk]
            count = min(len(candidates), round(len(in_estate) * spec.arrears))
            for u in rng.sample(candidates, count):
                plan = by_unit[u.pk]
                plan.kind = "arrears"
                plan.unpaid_months = _pick(rng, ARREARS_MONTHS)
        owners = [p for p in self.plans if p.kind == "owner"]
        for i, plan in enumerate(rng.sample(owners, min(PREPAYERS, len(owners)))):
            plan.kind = "prepay_start" if i % 2 == 0 else "prepay_mid"
            plan.method = Payment.Method.BANK_TRANSFER if i % 3 else Payment.Method.POS
        self.by_unit = by_unit

    def _monthly_estimate(self, unit: Unit) -> int:
        """What a unit's month roughly costs (for a payment a year ahead), in fen."""
        estate_name = next((n for n, e in self.estates.items() if e.pk == unit.estate_id), "")
        spec = MANAGEMENT.get(estate_name)
        if spec is None:
            return 0
        rate = Decimal(spec.shop if unit.unit_type == UnitType.SHOP else spec.rates[-1][1])
        pct = Decimal("0.7") if unit.status == UnitStatus.CUSTODY else Decimal(1)
        garbage = Decimal(GARBAGE[1] if unit.unit_type == UnitType.SHOP else GARBAGE[0])
        water = Decimal(WATER_RATE) * Decimal(10)
        return _round_fen(unit.area * rate * pct + garbage + water)

    # -- events ----------------------------------------------------------------------------------------------

    def _timeline(self) -> None:
        rng = self.rng
        for index, month in enumerate(self.months):
            self.add(self.at(month - dt.timedelta(days=2), 16), partial(self._readings, index))
            # Beat runs the month's bills early on the billing day (this month's in any case, so the year ends
            # with the current month even on the night before the billing day).
            run_at = min(self.at(month.replace(day=self.billing_day), 2), self.now - dt.timedelta(minutes=1))
            self.add(run_at, partial(self._bill_run, index))
        # The mid-year price change is decided and entered three weeks ahead.
        for estate_name, spec in MANAGEMENT.items():
            for index, rate in spec.rates[1:]:
                when = self.at(self.months[index] - dt.timedelta(days=21), 11)
                self.add(when, partial(self._price_change, estate_name, index, rate))
        last = len(self.months) - 1
        for plan in self.plans:
            for index in range(len(self.months)):
                if plan.kind in ("arrears", "resident") and index > last - plan.unpaid_months:
                    continue
                if plan.kind == "developer":
                    # The developer settles its unsold units every two months, early in the second month:
                    # the first month's bill a few weeks after its due date, the second's before it.
                    if (last - index) % 2 or index == 0:
                        continue
                    self._payment_event(plan, index, first=index - 1, day=self.rng.randint(3, 8))
                else:
                    self._payment_event(plan, index, first=index)
            if plan.kind == "prepay_start":
                when = self.at(self.months[0] - dt.timedelta(days=rng.randint(3, 15)), rng.randint(9, 17))
                self.add(when, partial(self._prepay, plan))
            elif plan.kind == "prepay_mid":
                mid = MONTHS // 2
                when = self.at(self.months[mid] - dt.timedelta(days=rng.randint(2, 6)), rng.randint(9, 17))
                self.add(when, partial(self._prepay, plan))
        self._renovations()
        self._waiver()

    def _payment_event(self, plan: Plan, index: int, *, first: int, day: int | None = None) -> None:
        """A payment in month `index` of everything owed then, which includes the bill of month `first`."""
        rng = self.rng
        month = self.months[index]
        due = due_date_for(self.months[first], self.due_day)
        issued = month.replace(day=self.billing_day) + dt.timedelta(days=1)
        when_day = due + dt.timedelta(days=plan.offset + rng.randint(-4, 4)) if day is None else month.replace(day=day)
        when_day = min(max(when_day, issued), add_months(month, 1) - dt.timedelta(days=2))
        when = self.at(when_day, rng.randint(8, 19), rng.choice([0, 10, 20, 30, 40, 50]))
        if when > self.now:
            if due >= self.today and rng.random() > 0.35:
                return  # not due yet: most pay later
            when = self._between(self.at(issued, 8), self.now - dt.timedelta(hours=1))
        method = plan.method if rng.random() < 0.8 or plan.payer else _pick(rng, METHODS)
        self.add(when, partial(self._pay, plan.unit.pk, method, payer=plan.payer))

    def _between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        if end <= start:
            return end
        seconds = int((end - start).total_seconds())
        return start + dt.timedelta(seconds=self.rng.randint(0, seconds))

    def _renovations(self) -> None:
        handed_over = [p for p in self.plans if p.kind == "owner" and p.unit.status == UnitStatus.HANDED_OVER]
        chosen = self.rng.sample(handed_over, min(RENOVATIONS, len(handed_over)))
        for n, plan in enumerate(chosen):
            index = 2 + n * 2  # renovations started in different months
            start = self.at(self.months[index] + dt.timedelta(days=4 + n), 10, 30)
            self.add(start, partial(self._renovation_start, plan))
            if n == 0:
                done = self.at(self.months[index + 3] + dt.timedelta(days=12), 15)
                self.add(done, partial(self._renovation_done, plan))

    def _waiver(self) -> None:
        plans = [
            p
            for p in self.plans
            if p.kind == "arrears" and 3 <= p.unpaid_months < MONTHS and p.unit.status == UnitStatus.OCCUPIED
        ]
        if plans and self.service is not None:
            plan = plans[0]
            self.add(self.now - dt.timedelta(days=2, hours=3), partial(self._waiver_request, plan))

    # -- actions ---------------------------------------------------------------------------------------------

    def _cashier(self) -> Any:
        user = self.finance
        return acting_as(Actor(user_id=user.pk if user else None, user_name=user.name if user else "system", ip=None))

    def _bill_run(self, index: int) -> None:
        run = runs.bill_run_create(period=self.months[index], scope=self.everything, by=None, scheduled=True)
        BillRun.objects.filter(pk=run.pk).update(status=BillRun.Status.QUEUED)
        run = runs.bill_run_execute(run.pk)
        self.counts["bill_runs"] += 1
        self.counts["lines"] += run.lines_created
        for row in BillLine.objects.filter(bill_run=run).values("unit_id").annotate(total=Sum("amount")).order_by():
            self.book.charge(row["unit_id"], int(row["total"]))

    def _price_change(self, estate_name: str, index: int, rate: str) -> None:
        item = self.management.get(estate_name)
        if item is not None:
            self._standard(item, index, rate, custody_percent="70", note="业主大会通过的调价")

    def _pay(self, unit_id: int, method: str, *, payer: str = "") -> None:
        amount = self.book.owed[unit_id]
        if amount <= 0:
            return
        self._payment(unit_id, amount, method, payer=payer)

    def _payment(self, unit_id: int, amount: int, method: str, *, payer: str = "", note: str = "") -> None:
        unit = self.by_unit[unit_id].unit
        day = timezone.localdate()
        with self._cashier():
            ledger.payment_record(
                unit=unit,
                amount=amount,
                method=method,
                payer_name=payer,
                note=note,
                reference=f"{day:%Y%m%d}{unit_id:05d}" if method == Payment.Method.BANK_TRANSFER else "",
                received_at=self._received_at(),
                recorded_by=self.finance,
            )
        self.book.pay(unit_id, amount)
        self.counts["payments"] += 1

    def _received_at(self) -> dt.datetime:
        return self._current

    def _prepay(self, plan: Plan) -> None:
        year = 12 * self._monthly_estimate(plan.unit)
        advance = int(math.ceil(year / 10_000) * 10_000)  # a round sum of yuan hundreds
        owed = self.book.owed[plan.unit.pk]
        self._payment(plan.unit.pk, owed + advance, plan.method, note="预交一年物业费")
        self.counts["prepayments"] += 1

    def _renovation_start(self, plan: Plan) -> None:
        with self._cashier():
            ledger.deposit_hold(
                unit=plan.unit,
                amount=DEPOSIT,
                purpose="装修保证金",
                method=plan.method,
                received_at=self._received_at(),
                by=self.finance,
            )
            line = ledger.adhoc_charge_post(
                unit=plan.unit,
                fee_item=self.debris,
                amount=DEBRIS,
                description="装修垃圾清运（一次性）",
                due_date=timezone.localdate() + dt.timedelta(days=10),
                by=self.finance,
            )
        self.book.charge(plan.unit.pk, line.amount)
        self.counts["deposits"] += 1

    def _renovation_done(self, plan: Plan) -> None:
        deposit = plan.unit.deposits.first()
        if deposit is not None:
            with self._cashier():
                ledger.deposit_release(
                    deposit=deposit, refund=deposit.amount, reason="装修验收合格，退还保证金", by=self.finance
                )
            self.counts["deposits_refunded"] += 1

    def _waiver_request(self, plan: Plan) -> None:
        from backend.billing.selectors import owed_lines

        lines = [line for line in owed_lines(plan.unit.pk) if line.fee_item_id == self.water.pk]
        if not lines or self.service is None:
            return
        line = lines[0]
        amount = max(1, int(line.owed) // 2)  # type: ignore[attr-defined]
        with acting_as(Actor(user_id=self.service.pk, user_name=self.service.name, ip=None)):
            ledger.waiver_request(
                line=line,
                amount=amount,
                reason="楼下报修：入户水管暗漏，业主申请减免当月一半水费",
                by=self.service,
            )
        self.counts["waivers_pending"] += WaiverRequest.objects.filter(bill_line=line).count()
