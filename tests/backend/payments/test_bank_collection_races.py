"""银行托收 imports at the same moment, on committed data and their own connections: the same file confirmed
twice, uploaded and applied twice, or a debit in two files. The money is counted once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from typing import Any

from django.core.files.base import ContentFile

from backend.billing.models import LedgerEntry, Payment
from backend.payments.bank_collection import bank_collection_apply, bank_collection_import, bank_collection_upload
from backend.payments.models import BankCollection, Receipt
from backend.uploads.kinds import BANK_COLLECTION_RESULT
from backend.uploads.validation import AcceptedUpload, upload_accept
from tests.backend.billing.conftest import EVERYTHING

from .test_races import Committed, committed_line, run_together

HEADER = "小区,楼宇,房号,户名,金额,扣款结果,扣款日期,银行流水号,失败原因"


def result_file(w: Committed, serial: str, *, extra: str = "") -> AcceptedUpload:
    line = f"并发苑,{w.unit.building.name},{w.unit.number},业主,10.00,成功,{w.line.due_date:%Y-%m-%d},{serial},"
    data = "\n".join([HEADER, line, *([extra] if extra else [])]).encode()
    return upload_accept(kind=BANK_COLLECTION_RESULT, upload=ContentFile(data, name="托收结果.csv"))


@contextlib.contextmanager
def committed() -> Iterator[Committed]:
    with committed_line(amount=1000) as w:
        try:
            yield w
        finally:
            BankCollection.objects.filter(debits__unit=w.unit).delete()
            BankCollection.objects.filter(debits__isnull=True, uploaded_by=w.user).delete()


def bank_payments(w: Committed) -> list[Payment]:
    return list(Payment.objects.filter(unit=w.unit, method="bank_collection"))


def assert_counted_once(w: Committed) -> None:
    payments = bank_payments(w)
    assert [p.amount for p in payments] == [1000]
    assert LedgerEntry.objects.filter(unit=w.unit, kind__in=["payment", "prepayment"]).count() == 1
    assert LedgerEntry.objects.filter(unit=w.unit, kind="settle").count() == 1
    assert Receipt.objects.filter(payment__in=payments).count() == 1


def test_one_import_confirmed_twice_at_once_pays_once(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed() as w:
        collection, check = bank_collection_upload(upload=result_file(w, "RACE-1"), scope=EVERYTHING, by=w.user)
        assert check is not None and check.ok, check.errors if check else None
        apply = partial(bank_collection_apply, collection_id=collection.pk, scope=EVERYTHING, by=w.user)
        results = run_together(w.tenant, apply, apply)
        assert [getattr(r, "status", r) for r in results] == ["applied", "applied"]
        assert_counted_once(w)
        assert BankCollection.objects.get(pk=collection.pk).succeeded == 1


def test_the_same_file_imported_twice_at_once_pays_once(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed() as w:
        upload = result_file(w, "RACE-2")
        job = partial(bank_collection_import, upload=upload, scope=EVERYTHING, by=w.user)
        results = run_together(w.tenant, job, job)
        assert all(isinstance(r, BankCollection) for r in results), results
        assert results[0].pk == results[1].pk  # type: ignore[union-attr]
        assert_counted_once(w)


def test_one_debit_in_two_files_imported_at_once_pays_once(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), committed() as w:
        first = result_file(w, "RACE-3")
        # Another file (other bytes: a failed row more) that repeats the debit.
        failed = (
            f"并发苑,{w.unit.building.name},{w.unit.number},业主,5.00,失败,{w.line.due_date:%Y-%m-%d},RACE-4,余额不足"
        )
        second = result_file(w, "RACE-3", extra=failed)
        results = run_together(
            w.tenant,
            partial(bank_collection_import, upload=first, scope=EVERYTHING, by=w.user),
            partial(bank_collection_import, upload=second, scope=EVERYTHING, by=w.user),
        )
        assert all(isinstance(r, BankCollection) for r in results), results
        assert sorted((r.succeeded, r.skipped) for r in results) == [(0, 1), (1, 0)]  # type: ignore[union-attr]
        assert_counted_once(w)
