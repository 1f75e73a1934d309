"""A demo company's billing history (收费管理), posted through the billing and payments services. 示范物业
(backend/demo/plans.py, SHIFAN_BILLING) gets a year; 绿城物业 a quarter on the same pattern.

What 示范物业's year sets up (in the current company schema, on top of backend/demo/registry.py):

- fee items and standards for both estates: 物业费 by area (阳光花园 ¥2.00/m², ¥2.20 from the middle of the
  year; 翠湖苑 ¥3.50/m², with a daily-percent late fee), a higher rate for shops (底商), 70% for units in
  custody; 垃圾清运费 fixed monthly; 水费 by each unit's water meter at ¥2.80/t; 电梯公摊电费 from a shared
  meter of 阳光花园 1栋, apportioned by area; 车位管理费 quarterly for units with a parking space; 装修垃圾清运费
  as a one-off charge;
- 12 months of meter readings (two of this month's flagged for review, an older one confirmed) and 12
  monthly bill runs ending with the current month (dates in the company's time zone);
- payments as they would have come in: about a third of the owners pay by bank collection (银行托收: the
  bank debits them on the due date and finance imports its result file the next morning, a few debits
  refused); the others within a few weeks of the due date at the counter (cash, POS) or by bank transfer;
  the developer pays for its unsold (vacant) units every two months; some owners pay a year ahead and the
  bill runs settle their bills from the prepaid balance; a few renovation deposits (one refunded) with
  their debris charges; about 8% of units in arrears of every age, more of them in 阳光花园 (collection rate
  under the 95% target) than in 翠湖苑 (above it); one waiver waiting for approval.

The history is replayed in date order, each service told the business date of the event it replays
(`today=`), so bill runs, settlements and deposits carry the date they would have had. A day's counter
payments are recorded together (backend/billing/ledger_bulk.py) and a month's bank debits as one imported
file: the same ledger as one payment at a time, in a few statements instead of tens of thousands.
Everything is deterministic (fixed random seed) and happens in one transaction; a company that already has
the plan's fee items is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from backend.accounts.models import User
from backend.audit.context import Actor, acting_as
from backend.billing import ledger, runs
from backend.billing.models import BillingSettings, BillLine, BillRun, FeeItem, WaiverRequest
from backend.billing.periods import add_months
from backend.billing.selectors import owed_lines
from backend.properties.models import Estate, ManagementOffice, Unit, UnitStatus
from backend.properties.scope import Scope
from tenants.company.models import CompanySettings
from tenants.db import company_time_zone, connection
from tenants.models import Tenant

from .billing_payments import Payers
from .billing_setup import Setup
from .billing_state import Book, Payer
from .plans import DEBRIS, DEPOSIT, SHIFAN_BILLING, BillingPlan
from .progress import Progress

MONTHS = SHIFAN_BILLING.months


def _user(email: str | None) -> User | None:
    return User.objects.filter(email=email).first() if email else None


def demo_billing_seed(
    *,
    plan: BillingPlan = SHIFAN_BILLING,
    resident_email: str | None = None,
    finance_email: str | None = None,
    service_email: str | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    label: str = "",
) -> dict[str, int]:
    """Seed the company's billing history (see the module docstring). Returns what was created."""
    first_item = next(iter(plan.management.values())).code
    if FeeItem.objects.filter(code=first_item).exists() or not Unit.objects.exists():
        return {}
    progress = progress or Progress()
    finance, service, resident = _user(finance_email), _user(service_email), _user(resident_email)
    previous = connection.tenant
    if getattr(previous, "pk", None) is None:
        # Under schema_context() the connection holds a stand-in without an id; notifications need the company.
        connection.set_tenant(Tenant.objects.get(schema_name=connection.schema_name))
    try:
        tz = company_time_zone()
        now = (now or timezone.now()).astimezone(tz)
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Small statements with large estimates: compiling them (JIT) would cost more than running them.
                cursor.execute("SET LOCAL jit = off")
            seeder = Seeder(plan=plan, tz=tz, now=now, finance=finance, service=service, resident=resident)
            return seeder.run(progress, label=label or connection.tenant.name)
    finally:
        if connection.tenant is not previous:
            connection.set_tenant(previous)


class Seeder(Setup, Payers):
    def __init__(
        self,
        *,
        plan: BillingPlan,
        tz: Any,
        now: dt.datetime,
        finance: User | None,
        service: User | None,
        resident: User | None,
    ) -> None:
        self.plan = plan
        self.tz, self.now, self.today = tz, now, now.date()
        self.finance, self.service, self.resident = finance, service, resident
        self.rng = random.Random(plan.seed)
        self.everything = Scope.everything()
        first = add_months(self.today.replace(day=1), -(plan.months - 1))
        self.months = [add_months(first, i) for i in range(plan.months)]
        company = CompanySettings.objects.first()
        self.billing_day = company.billing_day if company else 1
        self.due_day = company.payment_due_day if company else 10
        self.book = Book()
        self.counts = defaultdict(int)
        self.events = []
        self.pending = []
        self.day = self.months[0] - dt.timedelta(days=20)
        self.current = self.at(self.day)

    def run(self, progress: Progress, *, label: str) -> dict[str, int]:
        with progress.stage(f"{label} fee items and meters") as stage:
            BillingSettings.load()
            self.estates = {e.name: e for e in Estate.objects.filter(name__in=list(self.plan.management))}
            self.office = (
                ManagementOffice.objects.filter(pk__in=Unit.objects.values("office_id")).order_by("pk").first()
            )
            self.shops()
            self.units = list(Unit.objects.select_related("building").order_by("pk"))
            self.resident_units = set()
            if self.resident is not None:
                self.resident_units = set(
                    Unit.objects.filter(
                        occupancies__person__user=self.resident, occupancies__end_date__isnull=True
                    ).values_list("pk", flat=True)
                )
            self.items()
            self.meters()
            self.plan_payers()
            self.timeline()
            stage.count(self.counts["fee_items"], "fee item")
            stage.count(self.counts["meters"], "meter")
            stage.count(len(self.events), "event to replay", "events to replay")
        with progress.stage(f"{label} billing history, {len(self.months)} months") as stage:
            for event in sorted(self.events):
                if not event.batched or event.when.date() != self.day:
                    self.flush()  # the payments gathered come before anything else that touches the ledger
                self.current, self.day = event.when, event.when.date()
                event.action()
            self.flush()
            c = self.counts
            stage.count(c["bill_runs"], "bill run")
            stage.count(c["lines"], "bill line")
            stage.count(c["readings"], "reading")
            stage.count(c["payments"], "payment")
            files = c["bank_collection_files"]
            paid_by_bank = f"by bank collection ({files} files)"
            stage.count(c["bank_collection_paid"], paid_by_bank, paid_by_bank)
            stage.count(c["deposits"], "deposit")
        return dict(self.counts)

    def timeline(self) -> None:
        for index, month in enumerate(self.months):
            self.add(self.at(month - dt.timedelta(days=2), 16), partial(self.readings, index))
            # Beat runs the month's bills early on the billing day (this month's in any case, so the history
            # ends with the current month even on the night before the billing day).
            run_at = min(self.at(month.replace(day=self.billing_day), 2), self.now - dt.timedelta(minutes=1))
            self.add(run_at, partial(self._bill_run, index))
        # A price change is decided and entered three weeks ahead.
        for estate_name, spec in self.plan.management.items():
            for index, rate in spec.rates[1:]:
                when = self.at(self.months[index] - dt.timedelta(days=21), 11)
                self.add(when, partial(self._price_change, estate_name, index, rate))
        self.payment_timeline()
        self._renovations()
        self._waiver()

    def _renovations(self) -> None:
        handed_over = [p for p in self.payers if p.kind == "owner" and p.unit.status == UnitStatus.HANDED_OVER]
        chosen = self.rng.sample(handed_over, min(self.plan.renovations, len(handed_over)))
        for n, payer in enumerate(chosen):
            index = min(2 + n * 2, len(self.months) - 1)  # renovations started in different months
            start = self.at(self.months[index] + dt.timedelta(days=4 + n), 10, 30)
            self.add(start, partial(self._renovation_start, payer))
            if n == 0 and index + 3 < len(self.months):
                done = self.at(self.months[index + 3] + dt.timedelta(days=12), 15)
                self.add(done, partial(self._renovation_done, payer))

    def _waiver(self) -> None:
        payers = [
            p
            for p in self.payers
            if p.kind == "arrears" and 3 <= p.unpaid_months < len(self.months) and p.unit.status == UnitStatus.OCCUPIED
        ]
        if self.plan.waiver and payers and self.service is not None:
            self.add(self.now - dt.timedelta(days=2, hours=3), partial(self._waiver_request, payers[0]))

    # -- actions ---------------------------------------------------------------------------------------------

    def _bill_run(self, index: int) -> None:
        run = runs.bill_run_create(period=self.months[index], scope=self.everything, by=None, scheduled=True)
        BillRun.objects.filter(pk=run.pk).update(status=BillRun.Status.QUEUED)
        run = runs.bill_run_execute(run.pk, today=self.day)
        self.counts["bill_runs"] += 1
        self.counts["lines"] += run.lines_created
        for row in BillLine.objects.filter(bill_run=run).values("unit_id").annotate(total=Sum("amount")).order_by():
            self.book.charge(row["unit_id"], int(row["total"]))

    def _price_change(self, estate_name: str, index: int, rate: str) -> None:
        item = self.management.get(estate_name)
        if item is not None:
            self.standard(item, index, rate, custody_percent="70", note="业主大会通过的调价")

    def _renovation_start(self, payer: Payer) -> None:
        with self.cashier():
            ledger.deposit_hold(
                unit=payer.unit,
                amount=DEPOSIT,
                purpose="装修保证金",
                method=payer.method,
                received_at=self.current,
                by=self.finance,
            )
            line = ledger.adhoc_charge_post(
                unit=payer.unit,
                fee_item=self.debris,
                amount=DEBRIS,
                description="装修垃圾清运（一次性）",
                due_date=self.day + dt.timedelta(days=10),
                by=self.finance,
                today=self.day,
            )
        self.book.charge(payer.unit.pk, line.amount)
        self.counts["deposits"] += 1

    def _renovation_done(self, payer: Payer) -> None:
        deposit = payer.unit.deposits.first()
        if deposit is not None:
            with self.cashier():
                ledger.deposit_release(
                    deposit=deposit,
                    refund=deposit.amount,
                    reason="装修验收合格，退还保证金",
                    by=self.finance,
                    today=self.day,
                )
            self.counts["deposits_refunded"] += 1

    def _waiver_request(self, payer: Payer) -> None:
        lines = [line for line in owed_lines(payer.unit.pk) if line.fee_item_id == self.water.pk]
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
