"""BillLine.outstanding: kept by the database from the ledger (billing migration 0002), in every company,
including one onboarded from the template a moment ago."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from backend.billing import ledger
from backend.billing import services as fees
from backend.billing.models import BillLine, FeeItem
from backend.billing.selectors import (
    lines_with_balances,
    outstanding_mismatches,
    owed_by_unit,
    owed_lines,
    unit_bills,
    unit_bills_split,
)
from backend.properties import services as registry
from backend.properties.models import Unit
from backend.properties.scope import Scope
from tenants.services import company_onboard

EVERYTHING = Scope.everything()


def _triggers(schema: str) -> set[tuple[str, str]]:
    """(trigger, schema of the function it calls) on the company's ledger table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.tgname, fn.nspname FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace fn ON fn.oid = p.pronamespace
            WHERE n.nspname = %s AND c.relname = 'billing_ledgerentry' AND NOT t.tgisinternal
            """,
            [schema],
        )
        return set(cursor.fetchall())


def _a_home_with_a_fee(name: str) -> tuple[Unit, FeeItem]:
    office = registry.office_create(name=f"{name}管理处", scope=EVERYTHING)
    estate = registry.estate_create(office_id=office.pk, name=f"{name}苑", scope=EVERYTHING)
    building = registry.building_create(estate_id=estate.pk, name="1栋", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="80", scope=EVERYTHING
    )
    item = fees.fee_item_create(
        office=office,
        scope=EVERYTHING,
        code="LJ",
        name="垃圾清运费",
        category="garbage",
        method="fixed",
        cycle="monthly",
    )
    return Unit.objects.get(building=building), item


def test_a_company_onboarded_from_the_template_keeps_outstanding_through_its_ledger(db: Any) -> None:
    tenant = company_onboard(
        company_name="新开物业",
        subdomain="outstanding-new",
        admin_name="王经理",
        admin_email="wang@outstanding.test",
        admin_phone="13912340000",
        admin_password="Test-pass-2026!",
    ).tenant
    assert {name for name, _fn in _triggers(tenant.schema_name)} == {
        "billing_outstanding_insert",
        "billing_outstanding_update",
        "billing_outstanding_delete",
    }
    connection.set_tenant(tenant)
    unit, item = _a_home_with_a_fee("新开")
    line = ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=12000, description="一次性")
    assert BillLine.objects.get(pk=line.pk).outstanding == 12000
    ledger.payment_record(unit=unit, amount=5000, method="cash", line_ids=[line.pk])
    assert BillLine.objects.get(pk=line.pk).outstanding == 7000
    assert not outstanding_mismatches()


def test_the_trigger_writes_only_the_company_of_the_ledger_it_fires_on(in_tenant_a: Any, tenant_b: Any) -> None:
    connection.set_tenant(tenant_b)
    b_unit, b_item = _a_home_with_a_fee("乙方")
    b_line = ledger.adhoc_charge_post(unit=b_unit, fee_item=b_item, amount=1000, description="一次性")
    connection.set_tenant(in_tenant_a)
    unit, item = _a_home_with_a_fee("甲")
    # Alpha's line may share its id with beta's: the trigger names the table by the ledger's own schema.
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('billing_billline', 'id'), %s, false)", [b_line.pk])
    line = ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=3000, description="一次性")
    assert line.pk == b_line.pk
    assert BillLine.objects.get(pk=line.pk).outstanding == 3000
    connection.set_tenant(tenant_b)
    assert BillLine.objects.get(pk=b_line.pk).outstanding == 1000
    connection.set_tenant(in_tenant_a)
    assert lines_with_balances(BillLine.objects.filter(pk=line.pk)).get().owed == 3000  # type: ignore[attr-defined]


def test_a_bill_run_inserts_its_lines_outstanding_once(in_tenant_a: Any) -> None:
    from backend.billing import runs

    unit, item = _a_home_with_a_fee("乙")
    fees.fee_standard_create(item=item, rate="30", effective_from=dt.date(2026, 1, 1))
    fees.fee_assign(item=item, scope=EVERYTHING, unit_ids=[unit.pk], start_date=dt.date(2026, 1, 1))
    run = runs.bill_run_create(period=dt.date(2026, 3, 1), scope=EVERYTHING, by=None)
    runs.bill_run_execute(run.pk)
    (line,) = BillLine.objects.filter(unit=unit)
    assert line.outstanding == line.amount == 3000
    assert not outstanding_mismatches()


def test_owed_by_unit_reads_what_the_ledger_says_each_home_owes(in_tenant_a: Any) -> None:
    """The resident home's summary (owed_by_unit, from the column) agrees with the ledger's owed_lines, line by
    line and per unit, through a part payment, a line paid off and a second unit; a unit owing nothing is absent."""
    unit, item = _a_home_with_a_fee("丙")
    other, other_item = _a_home_with_a_fee("丁")
    first = ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=12000, description="一次性")
    paid = ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=800, description="另一笔")
    ledger.adhoc_charge_post(unit=other, fee_item=other_item, amount=500, description="一次性")
    ledger.payment_record(unit=unit, amount=5000, method="cash", line_ids=[first.pk])
    ledger.payment_record(unit=unit, amount=800, method="cash", line_ids=[paid.pk])
    quiet, _item = _a_home_with_a_fee("戊")
    found = owed_by_unit([unit.pk, other.pk, quiet.pk])
    for u in (unit, other):
        by_ledger = sorted((int(line.owed), line.due_date) for line in owed_lines(u.pk))  # type: ignore[attr-defined]
        assert sorted(found[u.pk]) == by_ledger
    assert sorted(found[unit.pk]) == [(7000, first.due_date)]
    assert quiet.pk not in found


def test_unit_bills_split_gives_unit_bills_lines_unpaid_and_the_newest_paid(in_tenant_a: Any) -> None:
    """The resident bills page's read (unit_bills_split, one SQL statement on the `outstanding` column) gives
    the lines unit_bills gives, with the same fields and ledger sums: every unpaid one, then only the newest
    `paid_limit` paid ones, and how many paid lines there are; another unit's lines never appear."""
    unit, item = _a_home_with_a_fee("己")
    other, other_item = _a_home_with_a_fee("庚")
    lines = [
        ledger.adhoc_charge_post(unit=unit, fee_item=item, amount=1000 + n, description=f"第{n}笔") for n in range(6)
    ]
    ledger.adhoc_charge_post(unit=other, fee_item=other_item, amount=999, description="别家")
    ledger.payment_record(unit=unit, amount=400, method="cash", line_ids=[lines[0].pk])  # part paid: unpaid
    for line in lines[1:5]:
        ledger.payment_record(unit=unit, amount=line.amount, method="cash", line_ids=[line.pk])
    fields = ("pk", "unit_id", "fee_item_id", "kind", "period_start", "period_end", "description", "due_date")
    sums = ("charged", "waived", "settled", "owed")

    def shape(line: Any) -> tuple[Any, ...]:
        return (*(getattr(line, f) for f in fields), line.fee_item.name, line.fee_item.priority) + tuple(
            int(getattr(line, s)) for s in sums
        )

    everything = unit_bills(unit.pk, unpaid_first=False)
    expected_unpaid = [shape(line) for line in everything if int(line.owed) > 0]  # type: ignore[attr-defined]
    expected_paid = [shape(line) for line in everything if int(line.owed) <= 0]  # type: ignore[attr-defined]
    assert len(expected_unpaid) == 2 and len(expected_paid) == 4
    unpaid, paid, paid_count = unit_bills_split(unit.pk, paid_limit=3)
    assert [shape(line) for line in unpaid] == expected_unpaid
    assert [shape(line) for line in paid] == expected_paid[:3]
    assert paid_count == 4
    part_paid: Any = next(line for line in unpaid if line.pk == lines[0].pk)
    assert int(part_paid.owed) == 600 and int(part_paid.settled) == 400 and int(part_paid.charged) == 1000
    unpaid, paid, paid_count = unit_bills_split(unit.pk, paid_limit=10)
    assert [shape(line) for line in paid] == expected_paid and paid_count == 4
    assert unit_bills_split(other.pk, paid_limit=3)[2] == 0
