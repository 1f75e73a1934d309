"""银行托收 (bank collection): the bank debits owners' accounts under their collection agreements and returns
a result file, one row per debit; finance imports it and every successful debit becomes a payment applied
to that unit's bills.

Two steps, like the registry and meter imports. Upload (bank_collection_upload): the file is accepted as
uploads kind BANK_COLLECTION_RESULT (CSV as the bank sends it, UTF-8 or GB18030, or an .xlsx saved from it),
every row is checked and each problem reported with its row and column, and the file is kept as pending;
nothing is counted. Confirm (bank_collection_apply): the rows are checked again and, only when none has a
problem, applied in one transaction through the ledger's bulk path (billing/ledger_bulk.py): each unit
locked, what it owes settled oldest first, the rest to its prepaid balance, a receipt per payment, a
cashier's closed day refused.

Counted once, whatever happens: a file is known by its SHA-256 (uploading it again answers the same import,
applying an applied import changes nothing, two confirmations at once are serialised on its row), and each
debit by the bank's serial number (the payment's idempotency key), so a debit that a second file repeats is
skipped, not paid twice. Rows match units by 小区 + 楼宇 + 房号 within the importer's data scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.ledger_bulk import PaymentIn, payments_record_bulk
from backend.billing.models import Payment
from backend.billing.money import parse_yuan
from backend.errors import ApplicationError
from backend.properties.models import Unit
from backend.properties.scope import Scope
from backend.properties.sheets import MAX_REPORTED_ERRORS, RowError, _cell_text
from backend.uploads.formats import CSV, text_decode
from backend.uploads.validation import AcceptedUpload
from tenants.db import company_time_zone

from .models import BankCollection, BankCollectionRow, DayClose

MAX_ROWS = 20_000
KEY_PREFIX = "bank-collection:"
# (key, header in the template, other headers banks use for it); the first five and the serial are required.
COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("estate", "小区", ("estate",)),
    ("building", "楼宇", ("楼栋", "building")),
    ("number", "房号", ("房间号", "unit")),
    ("payer", "户名", ("账户名", "payer")),
    ("amount", "金额", ("金额(元)", "扣款金额", "amount")),
    ("result", "扣款结果", ("结果", "result")),
    ("debited_on", "扣款日期", ("日期", "date")),
    ("serial", "银行流水号", ("流水号", "serial")),
    ("reason", "失败原因", ("备注", "reason")),
]
REQUIRED = ("estate", "building", "number", "amount", "result", "debited_on", "serial")
HEADERS = {key: header for key, header, _aliases in COLUMNS}
SUCCESS_WORDS = {"成功", "扣款成功", "success", "succeeded", "ok"}
FAILURE_WORDS = {"失败", "扣款失败", "failed", "failure", "fail"}
EXAMPLE = ["阳光花园", "1栋", "1201", "陈业主", "179.90", "成功", "2026-11-15", "202611150000001", ""]


@dataclass
class Debit:
    """One checked row of a result file."""

    row: int
    unit: Unit
    payer: str
    amount: int  # fen
    succeeded: bool
    debited_on: dt.date
    serial: str
    reason: str


@dataclass
class CollectionCheck:
    """What a file holds: its debits, the problems found (row, column, message) and the totals, in fen."""

    rows: int = 0
    debits: list[Debit] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    already: set[str] = field(default_factory=set)  # serials another file brought in

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, row: int, key: str, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, HEADERS.get(key, key), message))

    def totals(self) -> dict[str, int]:
        paid = [d for d in self.debits if d.succeeded and d.serial not in self.already]
        failed = [d for d in self.debits if not d.succeeded]
        skipped = [d for d in self.debits if d.succeeded and d.serial in self.already]
        return {
            "rows": self.rows,
            "succeeded": len(paid),
            "amount": sum(d.amount for d in paid),
            "failed": len(failed),
            "failed_amount": sum(d.amount for d in failed),
            "skipped": len(skipped),
            "skipped_amount": sum(d.amount for d in skipped),
            "errors": len(self.errors),
        }


class CollectionRejected(ApplicationError):
    """A file with problems: nothing was applied. `check` holds every row's problems."""

    def __init__(self, check: CollectionCheck) -> None:
        super().__init__(
            _("Nothing was imported: the file has %(n)s problem(s).") % {"n": len(check.errors)},
            code="import_failed",
            fields={"file": [_("Row %(row)s, %(column)s: %(message)s") % e.as_dict() for e in check.errors[:20]]},
        )
        self.check = check


def template_csv() -> bytes:
    """The columns this import reads, with one example row (UTF-8 with a byte-order mark, so Excel opens it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _key, header, _aliases in COLUMNS])
    writer.writerow(EXAMPLE)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- reading the file --------------------------------------------------------------------------------------


def _table(data: bytes, is_csv: bool) -> list[list[str]]:
    if is_csv:
        text = text_decode(data)
        if text is None:
            raise ApplicationError.for_fields({"file": [_("The file is not text in UTF-8 or GB18030.")]})
        first = text.split("\n", 1)[0]
        dialect = "excel-tab" if "\t" in first and "," not in first else "excel"
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect=dialect)]
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - anything openpyxl cannot read is "not an .xlsx file"
        raise ApplicationError.for_fields({"file": [_("This is not an .xlsx file Excel can open.")]}) from exc
    try:
        return [[_cell_text(v) for v in values] for values in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def read_rows(data: bytes, *, is_csv: bool) -> list[tuple[int, dict[str, str]]]:
    """(row number in the file, {column key: text}) for every non-empty row after the header row, which
    names the columns (in any order; the template's headers or the bank's usual ones)."""
    table = _table(data, is_csv)
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise ApplicationError.for_fields({"file": [_("The file has no rows below the headers.")]})
    names = {name.lower(): key for key, header, aliases in COLUMNS for name in (header, *aliases)}
    header = [names.get(cell.strip().lower()) for cell in table[0]]
    missing = [HEADERS[key] for key in REQUIRED if key not in header]
    if missing:
        raise ApplicationError.for_fields(
            {"file": [_("The header row lacks these columns: %(h)s") % {"h": "、".join(missing)}]}
        )
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if not any(values):
            continue
        row = dict.fromkeys(HEADERS, "")
        for key, value in zip(header, values, strict=False):
            if key is not None:
                row[key] = value
        rows.append((number, row))
    if not rows:
        raise ApplicationError.for_fields({"file": [_("The file has no rows below the headers.")]})
    if len(rows) > MAX_ROWS:
        raise ApplicationError.for_fields({"file": [_("At most %(n)s rows per file.") % {"n": MAX_ROWS}]})
    return rows


def _date(text: str) -> dt.date:
    text = text.strip().replace("/", "-").replace(".", "-")
    if len(text) == 8 and text.isdigit():  # 20261115, as banks write it
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    return dt.date.fromisoformat(text[:10])


# --- checking the rows -------------------------------------------------------------------------------------


def collection_check(
    *, data: bytes, is_csv: bool, scope: Scope, by: User | None, today: dt.date | None = None
) -> CollectionCheck:
    """Every row of a result file checked against the registry (within `scope`), the calendar (`today`: the
    business date, default the company's) and what is already imported. Changes nothing."""
    today = today or timezone.localdate()
    rows = read_rows(data, is_csv=is_csv)
    check = CollectionCheck(rows=len(rows))
    numbers = {v["number"] for _row, v in rows}
    units = {
        (u.estate.name, u.building.name, u.number): u
        for u in scope.filter_units(Unit.objects.filter(number__in=numbers)).select_related("estate", "building")
    }
    closed = set()
    if by is not None:
        closed = set(DayClose.objects.filter(cashier_id=by.pk).values_list("business_date", flat=True))
    seen: dict[str, int] = {}
    for row, v in rows:
        errors: dict[str, str] = {}
        for key in ("estate", "building", "number"):
            if not v[key]:
                errors[key] = _("This column is empty.")
        unit = units.get((v["estate"], v["building"], v["number"]))
        if unit is None and not errors:
            errors["number"] = _("No such unit (in your offices).")
        amount = 0
        try:
            amount = parse_yuan(v["amount"])
        except ValueError as error:
            errors["amount"] = _(str(error))
        else:
            if amount <= 0:
                errors["amount"] = _("Enter an amount above zero.")
        result = v["result"].strip().lower()
        if result not in SUCCESS_WORDS | FAILURE_WORDS:
            errors["result"] = _("Write 成功 (debited) or 失败 (not debited).")
        debited_on = None
        try:
            debited_on = _date(v["debited_on"])
        except ValueError:
            errors["debited_on"] = _("Write dates as 2026-11-15 or 20261115.")
        else:
            if debited_on > today:
                errors["debited_on"] = _("This date is in the future.")
            elif result in SUCCESS_WORDS and debited_on in closed:
                errors["debited_on"] = _("You have closed this day (日结); a colleague who has not can import it.")
        serial = v["serial"].strip()
        if not serial:
            errors["serial"] = _("This column is empty.")
        elif len(serial) > 60:
            errors["serial"] = _("At most 60 characters.")
        elif serial in seen:
            errors["serial"] = _("This serial number appears twice in the file (row %(row)s).") % {"row": seen[serial]}
        seen.setdefault(serial, row)
        for key, message in errors.items():
            check.add_error(row, key, message)
        if not errors and unit is not None and debited_on is not None:
            check.debits.append(
                Debit(
                    row=row,
                    unit=unit,
                    payer=v["payer"][:60],
                    amount=amount,
                    succeeded=result in SUCCESS_WORDS,
                    debited_on=debited_on,
                    serial=serial,
                    reason=v["reason"][:200],
                )
            )
    keys = [KEY_PREFIX + d.serial for d in check.debits if d.succeeded]
    check.already = {
        key.removeprefix(KEY_PREFIX)
        for key in Payment.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
        if key
    }
    return check


def collection_of(
    collection: BankCollection, *, scope: Scope, by: User | None, today: dt.date | None = None
) -> CollectionCheck:
    """The check of a stored file, as of now (what confirming it would do)."""
    data = bytes(collection.data)
    # An .xlsx is a zip package; anything else was accepted as CSV.
    return collection_check(data=data, is_csv=not data.startswith(b"PK"), scope=scope, by=by, today=today)


# --- reads ------------------------------------------------------------------------------------------------


def bank_collections_visible(*, scope: Scope, user: User) -> QuerySet[BankCollection]:
    """Imports a member may see: all of them for company-wide staff; otherwise the ones they uploaded (an
    import's totals cover whatever offices its rows were for)."""
    qs = BankCollection.objects.defer("data")
    return qs if scope.all_offices else qs.filter(uploaded_by_id=user.pk)


def collection_debits(collection: BankCollection, *, scope: Scope) -> QuerySet[BankCollectionRow]:
    """An applied import's debits as counted, for the units within `scope`."""
    return (
        collection.debits.filter(unit__in=scope.filter_units(Unit.objects.all()).values("pk"))
        .select_related("unit", "payment__receipt")
        .order_by("row")
    )


# --- the two steps -----------------------------------------------------------------------------------------


def bank_collection_upload(
    *, upload: AcceptedUpload, scope: Scope, by: User | None, today: dt.date | None = None
) -> tuple[BankCollection, CollectionCheck | None]:
    """Keep a result file as pending and check it (see the module docstring). A file uploaded before is that
    import again: pending, checked anew; applied, answered as it is (check None), nothing counted twice."""
    existing = BankCollection.objects.filter(sha256=upload.sha256).first()
    if existing is not None and existing.status == BankCollection.Status.APPLIED:
        return existing, None
    check = collection_check(data=upload.data, is_csv=upload.format == CSV, scope=scope, by=by, today=today)
    if existing is None:
        name = upload.original_name[-200:] or f"bank_collection{upload.format.extension}"
        try:
            with transaction.atomic():
                existing = BankCollection.objects.create(
                    sha256=upload.sha256, file_name=name, data=upload.data, rows=check.rows, uploaded_by=by
                )
                audit_record(
                    action="payments.bank_collection_upload",
                    target=existing,
                    changes={"rows": check.rows, "problems": len(check.errors), "sha256": upload.sha256},
                )
        except IntegrityError:  # the same file, uploaded at the same moment
            existing = BankCollection.objects.get(sha256=upload.sha256)
    return existing, check


def _received_at(day: dt.date) -> dt.datetime:
    """A debit counts as received at the start of its day in the company's time zone (the bank's result
    gives the date only; the start keeps a debit dated today from lying in the future)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=company_time_zone())


def bank_collection_apply(
    *, collection_id: int, scope: Scope, by: User | None, today: dt.date | None = None
) -> BankCollection:
    """Confirm a pending import: every successful debit not yet imported becomes a payment of its unit
    (method 银行托收, channel import, the bank's serial as reference and idempotency key), failed debits are
    kept with the bank's reason. All rows or none: a row with a problem applies nothing (ApplicationError with
    the rows). Applying an applied import answers it as it is. `today` dates the settlements."""
    with transaction.atomic():
        collection = BankCollection.objects.select_for_update().filter(pk=collection_id).first()
        if collection is None:
            raise ApplicationError(_("No such import."), code="not_found", status=404)
        if collection.status == BankCollection.Status.APPLIED:
            return collection
        check = collection_of(collection, scope=scope, by=by, today=today)
        if not check.ok:
            raise CollectionRejected(check)
        todo = [d for d in check.debits if d.succeeded and d.serial not in check.already]
        result = payments_record_bulk(
            payments=[
                PaymentIn(
                    unit_id=d.unit.pk,
                    amount=d.amount,
                    method=Payment.Method.BANK_COLLECTION,
                    channel=Payment.Channel.IMPORT,
                    received_at=_received_at(d.debited_on),
                    reference=d.serial,
                    payer_name=d.payer,
                    note=_("Bank collection (银行托收)"),
                    idempotency_key=KEY_PREFIX + d.serial,
                )
                for d in todo
            ],
            recorded_by=by,
            today=today,
            audit_repr=_("bank collection %(file)s") % {"file": collection.file_name},
        )
        paid = {d.serial: (p, fresh) for d, p, fresh in zip(todo, result.payments, result.fresh, strict=True)}
        rows = []
        for d in check.debits:
            payment, fresh = paid.get(d.serial, (None, False))
            if not d.succeeded:
                outcome = BankCollectionRow.Outcome.FAILED
            elif fresh:
                outcome = BankCollectionRow.Outcome.PAID
            else:  # another file brought this debit in (found by the check, or at the same moment)
                outcome, payment = BankCollectionRow.Outcome.SKIPPED, None
            rows.append(
                BankCollectionRow(
                    collection=collection,
                    row=d.row,
                    unit=d.unit,
                    amount=d.amount,
                    debited_on=d.debited_on,
                    serial=d.serial,
                    outcome=outcome,
                    reason=d.reason,
                    payment=payment,
                )
            )
        BankCollectionRow.objects.bulk_create(rows, batch_size=4000)
        counted = [r for r in rows if r.outcome == BankCollectionRow.Outcome.PAID]
        collection.status = BankCollection.Status.APPLIED
        collection.rows = check.rows
        collection.succeeded = len(counted)
        collection.amount = sum(r.amount for r in counted)
        collection.failed = sum(1 for r in rows if r.outcome == BankCollectionRow.Outcome.FAILED)
        collection.skipped = sum(1 for r in rows if r.outcome == BankCollectionRow.Outcome.SKIPPED)
        collection.applied_by = by
        collection.applied_at = timezone.now()
        collection.save()
        audit_record(
            action="payments.bank_collection_apply",
            target=collection,
            changes={
                "succeeded": collection.succeeded,
                "amount": collection.amount,
                "failed": collection.failed,
                "skipped": collection.skipped,
            },
        )
    return collection


def bank_collection_import(
    *, upload: AcceptedUpload, scope: Scope, by: User | None, today: dt.date | None = None
) -> BankCollection:
    """Upload and confirm in one call (a scripted import: the demo's year of collections)."""
    collection, _check = bank_collection_upload(upload=upload, scope=scope, by=by, today=today)
    return bank_collection_apply(collection_id=collection.pk, scope=scope, by=by, today=today)
