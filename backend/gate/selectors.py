"""Reading the gate's rows: what a caller may see. Staff: their data scope, by the row's office or estate;
residents: the rows of the homes they live in now (and the passes they issued themselves)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from backend.properties.models import Unit
from backend.properties.scope import Scope

from .models import GateEntry, Parcel, ParcelStatus, VisitorPass

UNIT_SEARCH_LIMIT = 8


def _staff_q(scope: Scope) -> Q:
    return Q(office_id__in=scope.office_ids) | Q(estate_id__in=scope.estate_ids)


def _home_q(user_id: int) -> Q:
    return Q(unit__occupancies__person__user_id=user_id, unit__occupancies__end_date__isnull=True)


def passes_visible(*, scope: Scope) -> QuerySet[VisitorPass]:
    qs = VisitorPass.objects.all()
    if scope.all_offices:
        return qs
    if scope.resident_user_id is not None:
        return qs.filter(Q(issued_by_id=scope.resident_user_id) | _home_q(scope.resident_user_id)).distinct()
    return qs.filter(_staff_q(scope))


def pass_get(*, scope: Scope, pass_id: int) -> VisitorPass | None:
    return passes_visible(scope=scope).select_related("unit", "estate").filter(pk=pass_id).first()


def entries_visible(*, scope: Scope) -> QuerySet[GateEntry]:
    qs = GateEntry.objects.all()
    if scope.all_offices:
        return qs
    if scope.resident_user_id is not None:
        return qs.filter(visitor_pass__in=passes_visible(scope=scope))
    return qs.filter(_staff_q(scope))


def parcels_visible(*, scope: Scope) -> QuerySet[Parcel]:
    qs = Parcel.objects.all()
    if scope.all_offices:
        return qs
    if scope.resident_user_id is not None:
        return qs.filter(_home_q(scope.resident_user_id)).distinct()
    return qs.filter(_staff_q(scope))


def parcel_get(*, scope: Scope, parcel_id: int) -> Parcel | None:
    return parcels_visible(scope=scope).select_related("unit", "estate").filter(pk=parcel_id).first()


def parcels_waiting(*, scope: Scope) -> QuerySet[Parcel]:
    """The shelf: parcels still waiting, the oldest first."""
    return (
        parcels_visible(scope=scope)
        .filter(status=ParcelStatus.WAITING)
        .select_related("unit")
        .order_by("logged_at", "pk")
    )


def units_search(*, scope: Scope, q: str, limit: int = UNIT_SEARCH_LIMIT) -> list[Unit]:
    """Units of the caller's scope whose label holds every word typed ("3栋 1201", "1201"): the parcel form's
    unit search."""
    words = [w for w in (q or "").lower().split() if w][:4]
    if not words:
        return []
    qs = scope.filter_units(Unit.objects.all())
    for word in words:
        qs = qs.filter(search_text__contains=word)
    return list(qs.order_by("estate_id", "building_id", "floor", "number")[:limit])
