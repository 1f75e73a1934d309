"""日结: a day's takings by method, cashier and channel; closing a cashier's day stores the totals and locks the
day: no more payments by that cashier dated that day, no voids of its receipts, no refunds by them today."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
import zoneinfo
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from backend.billing import ledger
from backend.billing.models import LedgerEntry, Payment
from backend.errors import ApplicationError
from backend.payments.counter import counter_collect
from backend.payments.dayclose import day_close, day_summary
from backend.payments.models import DayClose, Receipt, ReceiptCounter, Refund
from backend.payments.receipts import receipt_void
from backend.payments.refunds import refund_create
from backend.properties.models import Unit

from .conftest import Home

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 2, 3)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def cashiers(home: Home, tenant_a: Any, member: Any) -> tuple[Any, Any]:
    a = member(tenant_a, ["finance"], name="收银员甲")
    b = member(tenant_a, ["company_admin"], name="收银员乙")
    connection.set_tenant(tenant_a)
    return a, b


def take(home: Home, by: Any, amount: int, method: str = "cash", when: dt.datetime | None = None) -> Payment:
    return counter_collect(
        unit=home.unit,
        amount=amount,
        method=method,
        by=by,
        to_prepaid=True,
        reference="" if method == "cash" else f"ref-{amount}",
        received_at=when,
    )


def test_the_day_is_totalled_by_method_cashier_and_channel(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, b = cashiers
    take(home, a, 10000, when=at(DAY, 9))
    take(home, a, 2550, "pos", when=at(DAY, 11))
    take(home, b, 30000, "bank_transfer", when=at(DAY, 23, 59))
    take(home, a, 99900, when=at(DAY + dt.timedelta(days=1), 0, 0))  # the next day (Shanghai)
    ledger.payment_record(unit=home.unit, amount=4000, method="card", channel="online", received_at=at(DAY, 12))
    s = day_summary(DAY)
    assert (s["count"], s["total"]) == (4, 46550)
    assert s["by_method"] == {
        "bank_transfer": {"count": 1, "amount": 30000},
        "card": {"count": 1, "amount": 4000},
        "cash": {"count": 1, "amount": 10000},
        "pos": {"count": 1, "amount": 2550},
    }
    assert s["by_channel"] == {"counter": {"count": 3, "amount": 42550}, "online": {"count": 1, "amount": 4000}}
    by_cashier = {row["cashier"]: (row["count"], row["amount"], row["cash"]) for row in s["by_cashier"]}
    assert by_cashier == {a.pk: (2, 12550, 10000), b.pk: (1, 30000, 0), None: (1, 4000, 0)}
    mine = day_summary(DAY, cashier_id=a.pk)
    assert (mine["count"], mine["total"]) == (2, 12550)
    # Someone who sees other homes only sees those homes' money.
    elsewhere = day_summary(DAY, units=Unit.objects.exclude(pk=home.unit.pk))
    assert (elsewhere["count"], elsewhere["total"], elsewhere["by_cashier"]) == (0, 0, [])
    here = day_summary(DAY, units=Unit.objects.filter(pk=home.unit.pk))
    assert (here["count"], here["total"]) == (4, 46550)


def test_closing_stores_the_cashiers_totals(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, b = cashiers
    take(home, a, 10000, when=at(DAY, 9))
    take(home, a, 2550, "pos", when=at(DAY, 11))
    take(home, b, 30000, "bank_transfer", when=at(DAY, 10))
    close = day_close(cashier=a, day=DAY, by=b, note="对账无误")
    assert (close.payment_count, close.total, close.totals) == (2, 12550, {"cash": 10000, "pos": 2550})
    assert (close.closed_by, close.note) == (b, "对账无误")
    assert day_summary(DAY)["closed"] == {a.pk: close}


def test_closing_twice_is_refused(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, _b = cashiers
    day_close(cashier=a, day=DAY, by=a)
    with pytest.raises(ApplicationError) as err:
        day_close(cashier=a, day=DAY, by=a)
    assert err.value.code == "already_closed" and DayClose.objects.count() == 1


def test_a_future_day_cannot_be_closed(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, _b = cashiers
    with pytest.raises(ApplicationError) as err:
        day_close(cashier=a, day=timezone.localdate() + dt.timedelta(days=1), by=a)
    assert "day" in err.value.fields and not DayClose.objects.exists()


def test_a_closed_day_refuses_that_cashiers_payments_and_records_nothing(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, b = cashiers
    take(home, a, 1000, when=at(DAY, 9))
    day_close(cashier=a, day=DAY, by=a)
    counter = ReceiptCounter.objects.get(year=2026).last
    entries = LedgerEntry.objects.count()
    with pytest.raises(ApplicationError) as err:
        take(home, a, 5000, when=at(DAY, 17))
    assert err.value.code == "day_closed"
    assert Payment.objects.count() == 1 and Receipt.objects.count() == 1
    assert LedgerEntry.objects.count() == entries and ReceiptCounter.objects.get(year=2026).last == counter
    # another cashier that day, and the same cashier the next day, still can
    take(home, b, 5000, when=at(DAY, 17))
    take(home, a, 5000, when=at(DAY + dt.timedelta(days=1), 9))
    assert Payment.objects.count() == 3


def test_a_receipt_of_a_closed_day_cannot_be_voided(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, b = cashiers
    payment = take(home, a, 1000, when=at(DAY, 9))
    day_close(cashier=a, day=DAY, by=a)
    receipt = Receipt.objects.get(payment=payment)
    with pytest.raises(ApplicationError) as err:
        receipt_void(receipt=receipt, reason="收错了", by=b)  # even by someone else
    assert err.value.code == "day_closed"
    receipt.refresh_from_db()
    assert receipt.status == "valid" and not Refund.objects.exists()
    assert not LedgerEntry.objects.filter(payment=payment, kind__in=["refund", "unsettle"]).exists()


def test_a_cashier_who_closed_today_cannot_refund(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, b = cashiers
    payment = take(home, b, 5000)
    day_close(cashier=a, day=timezone.localdate(), by=a)
    with pytest.raises(ApplicationError) as err:
        refund_create(payment=payment, amount=1000, reason="退款", by=a)
    assert err.value.code == "day_closed"
    assert not Refund.objects.exists() and not LedgerEntry.objects.filter(kind="refund").exists()
    refund_create(payment=payment, amount=1000, reason="退款", by=b)  # b has not closed today
    assert Refund.objects.get().amount == 1000


def test_closing_today_counts_the_days_refunds_and_locks_new_payments(home: Home, cashiers: tuple[Any, Any]) -> None:
    a, _b = cashiers
    payment = take(home, a, 5000)
    refund_create(payment=payment, amount=700, reason="找零有误", by=a)
    close = day_close(cashier=a, day=timezone.localdate(), by=a)
    assert (close.payment_count, close.total, close.refund_total) == (1, 5000, 700)
    with pytest.raises(ApplicationError):
        take(home, a, 100)
    assert Payment.objects.count() == 1


def test_a_cashier_who_closed_today_cannot_void_either(home: Home, cashiers: tuple[Any, Any]) -> None:
    """A void posts its reversal today in the voider's name, so it is a refund like any other."""
    a, b = cashiers
    payment = take(home, b, 5000)
    day_close(cashier=a, day=timezone.localdate(), by=a)
    receipt = Receipt.objects.get(payment=payment)
    with pytest.raises(ApplicationError) as err:
        receipt_void(receipt=receipt, reason="收错了", by=a)
    assert err.value.code == "day_closed"
    receipt.refresh_from_db()
    assert receipt.status == "valid" and not Refund.objects.exists()
    assert receipt_void(receipt=receipt, reason="收错了", by=b).status == "voided"


# --- a day close racing a refund (committed data, real connections) ---------------------------------------------


def _refund_and_hold(
    tenant: Any, payment_id: int, by_id: int, refunded: threading.Event, release: threading.Event, out: list[Any]
) -> None:
    from backend.accounts.models import User

    try:
        connection.set_tenant(tenant)
        with transaction.atomic():
            refund_create(
                payment=Payment.objects.get(pk=payment_id), amount=700, reason="找零", by=User.objects.get(pk=by_id)
            )
            refunded.set()
            release.wait(timeout=30)  # keep the transaction (and the cashier's lock) open
        out.append("refunded")
    except Exception as error:  # noqa: BLE001 - reported by the assertion below
        out.append(error)
        refunded.set()
    finally:
        connections.close_all()


def _close(tenant: Any, cashier_id: int, out: list[Any]) -> None:
    from backend.accounts.models import User

    try:
        connection.set_tenant(tenant)
        cashier = User.objects.get(pk=cashier_id)
        out.append(day_close(cashier=cashier, day=timezone.localdate(), by=cashier))
    except Exception as error:  # noqa: BLE001 - reported by the assertion below
        out.append(error)
    finally:
        connections.close_all()


def _someone_waits_for_a_lock(seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def test_a_day_close_waits_for_a_refund_in_flight_and_counts_it(django_db_setup: None, django_db_blocker: Any) -> None:
    from backend.accounts.models import User
    from backend.properties import services as registry
    from backend.properties.models import Building, Estate, ManagementOffice, Unit
    from backend.properties.scope import Scope
    from tenants.models import Tenant

    from .cleanup import forget_payments

    tag = uuid.uuid4().hex[:6]
    everything = Scope.everything()
    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        connection.set_tenant(tenant)
        cashier = User.objects.create(name=f"日结{tag}", email=f"close-{tag}@alpha.test")
        office = registry.office_create(name=f"日结{tag}", scope=everything)
        try:
            estate = registry.estate_create(office_id=office.pk, name="日结苑", scope=everything)
            building = registry.building_create(estate_id=estate.pk, name="1栋", scope=everything)
            registry.units_generate(
                building_id=building.pk, first_floor=1, last_floor=1, units_per_floor=1, area="50", scope=everything
            )
            unit = Unit.objects.get(building=building)
            payment = ledger.payment_record(unit=unit, amount=5000, method="cash", to_prepaid=True).payment
            refunded, release = threading.Event(), threading.Event()
            refund_out: list[Any] = []
            close_out: list[Any] = []
            refunder = threading.Thread(
                target=_refund_and_hold, args=(tenant, payment.pk, cashier.pk, refunded, release, refund_out)
            )
            refunder.start()
            assert refunded.wait(timeout=30)
            closer = threading.Thread(target=_close, args=(tenant, cashier.pk, close_out))
            closer.start()
            waited = _someone_waits_for_a_lock()
            release.set()
            refunder.join(timeout=60)
            closer.join(timeout=60)
            connection.set_tenant(tenant)
            assert refund_out == ["refunded"] and len(close_out) == 1, (refund_out, close_out)
            close = close_out[0]
            assert isinstance(close, DayClose), close
            assert waited, "the day close did not wait for the refund's lock"
            assert close.refund_total == 700  # the refund committed first and is in the day's totals
        finally:
            connection.set_tenant(tenant)
            units = Unit.objects.filter(office=office)
            DayClose.objects.filter(cashier=cashier).delete()
            forget_payments(units)
            LedgerEntry.objects.filter(unit__in=units).delete()
            Payment.objects.filter(unit__in=units).delete()
            units.delete()
            Building.objects.filter(estate__office=office).delete()
            Estate.objects.filter(office=office).delete()
            ManagementOffice.objects.filter(pk=office.pk).delete()
            User.objects.filter(pk=cashier.pk).delete()
            connection.set_schema_to_public()
