"""Receipts (收费票据): numbered by the company's rule, gap-free per year even under concurrency and rollbacks;
the PDF with items, capitals, cashier and the 补打 / 作废 marks; voiding with a reason and a reversing entry."""

from __future__ import annotations

import datetime as dt
import io
import threading
import uuid
import zoneinfo
from typing import Any

import pytest
from django.db import connection, connections, transaction
from pypdf import PdfReader

from backend.billing import ledger
from backend.billing.models import LedgerEntry, Payment
from backend.billing.money import chinese_capital, yuan
from backend.billing.selectors import unit_account
from backend.errors import ApplicationError
from backend.payments.models import PaymentSettings, Receipt, ReceiptCounter, Refund
from backend.payments.receipt_pdf import render_receipt
from backend.payments.receipts import receipt_number, receipt_printed, receipt_void
from backend.payments.refunds import refund_create

from .cleanup import forget_payments
from .conftest import Home, owed

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def cashier(home: Home, tenant_a: Any, member: Any) -> Any:
    user = member(tenant_a, ["finance"], name="收银员甲")
    connection.set_tenant(tenant_a)
    return user


# --- the numbering rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "date_format", "digits", "expected"),
    [
        ("SF", "YYYYMMDD", 6, "SF20261122000042"),
        ("PM-", "YYYYMM", 4, "PM-2026110042"),
        ("", "YYYY", 3, "2026042"),
        ("R", "YYYY", 10, "R20260000000042"),
    ],
)
def test_the_number_is_prefix_date_part_and_padded_sequence(
    prefix: str, date_format: str, digits: int, expected: str
) -> None:
    rule = PaymentSettings(receipt_prefix=prefix, receipt_date_format=date_format, receipt_digits=digits)
    assert receipt_number(rule, dt.date(2026, 11, 22), 42) == expected


def test_payments_get_consecutive_numbers_by_the_companys_rule(home: Home, cashier: Any) -> None:
    PaymentSettings.objects.update_or_create(
        singleton=True, defaults={"receipt_prefix": "WY", "receipt_date_format": "YYYYMM", "receipt_digits": 5}
    )
    start = ReceiptCounter.objects.filter(year=2026).values_list("last", flat=True).first() or 0
    payments = [
        ledger.payment_record(unit=home.unit, amount=1000 + n, method="cash", received_at=at(2026, 3, 5 + n)).payment
        for n in range(3)
    ]
    receipts = [Receipt.objects.get(payment=p) for p in payments]
    assert [r.sequence for r in receipts] == [start + 1, start + 2, start + 3]
    assert [r.number for r in receipts] == [f"WY202603{start + n + 1:05d}" for n in range(3)]
    assert {r.year for r in receipts} == {2026} and all(r.status == "valid" for r in receipts)


def test_the_year_and_date_part_follow_the_company_time_zone(home: Home) -> None:
    # 2027-01-01 00:30 in Shanghai is still 2026 in UTC: the receipt belongs to 2027 and starts its sequence.
    ReceiptCounter.objects.filter(year=2027).delete()
    payment = ledger.payment_record(
        unit=home.unit, amount=500, method="cash", received_at=at(2027, 1, 1, 0, 30)
    ).payment
    receipt = Receipt.objects.get(payment=payment)
    assert (receipt.year, receipt.sequence, receipt.number) == (2027, 1, "SF20270101000001")


def test_a_rolled_back_payment_gives_its_number_back(home: Home) -> None:
    start = ReceiptCounter.objects.filter(year=2026).values_list("last", flat=True).first() or 0
    with pytest.raises(RuntimeError), transaction.atomic():
        doomed = ledger.payment_record(unit=home.unit, amount=700, method="cash", received_at=at(2026, 4, 1)).payment
        assert Receipt.objects.get(payment=doomed).sequence == start + 1
        raise RuntimeError("the cashier's printer caught fire")
    assert not Payment.objects.filter(amount=700).exists()
    payment = ledger.payment_record(unit=home.unit, amount=800, method="cash", received_at=at(2026, 4, 1)).payment
    assert Receipt.objects.get(payment=payment).sequence == start + 1


# --- numbering under concurrency (committed data, real connections) ------------------------------------------


def _record_in_thread(
    results: list[Any], barrier: threading.Barrier, tenant: Any, unit_id: int, n: int, roll_back: bool
) -> None:
    from backend.properties.models import Unit

    try:
        connection.set_tenant(tenant)
        unit = Unit.objects.get(pk=unit_id)
        barrier.wait(timeout=20)
        with transaction.atomic():
            payment = ledger.payment_record(
                unit=unit, amount=100 + n, method="cash", to_prepaid=True, received_at=at(2031, 3, 1, 9, n)
            ).payment
            sequence = Receipt.objects.get(payment=payment).sequence
            if roll_back:
                raise LookupError(sequence)
        results.append(("ok", payment.pk, sequence))
    except LookupError as rolled:
        results.append(("rolled_back", None, rolled.args[0]))
    except Exception as error:  # noqa: BLE001 - reported by the assertion below
        results.append(("error", None, error))
    finally:
        connections.close_all()


def test_concurrent_payments_get_distinct_consecutive_numbers(django_db_setup: None, django_db_blocker: Any) -> None:
    """Eight cashiers at eight homes record at the same instant while a ninth rolls back: the eight committed
    receipts hold exactly the next eight numbers of the year, none twice, none skipped."""
    from backend.properties import services as registry
    from backend.properties.models import Building, Estate, ManagementOffice, Unit
    from backend.properties.scope import Scope
    from tenants.models import Tenant

    year = 2031  # a year of its own: nothing else in the test database numbers receipts in it
    committed, rolled = 8, 1
    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        connection.set_tenant(tenant)
        office = registry.office_create(name=f"票号{tag}", scope=Scope.everything())
        try:
            estate = registry.estate_create(office_id=office.pk, name="票号苑", scope=Scope.everything())
            building = registry.building_create(estate_id=estate.pk, name="1栋", scope=Scope.everything())
            registry.units_generate(
                building_id=building.pk,
                first_floor=1,
                last_floor=1,
                units_per_floor=committed + rolled,
                area="50",
                scope=Scope.everything(),
            )
            units = list(Unit.objects.filter(building=building).order_by("number"))
            start = ReceiptCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0
            results: list[Any] = []
            barrier = threading.Barrier(len(units))
            threads = [
                threading.Thread(
                    target=_record_in_thread, args=(results, barrier, tenant, u.pk, n, n >= committed), daemon=True
                )
                for n, u in enumerate(units)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=90)
            connection.set_tenant(tenant)
            assert not [r for r in results if r[0] == "error"], results
            assert len(results) == committed + rolled
            receipts = Receipt.objects.filter(payment__unit__in=units)
            sequences = sorted(receipts.values_list("sequence", flat=True))
            assert sequences == list(range(start + 1, start + committed + 1))  # no gap, no duplicate
            assert len(set(receipts.values_list("number", flat=True))) == committed
            assert all(r.number.endswith(f"{r.sequence:06d}") and r.year == year for r in receipts)
            assert ReceiptCounter.objects.get(year=year).last == start + committed  # the rollback gave its number back
        finally:
            connection.set_tenant(tenant)
            units_qs = Unit.objects.filter(office=office)
            forget_payments(units_qs)
            LedgerEntry.objects.filter(unit__in=units_qs).delete()
            Payment.objects.filter(unit__in=units_qs).delete()
            units_qs.delete()
            Building.objects.filter(estate__office=office).delete()
            Estate.objects.filter(office=office).delete()
            ManagementOffice.objects.filter(pk=office.pk).delete()
            connection.set_schema_to_public()


# --- the PDF ----------------------------------------------------------------------------------------------------


def test_the_receipt_pdf_lists_the_settled_lines_the_prepaid_part_and_the_total_in_capitals(
    home: Home, cashier: Any
) -> None:
    lines = home.jan[:2]
    due = sum(owed(line) for line in lines)
    payment = ledger.payment_record(
        unit=home.unit,
        amount=due + 5000,
        method="pos",
        line_ids=[line.pk for line in lines],
        reference="POS-778899",
        payer_name="王业主",
        recorded_by=cashier,
        received_at=at(2026, 2, 3, 14, 25),
    ).payment
    receipt = Receipt.objects.get(payment=payment)
    text = text_of(render_receipt(receipt, reprint=False))
    assert "阿尔法物业" in text  # the company
    assert "收费票据" in text and receipt.number in text
    assert home.unit.label in text and "王业主" in text
    for line in lines:
        assert line.fee_item.name in text
    assert "2026-01-01 – 2026-01-31" in text
    assert yuan(lines[0].amount) in text and yuan(lines[1].amount) in text
    assert "¥50.00" in text  # to the prepaid balance
    assert yuan(due + 5000) in text
    assert chinese_capital(due + 5000) in text
    assert "POS" in text and "POS-778899" in text and "收银员甲" in text
    assert "2026-02-03 14:25" in text  # Shanghai time
    assert "补打" not in text and "作废" not in text


def test_the_second_print_is_a_reprint_marked_in_the_pdf(home: Home, cashier: Any) -> None:
    payment = ledger.payment_record(unit=home.unit, amount=12345, method="cash", recorded_by=cashier).payment
    receipt = Receipt.objects.get(payment=payment)
    first = receipt_printed(receipt)
    original = text_of(render_receipt(receipt, reprint=first))
    second = receipt_printed(receipt)
    copy = text_of(render_receipt(receipt, reprint=second))
    assert (first, second) == (False, True)
    assert "补打" not in original and "补打" in copy
    assert "壹佰贰拾叁元肆角伍分" in copy and "¥123.45" in copy
    receipt.refresh_from_db()
    assert receipt.print_count == 2 and receipt.last_printed_at is not None


def test_an_online_payment_names_no_cashier_and_shows_refunds(home: Home, cashier: Any) -> None:
    payment = ledger.payment_record(
        unit=home.unit, amount=20000, method="card", channel="online", reference="ch_offline_test"
    ).payment
    refund_create(payment=payment, amount=3000, reason="多付", by=cashier)  # not a pi_: no gateway involved
    text = text_of(render_receipt(Receipt.objects.get(payment=payment), reprint=False))
    assert "在线支付" in text and "¥30.00" in text


# --- voiding (作废) -----------------------------------------------------------------------------------------------


def test_voiding_needs_a_reason(home: Home, cashier: Any) -> None:
    payment = ledger.payment_record(unit=home.unit, amount=1000, method="cash", recorded_by=cashier).payment
    receipt = Receipt.objects.get(payment=payment)
    with pytest.raises(ApplicationError) as err:
        receipt_void(receipt=receipt, reason="   ", by=cashier)
    assert "reason" in err.value.fields
    receipt.refresh_from_db()
    assert receipt.status == "valid" and not Refund.objects.exists()


def test_voiding_posts_a_reversing_entry_and_reopens_the_lines(home: Home, cashier: Any) -> None:
    lines = home.jan[:2]
    due = sum(owed(line) for line in lines)
    before = unit_account(home.unit.pk)
    payment = ledger.payment_record(
        unit=home.unit, amount=due + 2000, method="cash", line_ids=[line.pk for line in lines], recorded_by=cashier
    ).payment
    assert [owed(line) for line in lines] == [0, 0]
    receipt = receipt_void(receipt=Receipt.objects.get(payment=payment), reason="收错了户", by=cashier)
    assert receipt.status == "voided" and receipt.void_reason == "收错了户" and receipt.voided_by == cashier
    assert [owed(line) for line in lines] == [line.amount for line in lines]
    refund = Refund.objects.get(payment=payment)
    assert (refund.kind, refund.amount, refund.entry.kind, refund.entry.amount) == (
        "void",
        due + 2000,
        "refund",
        due + 2000,
    )
    after = unit_account(home.unit.pk)
    assert (after.owed, after.prepaid) == (before.owed, before.prepaid)
    # the voided receipt still shows what it had settled, marked void
    text = text_of(render_receipt(receipt, reprint=True))
    assert "作废" in text and "补打" in text and "收错了户" in text
    assert all(line.fee_item.name in text for line in lines)
    assert chinese_capital(due + 2000) in text


def test_a_receipt_cannot_be_voided_twice(home: Home, cashier: Any) -> None:
    payment = ledger.payment_record(unit=home.unit, amount=1000, method="cash", recorded_by=cashier).payment
    receipt = Receipt.objects.get(payment=payment)
    receipt_void(receipt=receipt, reason="重复收款", by=cashier)
    with pytest.raises(ApplicationError) as err:
        receipt_void(receipt=receipt, reason="再来一次", by=cashier)
    assert err.value.code == "already_void"
    assert LedgerEntry.objects.filter(payment=payment, kind="refund").count() == 1
    assert Refund.objects.filter(payment=payment).count() == 1


def test_an_online_payment_cannot_be_voided(home: Home, cashier: Any) -> None:
    payment = ledger.payment_record(
        unit=home.unit, amount=1000, method="card", channel="online", reference="pi_x"
    ).payment
    receipt = Receipt.objects.get(payment=payment)
    with pytest.raises(ApplicationError) as err:
        receipt_void(receipt=receipt, reason="不要了", by=cashier)
    assert err.value.code == "void_online"
    receipt.refresh_from_db()
    assert receipt.status == "valid" and not LedgerEntry.objects.filter(payment=payment, kind="refund").exists()


def test_a_partly_refunded_payment_voids_only_what_is_left(home: Home, cashier: Any) -> None:
    payment = ledger.payment_record(
        unit=home.unit, amount=5000, method="cash", to_prepaid=True, recorded_by=cashier
    ).payment
    refund_create(payment=payment, amount=1200, reason="退一部分", by=cashier)
    receipt_void(receipt=Receipt.objects.get(payment=payment), reason="作废剩余", by=cashier)
    assert Refund.objects.get(payment=payment, kind="void").amount == 3800
    assert sum(LedgerEntry.objects.filter(payment=payment, kind="refund").values_list("amount", flat=True)) == 5000
