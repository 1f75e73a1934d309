""".xlsx import of meter readings: good rows, bad rows (all or nothing), anomalies, locked months, re-import."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from backend.audit.models import AuditEntry
from backend.billing import meter_imports, meters
from backend.billing.models import BillLine, Meter, MeterReading
from backend.errors import ApplicationError

from .conftest import EVERYTHING, World
from .test_meters import history, month, post, rec

HEADERS = ["小区", "表号", "月份", "读数", "抄表日期"]


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def run(rows: list[list[Any]]) -> meter_imports.ReadingImportResult:
    return meter_imports.readings_import(data=xlsx(rows), scope=EVERYTHING, by=None)


@pytest.fixture
def unit_meters(world: World) -> list[Meter]:
    return [
        meters.meter_create(scope=EVERYTHING, unit_id=u.pk, kind="water", number=f"W-{i}")
        for i, u in enumerate(world.units, start=1)
    ]


def test_the_template_has_the_headers_and_an_example(in_tenant_a: Any) -> None:
    ws = load_workbook(io.BytesIO(meter_imports.template_xlsx())).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 2


def test_good_rows_are_imported_month_by_month_and_anomalies_are_counted(
    world: World, unit_meters: list[Meter]
) -> None:
    estate = world.estate.name
    rows: list[list[Any]] = []
    for m, value in ((1, 100), (2, 110), (3, 120), (4, 130)):
        rows.append([estate, "W-1", f"2026-{m:02d}", value, f"2026-{m:02d}-28"])
    rows.reverse()  # the file's order does not matter
    rows += [
        [estate, "W-1", "2026-05", 400, "2026-05-28"],  # usage 270 vs average 10: flagged
        [estate, "W-2", "2026-04", "55.5", ""],
        [estate, "W-3", dt.datetime(2026, 4, 1), 7, dt.datetime(2026, 4, 30)],  # Excel dates
    ]
    result = run(rows)
    assert result.ok, result.errors
    assert (result.rows, result.created, result.replaced, result.unchanged, result.flagged) == (7, 7, 0, 0, 1)
    w1 = {r.period.month: r for r in MeterReading.objects.filter(meter=unit_meters[0])}
    assert [w1[m].usage for m in (1, 2, 3, 4)] == [Decimal(0), Decimal(10), Decimal(10), Decimal(10)]
    assert w1[5].status == "flagged" and "average" in w1[5].flag_reason
    assert w1[1].read_on == dt.date(2026, 1, 28)
    w3 = MeterReading.objects.get(meter=unit_meters[2])
    assert (w3.period, w3.reading, w3.read_on) == (month(4), Decimal(7), dt.date(2026, 4, 30))
    entry = AuditEntry.objects.get(action="billing.readings_import")
    assert entry.changes["created"] == 7 and entry.changes["flagged"] == 1
    # the same file again changes nothing
    again = run(rows)
    assert (again.created, again.replaced, again.unchanged, again.flagged) == (0, 0, 7, 0)


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_imported(
    world: World, unit_meters: list[Meter]
) -> None:
    estate = world.estate.name
    result = run(
        [
            [estate, "W-1", "2026-01", 100, ""],  # good
            ["没有的小区", "W-1", "2026-01", 100, ""],  # row 3: estate
            [estate, "W-404", "2026-01", 100, ""],  # row 4: meter
            [estate, "W-2", "2026-13", 100, ""],  # row 5: month
            [estate, "W-2", "2099-01", 100, ""],  # row 6: month in the future
            [estate, "W-3", "2026-01", "一百", ""],  # row 7: reading
            [estate, "W-3", "2026-02", -5, ""],  # row 8: reading
            [estate, "W-4", "2026-01", 5, "昨天"],  # row 9: read on
            [estate, "W-1", "2026-01", 101, ""],  # row 10: twice in the file
            ["", "", "2026-01", "", ""],  # row 11: estate, meter, reading
        ]
    )
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert {
        (3, "小区"),
        (4, "表号"),
        (5, "月份"),
        (6, "月份"),
        (7, "读数"),
        (8, "读数"),
        (9, "抄表日期"),
        (10, "月份"),
        (11, "小区"),
        (11, "表号"),
        (11, "读数"),
    } == found
    assert "row 2" in next(e.message for e in result.errors if e.row == 10)
    assert not MeterReading.objects.exists()
    assert not AuditEntry.objects.filter(action="billing.readings_import").exists()


def test_an_inactive_meter_and_a_billed_month_are_refused(world: World, unit_meters: list[Meter]) -> None:
    last = history(unit_meters[0], usages=(10, 10, 10))
    rec(unit_meters[0], month(5), last + 10)
    post(month(5))
    assert BillLine.objects.filter(unit=world.units[0], fee_item=world.water).exists()
    meters.meter_deactivate(meter=unit_meters[1], scope=EVERYTHING)
    estate = world.estate.name
    result = run(
        [
            [estate, "W-1", "2026-05", last + 12, ""],  # billed: locked
            [estate, "W-1", "2026-05", last + 10, ""],  # … the stored value is fine (unchanged) — but twice
            [estate, "W-2", "2026-05", 5, ""],  # not in use
        ]
    )
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "posted" in messages[(2, "月份")]
    assert "not in use" in messages[(4, "表号")]
    # the stored value alone imports as unchanged, even after billing
    ok = run([[estate, "W-1", "2026-05", last + 10, ""]])
    assert ok.ok and ok.unchanged == 1


def test_importing_a_flagged_month_again_replaces_it_and_recomputes_the_next_month(
    world: World, unit_meters: list[Meter]
) -> None:
    meter = unit_meters[0]
    rec(meter, month(1), 100)
    rec(meter, month(2), 90)  # flagged: lower
    rec(meter, month(3), 130)
    result = run([[world.estate.name, "W-1", "2026-02", 115, ""]])
    assert (result.replaced, result.flagged) == (1, 0)
    feb = MeterReading.objects.get(meter=meter, period=month(2))
    march = MeterReading.objects.get(meter=meter, period=month(3))
    assert (feb.status, feb.usage) == ("ok", Decimal(15))
    assert (march.previous, march.usage) == (Decimal(115), Decimal(15))


def test_a_file_that_is_not_a_readings_template_is_refused(in_tenant_a: Any) -> None:
    with pytest.raises(ApplicationError) as err:
        meter_imports.readings_import(data=b"not a spreadsheet", scope=EVERYTHING, by=None)
    assert "file" in err.value.fields
    with pytest.raises(ApplicationError) as err:
        meter_imports.readings_import(data=xlsx([["a"]], headers=["房号", "读数"]), scope=EVERYTHING, by=None)
    assert "headers" in err.value.fields["file"][0]
    with pytest.raises(ApplicationError) as err:
        meter_imports.readings_import(data=xlsx([]), scope=EVERYTHING, by=None)
    assert "no rows" in err.value.fields["file"][0]


def test_staff_import_only_into_estates_they_manage(world: World, unit_meters: list[Meter]) -> None:
    from backend.properties.scope import Scope

    scope = Scope(all_offices=False, office_ids=frozenset({0}))
    result = meter_imports.readings_import(
        data=xlsx([[world.estate.name, "W-1", "2026-01", 1, ""]]), scope=scope, by=None
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "小区")]


def test_a_few_thousand_rows_import_in_one_go(world: World) -> None:
    from backend.properties import services as registry
    from backend.properties.models import Unit

    building = registry.building_create(estate_id=world.estate.pk, name="大楼", scope=EVERYTHING)
    registry.units_generate(
        building_id=building.pk, first_floor=1, last_floor=25, units_per_floor=20, area="80", scope=EVERYTHING
    )
    units = list(Unit.objects.filter(building=building))
    Meter.objects.bulk_create([Meter(kind="water", number=f"B-{u.number}", estate=world.estate, unit=u) for u in units])
    rows = [[world.estate.name, f"B-{u.number}", f"2026-{m:02d}", 100 + 10 * m, ""] for u in units for m in range(1, 7)]
    result = run(rows)
    assert result.ok and result.created == 3000 and result.flagged == 0
    assert MeterReading.objects.filter(period=month(6), usage=10).count() == 500
