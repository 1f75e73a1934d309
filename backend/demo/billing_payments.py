"""The billing replay's payers: who pays how and when, and the money as it comes in. Counter payments (cash,
POS, bank transfer) of a day are recorded together through the ledger's bulk path; owners with a
collection agreement are debited by the bank once a month, and the bank's result file is imported through
银行托收 (backend/payments/bank_collection.py), as finance would."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from decimal import Decimal
from functools import partial

from django.core.files.base import ContentFile

from backend.billing.ledger_bulk import PaymentIn, payments_record_bulk
from backend.billing.models import Payment
from backend.billing.periods import add_months, due_date_for
from backend.payments.bank_collection import COLUMNS, bank_collection_import
from backend.properties.models import Unit, UnitStatus, UnitType
from backend.uploads.kinds import BANK_COLLECTION_RESULT
from backend.uploads.validation import upload_accept

from .billing_state import Payer, State, pick, round_fen
from .plans import COLLECTION_FAILURES, COUNTER_METHODS, GARBAGE, METHODS, WATER_RATE

COLLECTION = Payment.Method.BANK_COLLECTION


class Payers(State):
    def plan_payers(self) -> None:
        rng = self.rng
        self.payers = []
        open_units: list[Unit] = []
        for u in self.units:
            method = pick(rng, METHODS)
            offset = rng.randint(-8, 14)
            if u.pk in self.resident_units:
                self.payers.append(Payer(u, "resident", Payment.Method.POS, -3, unpaid_months=1))
            elif u.status == UnitStatus.VACANT:
                self.payers.append(Payer(u, "developer", Payment.Method.BANK_TRANSFER, 10, payer=self.plan.developer))
            else:
                self.payers.append(Payer(u, "owner", method, offset))
                open_units.append(u)
        by_unit = {p.unit.pk: p for p in self.payers}
        for estate_name, spec in self.plan.management.items():
            estate = self.estates.get(estate_name)
            if estate is None:
                continue
            in_estate = [u for u in self.units if u.estate_id == estate.pk]
            candidates = [u for u in open_units if u.estate_id == estate.pk]
            count = min(len(candidates), round(len(in_estate) * spec.arrears))
            for u in rng.sample(candidates, count):
                payer = by_unit[u.pk]
                payer.kind = "arrears"
                payer.unpaid_months = pick(rng, self.plan.arrears_months)
        owners = [p for p in self.payers if p.kind == "owner"]
        for i, payer in enumerate(rng.sample(owners, min(self.plan.prepayers, len(owners)))):
            payer.kind = "prepay_start" if i % 2 == 0 else "prepay_mid"
            payer.method = Payment.Method.BANK_TRANSFER if i % 3 else Payment.Method.POS
        self.by_unit = by_unit

    def _monthly_estimate(self, unit: Unit) -> int:
        """What a unit's month roughly costs (for a payment a year ahead), in fen."""
        estate_name = next((n for n, e in self.estates.items() if e.pk == unit.estate_id), "")
        spec = self.plan.management.get(estate_name)
        if spec is None:
            return 0
        rate = Decimal(spec.shop if unit.unit_type == UnitType.SHOP else spec.rates[-1][1])
        pct = Decimal("0.7") if unit.status == UnitStatus.CUSTODY else Decimal(1)
        garbage = Decimal(GARBAGE[1] if unit.unit_type == UnitType.SHOP else GARBAGE[0])
        water = Decimal(WATER_RATE) * Decimal(10)
        return round_fen(unit.area * rate * pct + garbage + water)

    # -- the timeline ----------------------------------------------------------------------------------------

    def payment_timeline(self) -> None:
        rng = self.rng
        last = len(self.months) - 1
        self.collections = {index: [] for index in range(len(self.months))}
        for payer in self.payers:
            for index in range(len(self.months)):
                unpaid = payer.kind in ("arrears", "resident") and index > last - payer.unpaid_months
                if payer.method == COLLECTION:
                    # The bank tries every month; for a unit in arrears the debit fails.
                    self.collections[index].append((payer, not unpaid))
                    continue
                if unpaid:
                    continue
                if payer.kind == "developer":
                    # The developer settles its unsold units every two months, early in the second month:
                    # the first month's bill a few weeks after its due date, the second's before it.
                    if (last - index) % 2 or index == 0:
                        continue
                    self._payment_event(payer, index, first=index - 1, day=self.rng.randint(3, 8))
                else:
                    self._payment_event(payer, index, first=index)
            if payer.kind == "prepay_start":
                when = self.at(self.months[0] - dt.timedelta(days=rng.randint(3, 15)), rng.randint(9, 17))
                self.add(when, partial(self._prepay, payer), batched=True)
            elif payer.kind == "prepay_mid":
                mid = len(self.months) // 2
                when = self.at(self.months[mid] - dt.timedelta(days=rng.randint(2, 6)), rng.randint(9, 17))
                self.add(when, partial(self._prepay, payer), batched=True)
        for index, month in enumerate(self.months):
            # The bank debits on the due date and its result file is imported the next morning.
            debit_day = due_date_for(month, self.due_day)
            self.add(self.at(debit_day + dt.timedelta(days=1), 9, 30), partial(self._collect, index, debit_day))

    def _payment_event(self, payer: Payer, index: int, *, first: int, day: int | None = None) -> None:
        """A payment in month `index` of everything owed then, which includes the bill of month `first`."""
        rng = self.rng
        month = self.months[index]
        due = due_date_for(self.months[first], self.due_day)
        issued = month.replace(day=self.billing_day) + dt.timedelta(days=1)
        when_day = due + dt.timedelta(days=payer.offset + rng.randint(-4, 4)) if day is None else month.replace(day=day)
        when_day = min(max(when_day, issued), add_months(month, 1) - dt.timedelta(days=2))
        when = self.at(when_day, rng.randint(8, 19), rng.choice([0, 10, 20, 30, 40, 50]))
        if when > self.now:
            if due >= self.today and rng.random() > 0.35:
                return  # not due yet: most pay later
            when = self._between(self.at(issued, 8), self.now - dt.timedelta(hours=1))
        method = payer.method if rng.random() < 0.8 or payer.payer else pick(rng, COUNTER_METHODS)
        self.add(when, partial(self._pay, payer.unit.pk, method, payer=payer.payer), batched=True)

    def _between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        if end <= start:
            return end
        seconds = int((end - start).total_seconds())
        return start + dt.timedelta(seconds=self.rng.randint(0, seconds))

    # -- the money -------------------------------------------------------------------------------------------

    def _pay(self, unit_id: int, method: str, *, payer: str = "") -> None:
        amount = self.book.owed[unit_id]
        if amount > 0:
            self._payment(unit_id, amount, method, payer=payer)

    def _payment(self, unit_id: int, amount: int, method: str, *, payer: str = "", note: str = "") -> None:
        """A counter payment, recorded with the day's others (flush)."""
        self.pending.append(
            PaymentIn(
                unit_id=unit_id,
                amount=amount,
                method=method,
                channel=Payment.Channel.COUNTER,
                received_at=self.current,
                reference=f"{self.day:%Y%m%d}{unit_id:05d}" if method == Payment.Method.BANK_TRANSFER else "",
                payer_name=payer,
                note=note,
            )
        )
        self.book.pay(unit_id, amount)

    def _prepay(self, payer: Payer) -> None:
        year = 12 * self._monthly_estimate(payer.unit)
        advance = int(math.ceil(year / 10_000) * 10_000)  # a round sum of yuan hundreds
        owed = self.book.owed[payer.unit.pk]
        self._payment(payer.unit.pk, owed + advance, payer.method, note="预交一年物业费")
        self.counts["prepayments"] += 1

    def flush(self) -> None:
        """Record the counter payments gathered so far (all of one day) in one go, dated that day."""
        if not self.pending:
            return
        with self.cashier():
            result = payments_record_bulk(payments=self.pending, recorded_by=self.finance, today=self.day)
        self.counts["payments"] += result.created
        self.pending = []

    def _collect(self, index: int, debit_day: dt.date) -> None:
        """The bank's result file of the month's collection run, imported: a row per unit under an agreement
        that owes something, most debited, those in arrears refused (余额不足, …)."""
        rows = []
        for n, (payer, succeeds) in enumerate(self.collections[index], start=1):
            amount = self.book.owed[payer.unit.pk]
            if amount <= 0:
                continue
            unit = payer.unit
            rows.append(
                [
                    next(name for name, estate in self.estates.items() if estate.pk == unit.estate_id),
                    unit.building.name,
                    unit.number,
                    "",
                    f"{amount // 100}.{amount % 100:02d}",
                    "成功" if succeeds else "失败",
                    f"{debit_day:%Y%m%d}",
                    f"{debit_day:%Y%m%d}{unit.pk:07d}",
                    "" if succeeds else COLLECTION_FAILURES[n % len(COLLECTION_FAILURES)],
                ]
            )
            if succeeds:
                self.book.pay(unit.pk, amount)
        if not rows:
            return
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([header for _key, header, _aliases in COLUMNS])
        writer.writerows(rows)
        # As a bank sends it: GB18030, dates as 20261110.
        upload = upload_accept(
            kind=BANK_COLLECTION_RESULT,
            upload=ContentFile(out.getvalue().encode("gb18030"), name=f"托收结果{debit_day:%Y%m%d}.csv"),
        )
        with self.cashier():
            collection = bank_collection_import(upload=upload, scope=self.everything, by=self.finance, today=self.day)
        self.counts["bank_collection_files"] += 1
        self.counts["payments"] += collection.succeeded
        self.counts["bank_collection_paid"] += collection.succeeded
        self.counts["bank_collection_failed"] += collection.failed
