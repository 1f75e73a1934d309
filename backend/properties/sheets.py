"""The registry's .xlsx files: their layout (columns, the words a cell may hold, the template's example row),
reading their rows, and writing the templates and the exports of units and residents. The row checks and
the writes of an import are in imports.py; the meter-reading and bank-collection importers read rows and
report row errors the same way."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from backend.errors import ApplicationError

from .masking import mask_id_number, mask_phone
from .models import ImportJob, Occupancy, OccupancyRole, Unit, UnitStatus, UnitType

MAX_ROWS = 100_000
MAX_REPORTED_ERRORS = 500

UNIT_COLUMNS = [
    ("estate", "小区"),
    ("building", "楼宇"),
    ("number", "房号"),
    ("floor", "楼层"),
    ("area", "建筑面积(m²)"),
    ("unit_type", "类型"),
    ("status", "状态"),
]
RESIDENT_COLUMNS = [
    ("estate", "小区"),
    ("building", "楼宇"),
    ("number", "房号"),
    ("name", "姓名"),
    ("phone", "手机号"),
    ("id_number", "身份证号"),
    ("birthday", "生日"),
    ("role", "身份"),
    ("start_date", "入住日期"),
]
COLUMNS: dict[str, list[tuple[str, str]]] = {
    ImportJob.Kind.UNITS: UNIT_COLUMNS,
    ImportJob.Kind.RESIDENTS: RESIDENT_COLUMNS,
}

UNIT_TYPE_WORDS: dict[str, str] = {"住宅": UnitType.RESIDENTIAL, "商铺": UnitType.SHOP, "写字楼": UnitType.OFFICE}
UNIT_STATUS_WORDS: dict[str, str] = {
    "空置": UnitStatus.VACANT,
    "已交房": UnitStatus.HANDED_OVER,
    "已入住": UnitStatus.OCCUPIED,
    "托管": UnitStatus.CUSTODY,
}
ROLE_WORDS: dict[str, str] = {
    "业主": OccupancyRole.OWNER,
    "租户": OccupancyRole.TENANT,
    "住户": OccupancyRole.MEMBER,
    "同住人": OccupancyRole.MEMBER,
}


def _word_map(words: dict[str, str]) -> dict[str, str]:
    # Chinese labels, the codes, and the codes' English labels all work.
    out = dict(words)
    for value in words.values():
        out[value] = value
    return out


UNIT_TYPES = _word_map(UNIT_TYPE_WORDS)
UNIT_STATUSES = _word_map(UNIT_STATUS_WORDS)
ROLES = _word_map(ROLE_WORDS)
EXAMPLES: dict[str, list[Any]] = {
    ImportJob.Kind.UNITS: ["阳光花园", "1栋", "1201", 12, "89.50", "住宅", "已交房"],
    ImportJob.Kind.RESIDENTS: [
        "阳光花园",
        "1栋",
        "1201",
        "张伟",
        "13800138000",
        "110101199003074258",
        "1990-03-07",
        "业主",
        "2024-05-01",
    ],
}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


# --- templates and export ------------------------------------------------------------------------


def _workbook(kind: str, rows: Iterable[list[Any]]) -> bytes:
    columns = COLUMNS[kind]
    wb = Workbook(write_only=False)
    ws = wb.active
    assert ws is not None
    ws.title = "units" if kind == ImportJob.Kind.UNITS else "residents"
    ws.append([header for _key, header in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        ws.append(row)
    for i, (_key, header) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(header) * 2 + 4)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template_xlsx(kind: str) -> bytes:
    """An empty template with the headers and one example row (delete it before importing)."""
    return _workbook(kind, [EXAMPLES[kind]])


UNIT_TYPE_LABELS: dict[str, str] = {v: k for k, v in UNIT_TYPE_WORDS.items()}
UNIT_STATUS_LABELS: dict[str, str] = {v: k for k, v in UNIT_STATUS_WORDS.items()}
ROLE_LABELS: dict[str, str] = {OccupancyRole.OWNER: "业主", OccupancyRole.TENANT: "租户", OccupancyRole.MEMBER: "住户"}


def units_export_xlsx(units: Iterable[Unit]) -> bytes:
    """The given (already scoped and filtered) units in the import template's layout."""
    return _workbook(
        ImportJob.Kind.UNITS,
        (
            [
                u.estate.name,
                u.building.name,
                u.number,
                u.floor,
                str(u.area),
                UNIT_TYPE_LABELS[u.unit_type],
                UNIT_STATUS_LABELS[u.status],
            ]
            for u in units
        ),
    )


def residents_export_xlsx(occupancies: Iterable[Occupancy], *, full_personal_data: bool) -> bytes:
    def row(o: Occupancy) -> list[Any]:
        p = o.person
        phone = p.phone if full_personal_data else mask_phone(p.phone)
        id_number = p.id_number if full_personal_data else mask_id_number(p.id_number)
        return [
            o.unit.estate.name,
            o.unit.building.name,
            o.unit.number,
            p.name,
            phone,
            id_number,
            p.birthday.isoformat() if p.birthday else "",
            ROLE_LABELS[o.role],
            o.start_date.isoformat(),
        ]

    return _workbook(ImportJob.Kind.RESIDENTS, (row(o) for o in occupancies))


# --- reading ---------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def read_rows(kind: str, data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(Excel row number, {column key: text}) for every non-empty row after the header."""
    columns = COLUMNS[kind]
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - anything openpyxl cannot read is "not an .xlsx file"
        raise ApplicationError.for_fields({"file": [_("This is not an .xlsx file Excel can open.")]}) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_cell_text(v) for v in next(rows, ())]
    expected = [h for _k, h in columns]
    if [h for h in header[: len(expected)]] != expected:
        raise ApplicationError.for_fields(
            {"file": [_("The first row must be the template's headers: %(h)s") % {"h": "、".join(expected)}]}
        )
    for number, values in enumerate(rows, start=2):
        texts = [_cell_text(v) for v in values[: len(columns)]]
        if not any(texts):
            continue
        texts += [""] * (len(columns) - len(texts))
        yield number, {key: texts[i] for i, (key, _h) in enumerate(columns)}
    wb.close()


def _rows_within_limit(kind: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    rows = list(read_rows(kind, data))
    if len(rows) > MAX_ROWS:
        raise ApplicationError.for_fields({"file": [_("At most %(n)s rows per file.") % {"n": MAX_ROWS}]})
    return rows


def count_rows(kind: str, data: bytes) -> int:
    return sum(1 for _ in read_rows(kind, data))
