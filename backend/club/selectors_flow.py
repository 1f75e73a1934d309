"""Scoped reads of the waitlist, weekly series and no-shows: staff see those of the facilities in their scope,
residents their own (their waitlist entries; the series they set up or of a home they live in). Lookups by
id go through these, so another home's, office's or company's entry or series is simply not found."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from backend.properties.models import Unit
from backend.properties.scope import Scope

from .models import Booking, BookingSeries, BookingStatus, BookingSuspension, Facility, WaitlistEntry
from .selectors import booking_list, staff_facility_q


def _staff_facilities(scope: Scope) -> Any:
    return Facility.objects.filter(staff_facility_q(scope)).values("pk")


def waitlist_list(
    *, scope: Scope, facility_id: int | None = None, status: str | None = None
) -> QuerySet[WaitlistEntry]:
    qs = WaitlistEntry.objects.select_related("facility", "unit")
    if scope.resident_user_id is not None:
        qs = qs.filter(user_id=scope.resident_user_id)
    else:
        qs = qs.filter(facility__in=_staff_facilities(scope))
    if facility_id is not None:
        qs = qs.filter(facility_id=facility_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("starts_at", "created_at", "id")


def waitlist_get(*, scope: Scope, entry_id: int) -> WaitlistEntry | None:
    return waitlist_list(scope=scope).filter(pk=entry_id).first()


def waitlist_positions(entries: list[WaitlistEntry]) -> dict[int, int]:
    """Each waiting entry's place in its line (1 = next), from one query over the lines of these entries."""
    waiting = [e for e in entries if e.status == WaitlistEntry.Status.WAITING]
    if not waiting:
        return {}
    q = Q(pk__in=[])
    for facility_id, starts_at in {(e.facility_id, e.starts_at) for e in waiting}:
        q |= Q(facility_id=facility_id, starts_at=starts_at)
    lines: dict[tuple[int, dt.datetime], list[int]] = {}
    rows = (
        WaitlistEntry.objects.filter(q, status=WaitlistEntry.Status.WAITING)
        .order_by("created_at", "id")
        .values_list("pk", "facility_id", "starts_at")
    )
    for pk, facility_id, starts_at in rows:
        lines.setdefault((facility_id, starts_at), []).append(pk)
    positions = {}
    for e in waiting:
        line = lines.get((e.facility_id, e.starts_at), [])
        if e.pk in line:
            positions[e.pk] = line.index(e.pk) + 1
    return positions


def series_list(*, scope: Scope, facility_id: int | None = None, status: str | None = None) -> QuerySet[BookingSeries]:
    qs = BookingSeries.objects.select_related("facility", "unit")
    if scope.is_resident:
        homes = Unit.objects.filter(scope.unit_q()).values("pk")
        qs = qs.filter(Q(user_id=scope.resident_user_id) | Q(unit__in=homes))
    else:
        qs = qs.filter(facility__in=_staff_facilities(scope))
    if facility_id is not None:
        qs = qs.filter(facility_id=facility_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def series_get(*, scope: Scope, series_id: int) -> BookingSeries | None:
    return series_list(scope=scope).filter(pk=series_id).first()


def no_show_list(
    *, scope: Scope, facility_id: int | None = None, since: dt.datetime | None = None
) -> QuerySet[Booking]:
    """No-shows the caller may see, the latest first."""
    qs = booking_list(scope=scope, facility_id=facility_id, status=BookingStatus.NO_SHOW)
    if since is not None:
        qs = qs.filter(no_show_at__gte=since)
    return qs.order_by("-no_show_at", "-id")


def suspension_list(*, scope: Scope, now: dt.datetime) -> QuerySet[BookingSuspension]:
    """The suspensions in force of the homes the caller may see (staff: their scope's), the soonest over first."""
    homes = Unit.objects.filter(scope.unit_q()).values("pk")
    return (
        BookingSuspension.objects.filter(unit__in=homes, lifted_at__isnull=True, until__gt=now)
        .select_related("unit")
        .order_by("until", "id")
    )
