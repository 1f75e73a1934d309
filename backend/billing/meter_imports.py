""".xlsx import of meter readings (抄表导入), with a template to fill in.

Like the registry importer (backend/properties/imports.py): every row is checked first and each problem is
reported with its row and column; only a file without problems is applied, in one transaction (all rows or
none). The same anomaly rules as entering a reading by hand apply (backend/billing/reading_rules.py), rows of a
meter are applied month by month, and the result says how many readings were flagged for review. Importing
the same file again changes nothing. Runs in the request (a few thousand rows take a few seconds)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.properties.scope import Scope
from backend.properties.sheets import MAX_REPORTED_ERRORS, RowError, _cell_text

from .meters import estates_in
from .models import BillingSettings, Meter, MeterReading
from .periods import parse_period
from .reading_rules import (
    check_period,
    check_read_on,
    covers,
    evaluate,
    locked_message,
    locked_periods,
    meter_decimal,
    place,
    refresh_next,
    same_reading,
)

MAX_ROWS = 20_000
COLUMNS = [
    ("estate", "小区"),
    ("meter", "表号"),
    ("month", "月份"),
    ("reading", "读数"),
    ("read_on", "抄表日期"),
]
HEADERS = dict(COLUMNS)
EXAMPLE = ["阳光花园", "W-1-0101", "2026-07", "1234.50", "2026-07-28"]


@dataclass
class ReadingImportResult:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    flagged: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int, key: str, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, HEADERS.get(key, key), message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "flagged": self.flagged,
            "errors": [e.as_dict() for e in self.errors],
        }


def template_xlsx() -> bytes:
    """An empty template with the headers and one example row (delete it before importing)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "readings"
    ws.append([header for _key, header in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append(EXAMPLE)
    for i, (_key, header) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(header) * 2 + 6)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def read_rows(data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(Excel row number, {column key: text}) for every non-empty row after the header."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - anything openpyxl cannot read is "not an .xlsx file"
        raise ApplicationError.for_fields({"file": [_("This is not an .xlsx file Excel can open.")]}) from exc
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [_cell_text(v) for v in next(rows, ())]
        expected = [h for _k, h in COLUMNS]
        if header[: len(expected)] != expected:
            raise ApplicationError.for_fields(
                {"file": [_("The first row must be the template's headers: %(h)s") % {"h": "、".join(expected)}]}
            )
        for number, values in enumerate(rows, start=2):
            texts = [_month_text(v) if i == 2 else _cell_text(v) for i, v in enumerate(values[: len(COLUMNS)])]
            if not any(texts):
                continue
            texts += [""] * (len(COLUMNS) - len(texts))
            yield number, {key: texts[i] for i, (key, _h) in enumerate(COLUMNS)}
    finally:
        wb.close()


def _month_text(value: Any) -> str:
    # Excel turns "2026-07" typed into a cell into a date: take its month.
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m}"
    return _cell_text(value)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.replace("/", "-").replace(".", "-")[:10])


@dataclass
class _Planned:
    row: int
    meter: Meter
    period: dt.date
    reading: Decimal
    read_on: dt.date | None


def readings_import(*, data: bytes, scope: Scope, by: User | None) -> ReadingImportResult:
    """Check every row, then (only when all are good) apply them. See the module docstring. `data` is the
    content of an upload accepted as uploads kind READINGS_IMPORT (a real .xlsx within the size limit)."""
    result = ReadingImportResult()
    rows = list(read_rows(data))
    if not rows:
        raise ApplicationError.for_fields({"file": [_("The file has no rows below the headers.")]})
    if len(rows) > MAX_ROWS:
        raise ApplicationError.for_fields({"file": [_("At most %(n)s rows per file.") % {"n": MAX_ROWS}]})
    result.rows = len(rows)
    today = timezone.localdate()

    estates: dict[str, list[int]] = defaultdict(list)
    for estate_id, name in estates_in(scope).values_list("pk", "name"):
        estates[name].append(estate_id)
    numbers = {v["meter"] for _r, v in rows}
    meters: dict[tuple[int, str], Meter] = {
        (m.estate_id, m.number): m
        for m in Meter.objects.filter(estate__in=estates_in(scope), number__in=numbers).select_related("estate")
    }

    planned: list[_Planned] = []
    seen: dict[tuple[int, dt.date], int] = {}
    for row, v in rows:
        errors: dict[str, list[str]] = {}
        meter = None
        estate_ids = estates.get(v["estate"], [])
        if not v["estate"]:
            errors["estate"] = [_("Enter the estate.")]
        elif not estate_ids:
            errors["estate"] = [_("No estate of this name (in your offices).")]
        if not v["meter"]:
            errors["meter"] = [_("Enter the meter number.")]
        elif estate_ids:
            found = [meters[(e, v["meter"])] for e in estate_ids if (e, v["meter"]) in meters]
            if not found:
                errors["meter"] = [_("No meter with this number in this estate.")]
            elif len(found) > 1:
                errors["meter"] = [_("Two estates of this name have a meter with this number.")]
            elif not found[0].is_active:
                errors["meter"] = [_("This meter is not in use any more.")]
            else:
                meter = found[0]
        period = None
        try:
            period = parse_period(v["month"])
        except ValueError:
            errors["month"] = [_("Enter a month as YYYY-MM.")]
        else:
            if check_period(period, errors, today) is None:
                errors["month"] = errors.pop("period")
                period = None
        value = meter_decimal(v["reading"], "reading", errors)
        read_on = None
        if v["read_on"]:
            try:
                read_on = _date(v["read_on"])
            except ValueError:
                errors["read_on"] = [_("Write dates as 2024-05-01.")]
            else:
                check_read_on(read_on, period, errors, today)
        if meter is not None and period is not None:
            first = seen.get((meter.pk, period))
            if first is not None:
                errors["month"] = [_("This meter and month appear twice in the file (row %(row)s).") % {"row": first}]
            seen.setdefault((meter.pk, period), row)
        for key, messages in errors.items():
            for message in messages:
                result.add_error(row, key, message)
        if not errors and meter is not None and period is not None and value is not None:
            planned.append(_Planned(row, meter, period, value, read_on))

    by_meter: dict[int, list[_Planned]] = defaultdict(list)
    for p in planned:
        by_meter[p.meter.pk].append(p)
    meter_objs = {p.meter.pk: p.meter for p in planned}
    timelines: dict[int, list[MeterReading]] = defaultdict(list)
    for r in MeterReading.objects.filter(meter_id__in=list(by_meter)).order_by("meter_id", "period"):
        timelines[r.meter_id].append(r)
    locks = locked_periods(list(meter_objs.values()))
    # Rows identical to what is stored change nothing (so a file can be imported twice, even after billing).
    todo: dict[int, list[_Planned]] = {}
    for meter_id, items in by_meter.items():
        stored = {r.period: r for r in timelines[meter_id]}
        keep = []
        for p in items:
            existing = stored.get(p.period)
            if existing is not None and same_reading(existing, p.reading, p.read_on):
                result.unchanged += 1
            elif covers(locks.get(meter_id, ()), p.period):
                result.add_error(p.row, "month", locked_message(p.period))
            else:
                keep.append(p)
        if keep:
            todo[meter_id] = sorted(keep, key=lambda p: p.period)
    if result.errors:
        result.unchanged = 0
        return result

    ratio = BillingSettings.load().meter_anomaly_ratio
    with transaction.atomic():
        list(Meter.objects.select_for_update().filter(pk__in=list(todo)).order_by("pk").values_list("pk", flat=True))
        to_create: list[MeterReading] = []
        to_update: dict[int, MeterReading] = {}
        imported: list[MeterReading] = []
        for meter_id, items in todo.items():
            timeline = timelines[meter_id]
            meter = meter_objs[meter_id]
            for p in items:
                existing = next((r for r in timeline if r.period == p.period), None)
                has_earlier = any(r.period < p.period and r.status != MeterReading.Status.REJECTED for r in timeline)
                start = existing.previous if existing is not None and not has_earlier else None
                entry = existing or MeterReading(meter=meter, period=p.period)
                entry.reading = p.reading
                entry.read_on = p.read_on or (existing.read_on if existing else None)
                entry.entered_by = by
                index = place(timeline, entry)
                evaluate(timeline, index, ratio, initial=start)
                imported.append(entry)
                if existing is None:
                    to_create.append(entry)
                    result.created += 1
                else:
                    to_update[entry.pk] = entry
                    result.replaced += 1
                following = refresh_next(timeline, index, ratio, locks.get(meter_id, ()))
                if following is not None and following.pk:
                    to_update[following.pk] = following
        MeterReading.objects.bulk_create(to_create, batch_size=2000)
        MeterReading.objects.bulk_update(
            list(to_update.values()),
            [
                "reading",
                "previous",
                "usage",
                "status",
                "flag_reason",
                "read_on",
                "entered_by",
                "reviewed_by",
                "reviewed_at",
            ],
            batch_size=2000,
        )
        result.flagged = sum(1 for r in imported if r.status == MeterReading.Status.FLAGGED)
        audit_record(
            action="billing.readings_import",
            object_type="billing.meterreading",
            object_repr=_("meter readings import"),
            changes={
                "rows": result.rows,
                "created": result.created,
                "replaced": result.replaced,
                "unchanged": result.unchanged,
                "flagged": result.flagged,
            },
        )
    return result
