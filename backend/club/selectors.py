"""Scoped reads of the club. Staff see the facilities of their data scope (estate-scoped staff only their
estates'; office-scoped staff every estate of their offices) and those facilities' bookings; residents see the
facilities their homes may book (the facility's estate, or the estates it names) and their own bookings.
Every lookup by id goes through these, so another office's, a neighbour's or another company's object is
simply not found."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.roles import Role
from backend.properties.models import Occupancy, Unit
from backend.properties.scope import Scope

from .models import Booking, Facility


def staff_facility_q(scope: Scope) -> Q:
    if scope.all_offices:
        return Q()
    return Q(office_id__in=scope.office_ids) | Q(estate_id__in=scope.estate_ids)


def home_estate_ids(user_id: int) -> list[int]:
    """The estates of the homes a person lives in now (their current occupancies)."""
    return sorted(
        set(
            Occupancy.objects.filter(person__user_id=user_id, end_date__isnull=True).values_list(
                "unit__estate_id", flat=True
            )
        )
    )


def resident_facility_q(estate_ids: list[int]) -> Q:
    """Facilities homes in these estates may book: the facility's own estate unless it names others."""
    if not estate_ids:
        return Q(pk__in=[])
    return Q(allowed_estate_ids=[], estate_id__in=estate_ids) | Q(allowed_estate_ids__overlap=estate_ids)


def facility_list(*, scope: Scope, active_only: bool = False) -> QuerySet[Facility]:
    """Facilities the caller may see: staff by their data scope, residents those their homes may book."""
    if scope.is_resident:
        assert scope.resident_user_id is not None
        q = resident_facility_q(home_estate_ids(scope.resident_user_id))
    else:
        q = staff_facility_q(scope)
    qs = Facility.objects.filter(q).select_related("estate")
    if active_only or scope.is_resident:
        qs = qs.filter(is_active=True)
    return qs.order_by("estate__name", "name", "id")


def facility_get(*, scope: Scope, facility_id: int) -> Facility | None:
    return facility_list(scope=scope).filter(pk=facility_id).first()


def facility_visible(*, user: Any, membership: Any, object_id: int) -> bool:
    """Whether a member may watch a facility's availability: staff in their scope, and anyone whose homes
    may book it (a member of staff who also lives in an estate sees its facilities too)."""
    if membership is None:
        return False
    q = Q(pk__in=[])
    if membership.is_staff_member:
        q |= staff_facility_q(Scope.of(membership))
    if Role.RESIDENT in membership.roles:
        q |= resident_facility_q(home_estate_ids(user.pk)) & Q(is_active=True)
    return Facility.objects.filter(q, pk=object_id).exists()


def booking_list(
    *,
    scope: Scope,
    facility_id: int | None = None,
    status: str | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> QuerySet[Booking]:
    """Bookings the caller may see: staff those of the facilities in their scope; residents their own
    (made by them, or for a home they live in now)."""
    qs = Booking.objects.select_related("facility", "unit")
    if scope.is_resident:
        homes = Unit.objects.filter(scope.unit_q()).values("pk")
        qs = qs.filter(Q(user_id=scope.resident_user_id) | Q(unit__in=homes))
    else:
        qs = qs.filter(facility__in=Facility.objects.filter(staff_facility_q(scope)).values("pk"))
    if facility_id is not None:
        qs = qs.filter(facility_id=facility_id)
    if status:
        qs = qs.filter(status=status)
    if starts_from is not None:
        qs = qs.filter(ends_at__gt=starts_from)
    if starts_before is not None:
        qs = qs.filter(starts_at__lt=starts_before)
    return qs.order_by("starts_at", "id")


def booking_get(*, scope: Scope, booking_id: int) -> Booking | None:
    return booking_list(scope=scope).filter(pk=booking_id).first()
