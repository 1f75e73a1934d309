"""Races on committed data: many cancels of one paid booking at once, and many settlements of its refund at
once (retries, the sweep and a second worker), give back its money exactly once."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from backend.billing import ledger
from backend.billing.models import BillLine, Deposit, FeeItem, LedgerEntry, Payment
from backend.billing.selectors import unit_account
from backend.club import booking as engine
from backend.club.models import Booking
from backend.club.refunds import booking_refund_settle
from backend.errors import ApplicationError
from backend.payments.models import Receipt

from .committed import Committed, committed_club
from .conftest import NOW, at
from .test_races import THREADS, run_together

PRICE, DEPOSIT = 3000, 5000


@contextlib.contextmanager
def paid_club() -> Iterator[Committed]:
    with committed_club(price_mode="per_slot", resident_price_fen=PRICE, deposit_fen=DEPOSIT) as world:
        try:
            yield world
        finally:
            units = [world.unit.pk]
            detached = {"charge": None, "deposit_charge": None, "deposit": None, "payment": None}
            Booking.objects.filter(unit_id__in=units).update(**detached)
            LedgerEntry.objects.filter(unit_id__in=units).delete()
            Receipt.objects.filter(payment__unit_id__in=units).delete()
            Payment.objects.filter(unit_id__in=units).delete()
            Deposit.objects.filter(unit_id__in=units).delete()
            BillLine.objects.filter(unit_id__in=units).delete()
            FeeItem.objects.filter(office_id=world.unit.office_id).delete()


def paid_booking(world: Committed) -> Booking:
    ledger.payment_record(unit=world.unit, amount=20000, method="cash", to_prepaid=True)
    start = at(1, "10:00")
    booking = engine.booking_create(
        facility=world.facility,
        user=world.user,
        unit=world.unit,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        now=NOW,
    )
    assert booking.status == "confirmed"
    return booking


def test_many_cancels_and_refund_settlements_of_one_booking_refund_it_once(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock(), paid_club() as world:
        booking = paid_booking(world)
        assert unit_account(world.unit.pk).prepaid == 20000 - booking.total_fen > 0

        def cancel() -> Any:
            return engine.booking_cancel(booking=booking, by=world.user, now=NOW)

        results = run_together(world.tenant, [cancel for _ in range(THREADS)])
        won = [r for r in results if isinstance(r, Booking)]
        refused = [r for r in results if isinstance(r, ApplicationError)]
        assert len(won) == 1 and len(refused) == THREADS - 1, [type(r).__name__ for r in results]
        assert {r.code for r in refused} == {"invalid_state"}

        def settle() -> Any:
            return booking_refund_settle(booking_id=booking.pk)

        results = run_together(world.tenant, [settle for _ in range(THREADS)])
        assert all(isinstance(r, Booking) for r in results), results
        booking.refresh_from_db()
        assert booking.refund_status == "done" and booking.refund_due_fen == booking.total_fen
        assert unit_account(world.unit.pk).prepaid == 20000
        corrections = LedgerEntry.objects.filter(unit=world.unit, kind="waiver", waiver_kind="correction")
        assert corrections.count() == 2
        assert LedgerEntry.objects.filter(unit=world.unit, kind="deposit_refunded").count() == 1
