"""Unpaid enrolments of paid classes expire after the class's hold (default 30 minutes): the seat is freed for
the next resident, the charge is corrected so nothing is owed (a part paid from the prepaid balance goes back),
an online payment in flight keeps the hold (for a grace period), and the periodic task does it per company."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.audit.models import AuditEntry
from backend.billing import ledger
from backend.billing.models import BillLine, LedgerEntry
from backend.billing.selectors import unit_account
from backend.club import classes, classes_money
from backend.club.classes_holds import class_holds_expire, enrolment_payment_in_flight
from backend.club.errors import Full
from backend.club.models import Enrolment, EnrolmentStatus, TrainingClass
from backend.club.money import IN_FLIGHT_GRACE
from backend.club.tasks import class_holds_expire as class_holds_expire_task
from backend.errors import ApplicationError
from backend.notifications.models import Notification
from backend.payments.models import OnlinePayment

from .conftest import NOW, Club, at
from .test_classes import YOGA_FEN, enrol, make_class, owed, pay

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def seats_taken(klass: TrainingClass) -> int:
    return TrainingClass.objects.get(pk=klass.pk).seats_taken


def test_an_unpaid_enrolment_expires_after_its_hold_and_the_seat_goes_to_the_next(world: Club):
    yoga = make_class(world, seats=1)
    first = enrol(world, yoga)
    assert first.hold_expires_at == NOW + 30 * MINUTE
    with pytest.raises(Full):
        enrol(world, yoga, user=world.neighbour, unit=world.units[1], now=NOW + 10 * MINUTE)
    assert class_holds_expire(now=NOW + 29 * MINUTE) == 0
    assert class_holds_expire(now=NOW + 30 * MINUTE) == 1
    first.refresh_from_db()
    assert first.status == EnrolmentStatus.EXPIRED and first.ended_at == NOW + 30 * MINUTE
    assert first.charge is not None and owed(first.charge) == 0  # nothing is owed
    correction = LedgerEntry.objects.get(bill_line=first.charge, kind="waiver")
    assert correction.waiver_kind == LedgerEntry.WaiverKind.CORRECTION and correction.amount == YOGA_FEN
    assert correction.approved_by is not None and not correction.approved_by.is_active
    assert seats_taken(yoga.klass) == 0
    assert Notification.objects.filter(recipient=world.resident, kind="club.class_enrolment_expired").exists()
    assert AuditEntry.objects.filter(action="club.class_enrolment_expire", object_id=str(first.pk)).exists()
    # the freed seat is taken by the next enrolment
    second = enrol(world, yoga, user=world.neighbour, unit=world.units[1], now=NOW + 31 * MINUTE)
    assert second.status == EnrolmentStatus.ENROLLED and seats_taken(yoga.klass) == 1
    assert class_holds_expire(now=NOW + 40 * MINUTE) == 0  # an expired enrolment is not expired twice
    # an expired enrolment has ended: it cannot be withdrawn (no second correction)
    with pytest.raises(ApplicationError):
        classes_money.enrolment_withdraw(enrolment=first, by=world.resident, now=NOW + 41 * MINUTE)


def test_the_hold_is_the_classes_own(world: Club):
    yoga = make_class(world, hold_minutes=120)
    enrolment = enrol(world, yoga)
    assert enrolment.hold_expires_at == NOW + 120 * MINUTE
    assert class_holds_expire(now=NOW + 119 * MINUTE) == 0
    assert class_holds_expire(now=NOW + 120 * MINUTE) == 1
    with pytest.raises(ApplicationError) as refused:
        classes.class_update(training_class=yoga.klass, by=None, hold_minutes=1)
    assert "hold_minutes" in refused.value.fields


def test_paid_and_free_enrolments_never_expire(world: Club):
    yoga = make_class(world)
    paid = enrol(world, yoga)
    pay(paid)
    free = classes.class_create(facility=world.court, by=None, teacher=yoga.teacher, title="免费讲座", seats=5)
    classes.session_add(training_class=free, by=None, starts_at=at(3, "09:00"), ends_at=at(3, "10:00"), now=NOW)
    classes.class_publish(training_class=free, by=None, now=NOW)
    gratis = classes_money.enrolment_create(training_class=free, user=world.neighbour, unit=world.units[1], now=NOW)
    assert gratis.hold_expires_at is None and gratis.paid_at is not None
    assert class_holds_expire(now=NOW + dt.timedelta(days=3)) == 0
    paid.refresh_from_db()
    assert paid.status == EnrolmentStatus.ENROLLED and paid.paid_at is not None


def test_a_prepaid_balance_that_covers_the_fee_leaves_no_hold(world: Club):
    ledger.payment_record(unit=world.home, amount=YOGA_FEN, method="cash")
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    assert enrolment.paid_at is not None and enrolment.hold_expires_at is None


def test_an_expiry_gives_back_what_the_prepaid_balance_paid_of_it(world: Club):
    ledger.payment_record(unit=world.home, amount=20_000, method="cash")
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    assert enrolment.paid_at is None and enrolment.charge is not None
    assert owed(enrolment.charge) == YOGA_FEN - 20_000
    assert class_holds_expire(now=NOW + 30 * MINUTE) == 1
    assert owed(enrolment.charge) == 0
    account = unit_account(world.home.pk)
    assert account.owed == 0 and account.prepaid == 20_000


def in_flight(enrolment: Enrolment, status: str, **extra: Any) -> OnlinePayment:
    assert enrolment.charge_id is not None
    return OnlinePayment.objects.create(
        unit=enrolment.unit,
        user_id=enrolment.user_id,
        amount=enrolment.price_fen,
        status=status,
        line_ids=[enrolment.charge_id],
        **extra,
    )


def test_an_online_payment_in_flight_keeps_the_hold_for_a_grace_period(world: Club):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    payment = in_flight(enrolment, OnlinePayment.Status.REQUIRES_ACTION)
    expiry = NOW + 30 * MINUTE
    assert enrolment_payment_in_flight(enrolment, now=expiry)
    assert class_holds_expire(now=expiry) == 0
    assert class_holds_expire(now=expiry + IN_FLIGHT_GRACE - MINUTE) == 0
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    # a 3-D Secure page abandoned: past the grace the seat goes anyway
    assert class_holds_expire(now=expiry + IN_FLIGHT_GRACE) == 1
    payment.delete()


def test_a_payment_submitted_counts_as_in_flight_and_a_failed_one_does_not(world: Club):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    expiry = NOW + 30 * MINUTE
    created = in_flight(enrolment, OnlinePayment.Status.CREATED)
    assert not enrolment_payment_in_flight(enrolment, now=expiry)  # never submitted
    OnlinePayment.objects.filter(pk=created.pk).update(confirmed_at=NOW + 29 * MINUTE)
    assert enrolment_payment_in_flight(enrolment, now=expiry)
    OnlinePayment.objects.filter(pk=created.pk).update(status=OnlinePayment.Status.FAILED)
    assert not enrolment_payment_in_flight(enrolment, now=expiry)
    # another line's payment does not hold this one
    other = BillLine.objects.exclude(pk=enrolment.charge_id).values_list("pk", flat=True).first()
    OnlinePayment.objects.create(
        unit=enrolment.unit, amount=1, status=OnlinePayment.Status.PROCESSING, line_ids=[other or 0]
    )
    assert class_holds_expire(now=expiry) == 1


def test_an_enrolment_paid_some_way_the_hook_missed_is_marked_paid_not_expired(world: Club):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    pay(enrolment)
    Enrolment.objects.filter(pk=enrolment.pk).update(paid_at=None)
    assert class_holds_expire(now=NOW + 30 * MINUTE) == 0
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED and enrolment.paid_at == NOW + 30 * MINUTE
    assert seats_taken(yoga.klass) == 1


def test_the_periodic_task_expires_what_is_due(world: Club):
    yoga = make_class(world)
    enrolment = enrol(world, yoga)
    Enrolment.objects.filter(pk=enrolment.pk).update(hold_expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert class_holds_expire_task.apply().get() == 1
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.EXPIRED
    assert seats_taken(yoga.klass) == 0


def test_the_beat_runs_it_every_minute(settings: Any):
    entry = settings.CELERY_BEAT_SCHEDULE["club-class-holds-expire"]
    assert entry == {"task": "backend.club.tasks.class_holds_expire", "schedule": 60}


def test_after_an_expiry_the_same_person_may_enrol_again_with_a_new_charge(world: Club):
    yoga = make_class(world)
    first = enrol(world, yoga)
    assert class_holds_expire(now=NOW + 30 * MINUTE) == 1
    again = enrol(world, yoga, now=NOW + 31 * MINUTE)
    assert again.pk != first.pk and again.status == EnrolmentStatus.ENROLLED
    assert again.charge_id is not None and again.charge_id != first.charge_id
    assert again.hold_expires_at == NOW + 61 * MINUTE
    assert seats_taken(yoga.klass) == 1
    assert unit_account(world.home.pk).owed == YOGA_FEN  # only the new charge is owed
