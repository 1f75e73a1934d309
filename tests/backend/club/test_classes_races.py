"""The seats of a class on committed data: 30 residents enrolling at once in a class of 12 seats give exactly
12 enrolments; the other 18 are told "full", nothing else; the counter says 12."""

from __future__ import annotations

from typing import Any

from backend.club import classes, classes_money
from backend.club.errors import Full
from backend.club.models import ClassSession, Enrolment, Teacher, TrainingClass

from .committed import committed_club
from .conftest import NOW, at
from .test_races import run_together

REQUESTS, SEATS = 30, 12


def test_thirty_enrolments_for_twelve_seats_give_exactly_twelve(django_db_setup: None, django_db_blocker: Any):
    with django_db_blocker.unblock(), committed_club(capacity=20) as world:
        teacher = classes.teacher_create(by=None, name="并发老师", share_percent=60)
        try:
            klass = classes.class_create(
                facility=world.facility, by=None, teacher=teacher, title="并发瑜伽", seats=SEATS, price_fen=0
            )
            classes.session_add(
                training_class=klass, by=None, starts_at=at(1, "19:00"), ends_at=at(1, "20:00"), now=NOW
            )
            classes.class_publish(training_class=klass, by=None, now=NOW)

            def job(n: int) -> Any:
                return lambda: classes_money.enrolment_create(
                    training_class=klass, user=world.user, unit=world.unit, participant=f"学员{n}", now=NOW
                )

            results = run_together(world.tenant, [job(n) for n in range(REQUESTS)])
            won = [r for r in results if isinstance(r, Enrolment)]
            full = [r for r in results if isinstance(r, Full)]
            assert len(won) == SEATS and len(full) == REQUESTS - SEATS, [repr(r) for r in results]
            assert {r.code for r in full} == {"full"} and {r.status for r in full} == {409}
            assert Enrolment.objects.filter(training_class=klass, status="enrolled").count() == SEATS
            assert TrainingClass.objects.get(pk=klass.pk).seats_taken == SEATS
        finally:
            classes_of = TrainingClass.objects.filter(teacher=teacher)
            Enrolment.objects.filter(training_class__in=classes_of).delete()
            for session in ClassSession.objects.filter(training_class__in=classes_of, status="scheduled"):
                classes.session_cancel(session=session, by=None, reason="测试结束", now=NOW)
            classes_of.delete()
            Teacher.objects.filter(pk=teacher.pk).delete()
