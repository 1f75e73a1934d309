"""Training classes: sessions block the facility's cells (a booking then is refused; a session over a booking
is refused naming it; cancelling gives the cells back), enrolment (seats, eligibility, arrears), the fee on the
home's ledger paid through a payment, withdrawal with the refund policy (full before the first session, pro
rata after, nothing for an unpaid one but a corrected line), the class cancelled refunds everyone, attendance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from backend.billing import ledger
from backend.billing import services as billing
from backend.billing.models import BillLine, FeeItem, LedgerEntry, Payment
from backend.billing.selectors import lines_with_balances, unit_account
from backend.club import booking as engine
from backend.club import classes, classes_money
from backend.club.errors import Full
from backend.club.models import (
    Attendance,
    ClassSession,
    Enrolment,
    EnrolmentStatus,
    SlotCell,
    Teacher,
    TrainingClass,
)
from backend.errors import ApplicationError
from backend.notifications.models import Notification

from .conftest import EVERYTHING, NOW, Club, at

pytestmark = pytest.mark.django_db

YOGA_FEN = 60_000


def fee_item(office: Any) -> FeeItem:
    return billing.fee_item_create(
        office=office, scope=EVERYTHING, code="class", name="培训费", category="other", method="fixed", cycle="one_off"
    )


@dataclass
class Yoga:
    teacher: Teacher
    klass: TrainingClass
    sessions: list[ClassSession]
    item: FeeItem


def make_class(world: Club, *, seats: int = 12, price: int = YOGA_FEN, sessions: int = 4, **extra: Any) -> Yoga:
    teacher = classes.teacher_create(by=None, name="林老师", phone="13900000000", share_percent=60)
    item = fee_item(world.office)
    klass = classes.class_create(
        facility=world.gym,
        by=None,
        teacher=teacher,
        title="瑜伽班",
        seats=seats,
        price_fen=price,
        fee_item=item,
        **extra,
    )
    made = [
        classes.session_add(
            training_class=klass, by=None, starts_at=at(7 * n + 1, "19:00"), ends_at=at(7 * n + 1, "20:00"), now=NOW
        )
        for n in range(sessions)
    ]
    classes.class_publish(training_class=klass, by=None, now=NOW)
    klass.refresh_from_db()
    return Yoga(teacher, klass, made, item)


def enrol(world: Club, yoga: Yoga, user: Any = None, unit: Any = None, **kw: Any) -> Enrolment:
    return classes_money.enrolment_create(
        training_class=yoga.klass, user=user or world.resident, unit=unit or world.home, now=kw.pop("now", NOW), **kw
    )


def pay(enrolment: Enrolment) -> Payment:
    assert enrolment.charge is not None
    return ledger.payment_record(
        unit=enrolment.unit, amount=enrolment.price_fen, method="card", channel="online", line_ids=[enrolment.charge.pk]
    ).payment


def owed(line: BillLine) -> int:
    return int(lines_with_balances(BillLine.objects.filter(pk=line.pk)).get().owed)  # type: ignore[attr-defined]


# --- sessions and the facility's cells --------------------------------------------------------------------


def test_a_session_blocks_the_cells_so_a_booking_then_is_refused(world: Club):
    yoga = make_class(world)
    assert SlotCell.objects.get(facility=world.gym, starts_at=at(1, "19:00")).blocks == 1
    with pytest.raises(Full) as refused:
        engine.booking_create(
            facility=world.gym,
            user=world.resident,
            unit=world.home,
            starts_at=at(1, "19:00"),
            ends_at=at(1, "20:00"),
            now=NOW,
        )
    assert "closed" in refused.value.message
    # the hour before is free
    engine.booking_create(
        facility=world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=at(1, "18:00"),
        ends_at=at(1, "19:00"),
        now=NOW,
    )
    classes.session_cancel(session=yoga.sessions[0], by=None, reason="老师请假", now=NOW)
    assert SlotCell.objects.get(facility=world.gym, starts_at=at(1, "19:00")).blocks == 0
    booked = engine.booking_create(
        facility=world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=at(1, "19:00"),
        ends_at=at(1, "20:00"),
        now=NOW,
    )
    assert booked.status == "confirmed"


def test_a_session_over_a_booking_is_refused_naming_it_and_blocks_nothing(world: Club):
    booking = engine.booking_create(
        facility=world.gym,
        user=world.resident,
        unit=world.home,
        starts_at=at(2, "10:00"),
        ends_at=at(2, "11:00"),
        now=NOW,
    )
    yoga = make_class(world, sessions=1)
    with pytest.raises(ApplicationError) as refused:
        classes.session_add(
            training_class=yoga.klass, by=None, starts_at=at(2, "10:30"), ends_at=at(2, "11:30"), now=NOW
        )
    assert refused.value.code == "bookings_in_the_way" and refused.value.status == 409
    assert booking.code in refused.value.message and world.home.label in refused.value.message
    assert not SlotCell.objects.filter(facility=world.gym, starts_at__in=[at(2, "10:00"), at(2, "11:00")], blocks__gt=0)
    assert ClassSession.objects.filter(training_class=yoga.klass).count() == 1
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_session_over_another_class_or_a_closure_is_refused(world: Club):
    yoga = make_class(world, sessions=1)
    with pytest.raises(ApplicationError) as refused:
        classes.session_add(
            training_class=yoga.klass, by=None, starts_at=at(1, "19:00"), ends_at=at(1, "20:00"), now=NOW
        )
    assert "starts_at" in refused.value.fields
    assert SlotCell.objects.get(facility=world.gym, starts_at=at(1, "19:00")).blocks == 1


def test_cancelling_the_class_unblocks_its_sessions(world: Club):
    yoga = make_class(world)
    classes.class_cancel(training_class=yoga.klass, by=world.resident, reason="报名不足", now=NOW)
    assert not SlotCell.objects.filter(facility=world.gym, blocks__gt=0).exists()
    assert set(ClassSession.objects.values_list("status", flat=True)) == {"class_cancelled"}


# --- enrolment and payment --------------------------------------------------------------------------------


def test_enrol_posts_one_charge_and_a_payment_marks_it_paid(world: Club):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    again = enrol(world, yoga)
    assert again.pk == enrolment.pk
    assert enrolment.charge is not None and enrolment.paid_at is None
    assert BillLine.objects.filter(unit=world.home, kind="adhoc").count() == 1
    assert owed(enrolment.charge) == YOGA_FEN
    yoga.klass.refresh_from_db()
    assert yoga.klass.seats_taken == 1
    pay(enrolment)
    enrolment.refresh_from_db()
    assert enrolment.paid_at is not None
    assert Notification.objects.filter(recipient=world.resident, kind="club.class_enrolled").exists()


def test_payments_recorded_together_mark_paid_the_enrolments_they_settle(world: Club):
    """An import's payments (ledger_bulk.py) mark the enrolments they leave paid, among homes without one."""
    from django.utils import timezone

    from backend.billing.ledger_bulk import PaymentIn, payments_record_bulk

    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    when = timezone.now()
    payments_record_bulk(
        payments=[
            PaymentIn(unit_id=unit.pk, amount=amount, method="cash", channel="counter", received_at=when)
            for unit, amount in ((world.units[1], 5000), (world.home, enrolment.price_fen), (world.units[2], 100))
        ],
        recorded_by=None,
    )
    enrolment.refresh_from_db()
    assert enrolment.paid_at is not None and owed(enrolment.charge) == 0  # type: ignore[arg-type]


def test_a_payment_never_fails_because_of_the_listener(world: Club, monkeypatch: Any):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)

    def broken(**kw: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(classes_money, "enrolments_mark_paid", broken)
    payment = pay(enrolment)
    assert Payment.objects.filter(pk=payment.pk).exists()
    assert owed(enrolment.charge) == 0  # type: ignore[arg-type]


def test_a_participant_of_the_home_takes_another_seat_and_the_class_fills(world: Club):
    yoga = make_class(world, seats=2)
    enrol(world, yoga)
    enrol(world, yoga, participant="王小明")
    with pytest.raises(Full):
        enrol(world, yoga, user=world.neighbour, unit=world.units[1])


def test_who_may_enrol(world: Club):
    yoga = make_class(world)
    with pytest.raises(ApplicationError) as not_home:
        enrol(world, yoga, unit=world.units[1])
    assert "unit" in not_home.value.fields
    with pytest.raises(ApplicationError) as other_estate:
        enrol(world, yoga, user=world.other_resident, unit=world.other_units[0])
    assert "unit" in other_estate.value.fields
    classes.class_close(training_class=yoga.klass, by=None, now=NOW)
    with pytest.raises(ApplicationError) as closed:
        enrol(world, yoga)
    assert closed.value.code == "class_not_open"


def test_units_in_arrears_cannot_enrol_in_a_paid_class(world: Club, monkeypatch: Any):
    yoga = make_class(world)
    monkeypatch.setattr(
        classes_money, "unit_sanctioned", lambda unit_id, sanction, today=None: unit_id == world.home.pk
    )
    with pytest.raises(ApplicationError) as refused:
        enrol(world, yoga)
    assert refused.value.code == "arrears"
    # a free class is not barred
    TrainingClass.objects.filter(pk=yoga.klass.pk).update(price_fen=0)
    assert enrol(world, yoga).paid_at is not None


# --- withdrawal and refunds -------------------------------------------------------------------------------


def test_withdrawing_unpaid_corrects_the_line_so_nothing_is_owed(world: Club):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    ended = classes_money.enrolment_withdraw(enrolment=enrolment, by=world.resident, now=NOW)
    assert ended.status == EnrolmentStatus.WITHDRAWN and ended.refunded_fen == 0
    assert owed(enrolment.charge) == 0  # type: ignore[arg-type]
    yoga.klass.refresh_from_db()
    assert yoga.klass.seats_taken == 0
    with pytest.raises(ApplicationError) as twice:
        classes_money.enrolment_withdraw(enrolment=enrolment, by=world.resident, now=NOW)
    assert twice.value.code == "invalid_state"


def test_withdrawing_before_the_first_session_refunds_in_full_once(world: Club):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    payment = pay(enrolment)
    ended = classes_money.enrolment_withdraw(enrolment=enrolment, by=world.resident, now=NOW)
    assert ended.refunded_fen == YOGA_FEN and ended.refund_entry is not None
    assert ended.refund_entry.waiver_kind == LedgerEntry.WaiverKind.CORRECTION
    assert unit_account(world.home.pk).prepaid == YOGA_FEN  # the money is the home's credit again
    assert payment.pk
    with pytest.raises(ApplicationError):
        classes_money.enrolment_withdraw(enrolment=enrolment, by=world.resident, now=NOW)
    assert LedgerEntry.objects.filter(bill_line=enrolment.charge, kind="waiver").count() == 1


def test_withdrawing_after_a_session_refunds_the_sessions_not_held(world: Club):
    yoga = make_class(world, price=10_000, sessions=3)
    enrolment = enrol(world, yoga)
    pay(enrolment)
    after_first = yoga.sessions[0].starts_at + dt.timedelta(minutes=5)
    ended = classes_money.enrolment_withdraw(enrolment=enrolment, by=world.resident, now=after_first)
    # 1 of 3 held: the company keeps floor(10000 / 3) = 3333, the resident gets 6667
    assert ended.refunded_fen == 6667


def test_the_before_start_and_none_policies(world: Club):
    strict = make_class(world, price=9000, sessions=3, refund_policy="before_start")
    first = strict.sessions[0].starts_at + dt.timedelta(minutes=1)
    e = enrol(world, strict)
    pay(e)
    assert classes_money.enrolment_withdraw(enrolment=e, by=world.resident, now=first).refunded_fen == 0


def test_cancelling_the_class_refunds_every_enrolment(world: Club):
    yoga = make_class(world)
    paid = enrol(world, yoga)
    pay(paid)
    unpaid = enrol(world, yoga, user=world.neighbour, unit=world.units[1])
    ended = classes.class_cancel(training_class=yoga.klass, by=world.resident, reason="场地维修", now=NOW)
    assert {e.pk for e in ended} == {paid.pk, unpaid.pk}
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert paid.status == unpaid.status == EnrolmentStatus.CANCELLED
    assert paid.refunded_fen == YOGA_FEN and unpaid.refunded_fen == 0
    assert owed(unpaid.charge) == 0  # type: ignore[arg-type]
    yoga.klass.refresh_from_db()
    assert yoga.klass.seats_taken == 0
    assert Notification.objects.filter(recipient=world.neighbour, kind="club.class_cancelled").exists()
    with pytest.raises(ApplicationError):
        enrol(world, yoga)


# --- attendance -------------------------------------------------------------------------------------------


def test_staff_mark_attendance_and_marking_again_replaces(world: Club):
    yoga = make_class(world)
    a = enrol(world, yoga)
    b = enrol(world, yoga, user=world.neighbour, unit=world.units[1])
    session = yoga.sessions[0]
    during = session.starts_at + dt.timedelta(minutes=10)
    classes.attendance_mark(session=session, marks={a.pk: "present", b.pk: "absent"}, by=None, now=during)
    classes.attendance_mark(session=session, marks={b.pk: "excused"}, by=None, now=during)
    assert dict(Attendance.objects.values_list("enrolment_id", "status")) == {a.pk: "present", b.pk: "excused"}
    with pytest.raises(ApplicationError):
        classes.attendance_mark(session=yoga.sessions[3], marks={a.pk: "present"}, by=None, now=during)
