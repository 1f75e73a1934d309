"""Scoped reads of training classes. Staff see the classes of the facilities in their data scope (and their
sessions, enrolments and attendance); residents see the published classes (not drafts) of the facilities
their homes may book, and their own enrolments. A lookup by id outside that is not found, like another
company's."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from backend.properties.scope import Scope

from .models import ClassSession, ClassStatus, Enrolment, Facility, Teacher, TrainingClass
from .selectors import home_estate_ids, resident_facility_q, staff_facility_q


def class_list(*, scope: Scope, status: str | None = None, facility_id: int | None = None) -> QuerySet[TrainingClass]:
    if scope.is_resident:
        assert scope.resident_user_id is not None
        facilities = Facility.objects.filter(resident_facility_q(home_estate_ids(scope.resident_user_id)))
        mine = Enrolment.objects.filter(user_id=scope.resident_user_id).values("training_class_id")
        qs = TrainingClass.objects.filter(
            Q(facility__in=facilities.values("pk"), status__in=[ClassStatus.OPEN, ClassStatus.CLOSED]) | Q(pk__in=mine)
        )
    else:
        qs = TrainingClass.objects.filter(facility__in=Facility.objects.filter(staff_facility_q(scope)).values("pk"))
    if status:
        qs = qs.filter(status=status)
    if facility_id is not None:
        qs = qs.filter(facility_id=facility_id)
    return qs.select_related("facility", "teacher").order_by("-created_at", "-id")


def class_get(*, scope: Scope, class_id: int) -> TrainingClass | None:
    return class_list(scope=scope).filter(pk=class_id).first()


def session_list(*, scope: Scope, class_id: int) -> QuerySet[ClassSession]:
    return ClassSession.objects.filter(training_class__in=class_list(scope=scope).filter(pk=class_id).values("pk"))


def session_get(*, scope: Scope, session_id: int) -> ClassSession | None:
    visible = class_list(scope=scope).values("pk")
    return (
        ClassSession.objects.filter(pk=session_id, training_class__in=visible).select_related("training_class").first()
    )


def enrolment_list(*, scope: Scope, class_id: int | None = None, status: str | None = None) -> QuerySet[Enrolment]:
    """Residents: their own enrolments; staff: those of the classes in their scope."""
    if scope.resident_user_id is not None:
        qs = Enrolment.objects.filter(user_id=scope.resident_user_id)
    else:
        qs = Enrolment.objects.filter(training_class__in=class_list(scope=scope).values("pk"))
    if class_id is not None:
        qs = qs.filter(training_class_id=class_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("training_class", "unit").order_by("training_class_id", "created_at", "id")


def enrolment_get(*, scope: Scope, enrolment_id: int) -> Enrolment | None:
    return enrolment_list(scope=scope).filter(pk=enrolment_id).first()


def teacher_list() -> QuerySet[Teacher]:
    """Teachers are the company's (a teacher may teach in several offices); staff who run classes see all."""
    return Teacher.objects.order_by("name", "id")
