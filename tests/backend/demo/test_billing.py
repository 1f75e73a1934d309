"""The demo company's year of billing (backend/demo/billing.py), seeded into company alpha on top of the demo
registry: 12 months of bills for every unit, realistic payments, ~8% of units in arrears of every age, and
nothing added when it runs again."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum

from backend.billing.models import (
    BillLine,
    BillRun,
    Deposit,
    FeeItem,
    LedgerEntry,
    Meter,
    MeterReading,
    Payment,
    WaiverRequest,
)
from backend.billing.selectors import lines_with_balances, unit_account
from backend.demo.billing import MONTHS, demo_billing_seed
from backend.demo.registry import demo_registry_seed
from backend.payments.models import BankCollection, BankCollectionRow
from backend.properties.models import Unit, UnitStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 22, 18, 25, tzinfo=SHANGHAI)
TODAY = NOW.date()
FIRST = dt.date(2025, 12, 1)  # twelve months ending with November 2026


def test_the_demo_company_gets_a_year_of_realistic_billing_once(in_tenant_a: Any, member: Any) -> None:
    """One seeding (it is the slow part), three sets of checks."""
    resident = member(in_tenant_a, ["resident"], email="resident@demo-billing.test", name="陈业主")
    finance = member(in_tenant_a, ["finance"], email="finance@demo-billing.test", name="李会计")
    service = member(in_tenant_a, ["customer_service"], email="service@demo-billing.test", name="王客服")
    demo_registry_seed(resident_email=resident.email)
    counts = demo_billing_seed(
        resident_email=resident.email, finance_email=finance.email, service_email=service.email, now=NOW
    )
    seeded = {"counts": counts, "resident": resident, "finance": finance, "service": service}
    _every_unit_is_billed_twelve_months_and_about_8_percent_are_in_arrears()
    _the_seeded_year_has_what_the_reports_and_pages_need(seeded)
    _seeding_again_adds_nothing(seeded)


def _overdue_by_unit() -> dict[int, dt.date]:
    """unit → due date of its oldest line still owed and past due."""
    oldest: dict[int, dt.date] = {}
    for line in lines_with_balances(BillLine.objects.filter(due_date__lt=TODAY)).filter(Q(owed__gt=0)):
        if line.unit_id not in oldest or line.due_date < oldest[line.unit_id]:
            oldest[line.unit_id] = line.due_date
    return oldest


def _every_unit_is_billed_twelve_months_and_about_8_percent_are_in_arrears() -> None:
    units = Unit.objects.count()
    assert units == 1500
    assert BillRun.objects.filter(status=BillRun.Status.POSTED).count() == MONTHS
    assert sorted(BillRun.objects.values_list("period", flat=True))[0] == FIRST
    # every unit: 12 monthly management-fee lines, one per month from December 2025 to November 2026
    per_unit = (
        BillLine.objects.filter(fee_item__category="management", kind="charge")
        .values("unit_id")
        .annotate(n=Count("id"), months=Count("period_start", distinct=True))
    )
    assert len(per_unit) == units
    assert {(row["n"], row["months"]) for row in per_unit} == {(MONTHS, MONTHS)}

    arrears = _overdue_by_unit()
    assert 0.05 <= len(arrears) / units <= 0.12
    # every aging bucket (days past the due date) holds units
    buckets: dict[str, int] = defaultdict(int)
    for due in arrears.values():
        age = (TODAY - due).days
        buckets["0-30" if age <= 30 else "31-90" if age <= 90 else "91-180" if age <= 180 else "180+"] += 1
    assert set(buckets) == {"0-30", "31-90", "91-180", "180+"}, buckets
    assert min(buckets.values()) >= 5, buckets

    # collection rate (收缴率) of what fell due: 阳光花园 under the 95% target, 翠湖苑 above it
    rates = {}
    for estate in ("阳光花园", "翠湖苑"):
        lines = lines_with_balances(BillLine.objects.filter(unit__estate__name=estate, due_date__lt=TODAY))
        totals = lines.aggregate(charged=Sum("amount"))
        settled = 0
        for line in lines:
            settled += int(line.settled)  # type: ignore[attr-defined]
        rates[estate] = settled / int(totals["charged"])
    assert 0.88 <= rates["阳光花园"] < 0.95 < rates["翠湖苑"] <= 0.99, rates


def _the_seeded_year_has_what_the_reports_and_pages_need(seeded: dict[str, Any]) -> None:
    # the mid-year price change of 阳光花园: May at ¥2.00/m², June at ¥2.20/m² (89.50 m² homes)
    unit = Unit.objects.get(label="阳光花园 3栋 1001")
    mgmt = {line.period_start: line.amount for line in BillLine.objects.filter(unit=unit, fee_item__code="mgmt-yg")}
    if unit.status != UnitStatus.CUSTODY:
        assert mgmt[dt.date(2026, 5, 1)] == 17900 and mgmt[dt.date(2026, 6, 1)] == 19690
    # shops pay the shop rate, custody units 70%
    shop = BillLine.objects.filter(fee_item__code="mgmt-ch", unit__unit_type="shop", unit__status="occupied").first()
    assert shop is not None and shop.rate == Decimal("5.8000") and shop.amount == 68440  # 118 m² × 5.80
    custody = BillLine.objects.filter(fee_item__code="mgmt-ch", unit__status="custody", unit__unit_type="residential")
    assert custody.exists() and {line.amount for line in custody} == {28910}  # 118 × 3.50 × 70%
    # water from unit meters, an elevator meter shared by 阳光花园 1栋, quarterly parking, a late-fee rule
    assert Meter.objects.filter(unit__isnull=False).count() == 1500
    assert BillLine.objects.filter(fee_item__code="water").count() > 1000 * 11
    assert MeterReading.objects.filter(status="flagged").count() == 2
    assert MeterReading.objects.filter(status="confirmed").count() == 1
    elevator = BillLine.objects.filter(fee_item__code="elevator")
    assert elevator.values("unit_id").distinct().count() == 150
    assert set(elevator.values_list("unit__building__name", flat=True)) == {"1栋"}
    parking = BillLine.objects.filter(fee_item__code="parking")
    assert sorted({line.period_start.month for line in parking}) == [1, 4, 7, 10]
    assert {(line.period_end - line.period_start).days for line in parking} >= {89}
    assert list(FeeItem.objects.exclude(late_fee_mode="off").values_list("code", "late_fee_mode")) == [
        ("mgmt-ch", "daily_percent")
    ]

    # the ledger carries the dates things happened: each month's charges on its billing day, payments when received
    first_run = BillRun.objects.get(period=FIRST)
    charges = LedgerEntry.objects.filter(bill_line__bill_run=first_run, kind="charge")
    assert set(charges.values_list("occurred_on", flat=True)) == {FIRST}
    payments = Payment.objects.all()
    assert payments.count() > 1300 * 10
    assert {p.method for p in payments} >= {"cash", "pos", "bank_transfer", "bank_collection"}
    # a third of the owners by bank collection: a result file a month, imported, some debits refused
    collections = BankCollection.objects.all()
    assert collections.count() == MONTHS and {c.status for c in collections} == {"applied"}
    assert payments.filter(method="bank_collection", channel="import").count() == sum(c.succeeded for c in collections)
    assert payments.filter(method="bank_collection").count() > 300 * 10
    refused = BankCollectionRow.objects.filter(outcome="failed")
    assert refused.exists() and all(r.reason for r in refused[:50])
    first_local = dt.datetime.combine(FIRST - dt.timedelta(days=20), dt.time(), tzinfo=SHANGHAI)
    assert all(first_local <= p.received_at <= NOW for p in payments)
    receipts = LedgerEntry.objects.filter(kind__in=["payment", "prepayment"]).select_related("payment")
    assert all(
        e.payment is not None and e.occurred_on == e.payment.received_at.astimezone(SHANGHAI).date()
        for e in receipts[:500]
    )
    assert not LedgerEntry.objects.filter(occurred_on__gt=TODAY).exists()

    # some paid a year ahead: bills were settled from the prepaid balance, and some still hold credit
    assert Payment.objects.filter(note="预交一年物业费").count() == 90
    prepaid_units = Payment.objects.filter(note="预交一年物业费").values_list("unit_id", flat=True)
    assert sum(1 for u in prepaid_units if unit_account(u).prepaid > 0) >= 30
    # renovation deposits, one refunded; one waiver waiting for a second person
    assert Deposit.objects.count() == 4
    assert LedgerEntry.objects.filter(kind="deposit_refunded").count() == 1
    pending = WaiverRequest.objects.get()
    assert pending.status == "pending" and pending.requested_by == seeded["service"]

    # the demo resident's home: paid bills and this month's unpaid
    home = Unit.objects.get(occupancies__person__user=seeded["resident"])
    assert home.label == "阳光花园 1栋 1201"
    owed = {line.pk: int(line.owed) for line in lines_with_balances(BillLine.objects.filter(unit=home))}  # type: ignore[attr-defined]
    lines = BillLine.objects.filter(unit=home)
    assert {line.period_start for line in lines if owed[line.pk] > 0} == {dt.date(2026, 11, 1)}
    assert sum(1 for line in lines if owed[line.pk] == 0) >= 11 * 3


def _seeding_again_adds_nothing(seeded: dict[str, Any]) -> None:
    def snapshot() -> tuple[int, ...]:
        return (
            FeeItem.objects.count(),
            BillRun.objects.count(),
            BillLine.objects.count(),
            LedgerEntry.objects.count(),
            Payment.objects.count(),
            MeterReading.objects.count(),
            Deposit.objects.count(),
            WaiverRequest.objects.count(),
        )

    before = snapshot()
    assert before[2] > 0 and seeded["counts"]["payments"] == before[4]
    assert (
        demo_billing_seed(
            resident_email=seeded["resident"].email,
            finance_email=seeded["finance"].email,
            service_email=seeded["service"].email,
            now=NOW + dt.timedelta(days=40),
        )
        == {}
    )
    assert snapshot() == before
    assert not Unit.objects.filter(~Q(unit_type__in=["residential", "shop"])).exists()
