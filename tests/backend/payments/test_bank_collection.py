"""银行托收: a bank's result file imported by finance. Every row checked (row and column of each problem), amounts
read as yuan into fen, successful debits applied as payments settling the oldest bills first, each file and
each debit counted once (again, or at the same moment), and one company's import out of another's reach."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from openpyxl import Workbook

from backend.audit.models import AuditEntry
from backend.billing.models import LedgerEntry, Payment
from backend.billing.selectors import unit_account
from backend.errors import ApplicationError
from backend.payments.bank_collection import (
    CollectionRejected,
    bank_collection_apply,
    bank_collection_import,
    bank_collection_upload,
    collection_check,
)
from backend.payments.dayclose import day_close
from backend.payments.models import BankCollection, BankCollectionRow, Receipt
from backend.properties.scope import Scope
from backend.uploads.errors import UploadRejected
from backend.uploads.kinds import BANK_COLLECTION_RESULT
from backend.uploads.validation import AcceptedUpload, upload_accept
from tenants.db import connection
from tests.backend.billing.conftest import EVERYTHING, World

from .conftest import JAN, lines_of, owed, post_month

HEADER = "小区,楼宇,房号,户名,金额,扣款结果,扣款日期,银行流水号,失败原因"
TODAY = dt.date(2026, 2, 15)


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> AcceptedUpload:
    data = "\n".join([header, *rows]).encode(encoding)
    return upload_accept(kind=BANK_COLLECTION_RESULT, upload=ContentFile(data, name="托收结果.csv"))


def row(
    unit: Any, amount: str, *, ok: bool = True, day: str = "2026-02-10", serial: str | None = None, reason: str = ""
) -> str:
    building = unit.building.name
    serial = uuid.uuid4().hex[:16] if serial is None else serial
    return f"金色家园,{building},{unit.number},业主,{amount},{'成功' if ok else '失败'},{day},{serial},{reason}"


@pytest.fixture
def finance(member: Any, tenant_a: Any) -> Any:
    user = member(tenant_a, ["finance"])
    connection.set_tenant(tenant_a)
    return user


def imported(upload: AcceptedUpload, by: Any, scope: Scope = EVERYTHING) -> BankCollection:
    return bank_collection_import(upload=upload, scope=scope, by=by, today=TODAY)


# --- reading and checking ----------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_row_and_column_and_nothing_is_counted(world: World, finance: Any):
    post_month(JAN)
    u = world.units
    upload = csv_file(
        row(u[0], "100.00", serial="A1"),
        "金色家园,1栋,9999,业主,100.00,成功,2026-02-10,A2,",  # no such unit
        row(u[1], "12.345", serial="A3"),  # a third decimal
        row(u[2], "-5", serial="A4"),
        row(u[3], "100", serial="A5").replace("成功", "不知道"),
        row(u[0], "100", serial="A6", day="2026-02-31"),
        row(u[0], "100", serial="A7", day="2026-03-01"),  # after today
        row(u[1], "100", serial="A1"),  # the serial again
        row(u[2], "100", serial=""),
    )
    collection, check = bank_collection_upload(upload=upload, scope=EVERYTHING, by=finance, today=TODAY)
    assert check is not None and not check.ok
    problems = {(e.row, e.column) for e in check.errors}
    assert problems == {
        (3, "房号"),
        (4, "金额"),
        (5, "金额"),
        (6, "扣款结果"),
        (7, "扣款日期"),
        (8, "扣款日期"),
        (9, "银行流水号"),
        (10, "银行流水号"),
    }
    assert "row 2" in next(e.message for e in check.errors if e.row == 9)
    with pytest.raises(CollectionRejected) as rejected:
        bank_collection_apply(collection_id=collection.pk, scope=EVERYTHING, by=finance, today=TODAY)
    assert len(rejected.value.check.errors) == 8
    assert not Payment.objects.filter(method="bank_collection").exists()
    assert BankCollection.objects.get(pk=collection.pk).status == "pending"


@pytest.mark.parametrize(
    ("text", "fen"), [("179.9", 17990), ("1,234.56", 123456), ("¥12", 1200), ("0.01", 1), ("3000", 300000)]
)
def test_amounts_are_yuan_read_into_fen(world: World, finance: Any, text: str, fen: int):
    check = collection_check(
        data=f'{HEADER}\n金色家园,1栋,{world.units[0].number},业主,"{text}",成功,20260210,S1,'.encode(),
        is_csv=True,
        scope=EVERYTHING,
        by=finance,
        today=TODAY,
    )
    assert check.ok, check.errors
    assert [d.amount for d in check.debits] == [fen]
    assert check.debits[0].debited_on == dt.date(2026, 2, 10)


def test_a_file_that_names_its_columns_differently_or_lacks_one_is_told_apart(world: World, finance: Any):
    # The bank's own headers, in another order, GB18030 as banks write it.
    upload = csv_file(
        f"1201,{world.units[0].number},金色家园,1栋,88.00,扣款成功,2026/02/10",
        header="银行流水号,房间号,小区,楼栋,扣款金额,结果,日期",
        encoding="gb18030",
    )
    _collection, check = bank_collection_upload(upload=upload, scope=EVERYTHING, by=finance, today=TODAY)
    assert check is not None and check.ok and check.totals()["amount"] == 8800
    with pytest.raises(ApplicationError) as missing:
        bank_collection_upload(
            upload=csv_file("金色家园,1栋,101,88.00", header="小区,楼宇,房号,金额"), scope=EVERYTHING, by=finance
        )
    assert "扣款结果" in missing.value.fields["file"][0]


def test_an_xlsx_result_file_is_read_like_the_csv(world: World, finance: Any):
    post_month(JAN)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER.split(","))
    ws.append(["金色家园", "1栋", world.units[0].number, "业主", 100.5, "成功", dt.datetime(2026, 2, 10), "X1", ""])
    out = io.BytesIO()
    wb.save(out)
    upload = upload_accept(kind=BANK_COLLECTION_RESULT, upload=ContentFile(out.getvalue(), name="result.xlsx"))
    collection = imported(upload, finance)
    assert collection.succeeded == 1 and collection.amount == 10050


def test_what_is_not_a_result_file_is_refused_at_the_upload():
    for data in (b"<html><body>a,b</body></html>", b"\x00\x01\x02binary", b"just one line of words"):
        with pytest.raises(UploadRejected):
            upload_accept(kind=BANK_COLLECTION_RESULT, upload=ContentFile(data, name="x.csv"))


# --- applying ----------------------------------------------------------------------------------------------


def test_successful_debits_become_payments_that_settle_the_oldest_bills_first(world: World, finance: Any):
    post_month(JAN)
    post_month(dt.date(2026, 2, 1))
    home, other = world.units[0], world.units[1]
    jan = sum(owed(line) for line in lines_of(home.pk, JAN))
    upload = csv_file(
        row(home, f"{jan / 100:.2f}", serial="S-1"),
        row(other, "50.00", ok=False, serial="S-2", reason="余额不足"),
    )
    collection = imported(upload, finance)
    assert (collection.status, collection.succeeded, collection.failed, collection.amount) == ("applied", 1, 1, jan)
    payment = Payment.objects.get(unit=home)
    assert (payment.method, payment.channel, payment.reference, payment.amount) == (
        "bank_collection",
        "import",
        "S-1",
        jan,
    )
    assert timezone.localdate(payment.received_at) == dt.date(2026, 2, 10) and payment.recorded_by == finance
    assert all(owed(line) == 0 for line in lines_of(home.pk, JAN))  # January first
    assert all(owed(line) > 0 for line in lines_of(home.pk, dt.date(2026, 2, 1)))
    settles = LedgerEntry.objects.filter(payment=payment, kind="settle")
    assert set(settles.values_list("occurred_on", flat=True)) == {TODAY}  # the business date given
    assert Receipt.objects.filter(payment=payment).count() == 1
    assert not Payment.objects.filter(unit=other).exists()
    failed = BankCollectionRow.objects.get(collection=collection, unit=other)
    assert (failed.outcome, failed.reason, failed.payment) == ("failed", "余额不足", None)
    actions = set(
        AuditEntry.objects.filter(object_id=str(collection.pk), object_type="payments.bankcollection").values_list(
            "action", flat=True
        )
    )
    assert actions == {"payments.bank_collection_upload", "payments.bank_collection_apply"}
    # Found by this payment: the committed race tests leave their own bulk entries in the shared test company.
    bulk = AuditEntry.objects.get(action="billing.payments_record_bulk", changes__payments=[payment.pk])
    assert bulk.changes["amount"] == jan


def test_a_debit_beyond_what_is_owed_goes_to_the_prepaid_balance(world: World, finance: Any):
    post_month(JAN)
    home = world.units[0]
    jan = sum(owed(line) for line in lines_of(home.pk, JAN))
    imported(csv_file(row(home, f"{(jan + 10_000) / 100:.2f}")), finance)
    account = unit_account(home.pk)
    assert (account.owed, account.prepaid) == (0, 10_000)


def test_importing_the_same_file_again_counts_nothing_twice(world: World, finance: Any):
    post_month(JAN)
    upload = csv_file(row(world.units[0], "100.00", serial="R-1"), row(world.units[1], "80.00", serial="R-2"))
    first = imported(upload, finance)
    again, check = bank_collection_upload(upload=upload, scope=EVERYTHING, by=finance, today=TODAY)
    assert again.pk == first.pk and check is None
    assert bank_collection_apply(collection_id=first.pk, scope=EVERYTHING, by=finance).pk == first.pk
    assert Payment.objects.filter(method="bank_collection").count() == 2
    # Another file that repeats a debit (the bank's serial) with a new one: the repeated one is skipped.
    second = imported(csv_file(row(world.units[1], "80.00", serial="R-2"), row(world.units[2], "60.00")), finance)
    assert (second.succeeded, second.skipped, second.amount) == (1, 1, 6000)
    assert Payment.objects.filter(method="bank_collection").count() == 3
    assert Payment.objects.filter(unit=world.units[1]).count() == 1


def test_a_debit_on_a_day_the_importer_closed_is_refused(world: World, finance: Any):
    post_month(JAN)
    day_close(cashier=finance, day=dt.date(2026, 2, 10), by=finance)
    check = collection_check(
        data=csv_file(row(world.units[0], "100")).data, is_csv=True, scope=EVERYTHING, by=finance, today=TODAY
    )
    assert [(e.row, e.column) for e in check.errors] == [(2, "扣款日期")]


def test_units_outside_the_importers_offices_are_not_found(world: World, tenant_a: Any, member: Any):
    from backend.properties import services as registry

    other = registry.office_create(name="别处管理处", scope=EVERYTHING)
    scoped = member(tenant_a, ["finance"], email=f"scoped-{uuid.uuid4().hex[:6]}@alpha.test")
    connection.set_tenant(tenant_a)
    scope = Scope(all_offices=False, office_ids=frozenset({other.pk}))
    check = collection_check(
        data=csv_file(row(world.units[0], "100")).data, is_csv=True, scope=scope, by=scoped, today=TODAY
    )
    assert [(e.row, e.column) for e in check.errors] == [(2, "房号")]
