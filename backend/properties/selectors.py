"""Reads on the property registry; every one is filtered by the caller's Scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from .masking import mask_phone
from .models import BindingRequest, Building, Estate, ManagementOffice, Occupancy, ParkingSpace, Person, Unit
from .scope import Scope


def office_list(*, scope: Scope) -> QuerySet[ManagementOffice]:
    return ManagementOffice.objects.filter(scope.office_q()).distinct()


def estate_list(*, scope: Scope, office_id: int | None = None) -> QuerySet[Estate]:
    qs = Estate.objects.filter(scope.estate_q()).select_related("office")
    if office_id:
        qs = qs.filter(office_id=office_id)
    return qs


def building_list(*, scope: Scope, estate_id: int | None = None) -> QuerySet[Building]:
    qs = Building.objects.filter(estate__in=estate_list(scope=scope)).select_related("estate")
    if estate_id:
        qs = qs.filter(estate_id=estate_id)
    return qs


@dataclass(frozen=True)
class AreaSelection:
    """Whole areas a row is about (a bill run's offices / estates / buildings, an announcement's targets)."""

    office_ids: frozenset[int] = frozenset()
    estate_ids: frozenset[int] = frozenset()
    building_ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, *, office_ids: Any = (), estate_ids: Any = (), building_ids: Any = ()) -> AreaSelection:
        return cls(frozenset(office_ids), frozenset(estate_ids), frozenset(building_ids))


def areas_in_scope(*, scope: Scope) -> AreaSelection:
    """The areas a member may act on as a whole. A whole office only for someone whose scope names it: a
    member scoped to one of its estates may not bill or address the office's other estates."""
    offices = (
        ManagementOffice.objects.all()
        if scope.all_offices
        else ManagementOffice.objects.filter(pk__in=scope.office_ids)
    )
    estates = Estate.objects.filter(scope.estate_q())
    buildings = Building.objects.filter(estate__in=estates.values("pk"))
    return AreaSelection.of(
        office_ids=offices.values_list("pk", flat=True),
        estate_ids=estates.values_list("pk", flat=True),
        building_ids=buildings.values_list("pk", flat=True),
    )


def areas_outside_scope(*, scope: Scope, selection: AreaSelection) -> set[str]:
    """Which of "office_ids", "estate_ids", "building_ids" name an area outside the scope (or none that exists)."""
    offices = ManagementOffice.objects.filter(pk__in=selection.office_ids)
    if not scope.all_offices:
        offices = offices.filter(pk__in=scope.office_ids)
    estates = Estate.objects.filter(scope.estate_q())
    found = {
        "office_ids": offices.count(),
        "estate_ids": estates.filter(pk__in=selection.estate_ids).count(),
        "building_ids": Building.objects.filter(estate__in=estates, pk__in=selection.building_ids).count(),
    }
    return {name for name, count in found.items() if count != len(getattr(selection, name))}


def areas_within_q(*, scope: Scope, office_field: str | None, estate_field: str, building_field: str) -> Q:
    """Rows whose area arrays name only areas in the scope. Company-wide staff: every row; residents: none.
    What an empty selection means (the whole company) is for the caller to exclude."""
    if scope.all_offices:
        return Q()
    if scope.is_resident:
        return Q(pk__in=[])
    allowed = areas_in_scope(scope=scope)
    q = Q(**{f"{estate_field}__contained_by": sorted(allowed.estate_ids)}) & Q(
        **{f"{building_field}__contained_by": sorted(allowed.building_ids)}
    )
    if office_field is not None:
        q &= Q(**{f"{office_field}__contained_by": sorted(allowed.office_ids)})
    return q


def tree(*, scope: Scope) -> list[dict[str, Any]]:
    """Offices → estates → buildings with unit counts, for the tree browser."""
    units = scope.filter_units(Unit.objects.all())
    counts = dict(units.values("building_id").annotate(n=Count("id")).values_list("building_id", "n"))
    buildings: dict[int, list[dict[str, Any]]] = {}
    for b in building_list(scope=scope).order_by("estate_id", "name"):
        buildings.setdefault(b.estate_id, []).append({"building": b, "units": counts.get(b.pk, 0)})
    estates: dict[int, list[dict[str, Any]]] = {}
    for e in estate_list(scope=scope).order_by("office_id", "name"):
        rows = buildings.get(e.pk, [])
        estates.setdefault(e.office_id, []).append(
            {"estate": e, "buildings": rows, "units": sum(r["units"] for r in rows)}
        )
    return [
        {"office": o, "estates": estates.get(o.pk, []), "units": sum(e["units"] for e in estates.get(o.pk, []))}
        for o in office_list(scope=scope).order_by("name")
    ]


@dataclass(frozen=True)
class UnitFilters:
    office_id: int | None = None
    estate_id: int | None = None
    building_id: int | None = None
    unit_type: str = ""
    status: str = ""
    floor: int | None = None
    q: str = ""


def unit_list(*, scope: Scope, filters: UnitFilters | None = None) -> QuerySet[Unit]:
    f = filters or UnitFilters()
    qs = scope.filter_units(Unit.objects.all())
    if f.office_id:
        qs = qs.filter(office_id=f.office_id)
    if f.estate_id:
        qs = qs.filter(estate_id=f.estate_id)
    if f.building_id:
        qs = qs.filter(building_id=f.building_id)
    if f.unit_type:
        qs = qs.filter(unit_type=f.unit_type)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.floor is not None:
        qs = qs.filter(floor=f.floor)
    if f.q:
        qs = qs.filter(search_text__contains=f.q.strip().lower())
    return qs.order_by("estate_id", "building_id", "floor", "number")


def unit_get(*, scope: Scope, unit_id: int) -> Unit | None:
    return (
        scope.filter_units(Unit.objects.all()).select_related("building", "estate", "office").filter(pk=unit_id).first()
    )


def unit_occupancies(*, unit: Unit, current_only: bool = False) -> QuerySet[Occupancy]:
    qs = Occupancy.objects.filter(unit=unit).select_related("person")
    if current_only:
        qs = qs.filter(end_date__isnull=True)
    return qs


def resident_units(*, user_id: int) -> QuerySet[Unit]:
    """The units a resident is bound to now (current occupancy of their person record)."""
    return (
        Unit.objects.filter(occupancies__person__user_id=user_id, occupancies__end_date__isnull=True)
        .select_related("building", "estate")
        .distinct()
        .order_by("estate_id", "building_id", "number")
    )


def person_list(*, scope: Scope, q: str = "") -> QuerySet[Person]:
    qs = Person.objects.filter(scope.person_q()).distinct()
    if q:
        qs = qs.filter(search_text__contains=q.strip().lower())
    return qs.prefetch_related(
        Prefetch(
            "occupancies",
            queryset=Occupancy.objects.filter(end_date__isnull=True).select_related("unit"),
            to_attr="current_occupancies",
        )
    )


def person_get(*, scope: Scope, person_id: int) -> Person | None:
    return person_list(scope=scope).filter(pk=person_id).first()


def binding_request_list(*, scope: Scope, status: str = "") -> QuerySet[BindingRequest]:
    qs = BindingRequest.objects.filter(unit__in=scope.filter_units(Unit.objects.all())).select_related(
        "unit", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def binding_requests_of(*, user_id: int) -> QuerySet[BindingRequest]:
    return BindingRequest.objects.filter(user_id=user_id).select_related("unit")


def parking_list(*, scope: Scope, estate_id: int | None = None) -> QuerySet[ParkingSpace]:
    qs = ParkingSpace.objects.filter(estate__in=estate_list(scope=scope)).select_related("estate", "unit")
    if estate_id:
        qs = qs.filter(estate_id=estate_id)
    return qs


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "unit" or "person"
    id: int
    title: str
    subtitle: str
    url: str


SEARCH_LIMIT = 20


def registry_search(*, scope: Scope, q: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """One box: unit number, estate/building, a person's name, phone or part of an ID number.

    Three characters or more use a substring match (served by the pg_trgm GIN indexes where the extension is
    installed). Shorter queries match the start of a unit number (b-tree) or anywhere in a name: a Chinese
    given name is often two characters, and names are short enough to scan."""
    term = (q or "").strip().lower()
    if not term:
        return []
    if len(term) >= 3:
        unit_match = Q(search_text__contains=term)
        person_match = Q(search_text__contains=term)
    else:
        unit_match = Q(number__startswith=term)
        person_match = Q(name__contains=term)
    # Only what a hit shows (the box runs on every keystroke): a unit's label and status, a person's name and
    # phone with their current homes' labels.
    units = (
        scope.filter_units(Unit.objects.filter(unit_match)).only("id", "label", "status").order_by("number", "id")
    )[:limit]
    people = (
        Person.objects.filter(scope.person_q())
        .distinct()
        .filter(person_match)
        .only("id", "name", "phone")
        .prefetch_related(
            Prefetch(
                "occupancies",
                queryset=Occupancy.objects.filter(end_date__isnull=True)
                .select_related("unit")
                .only("id", "person_id", "unit__id", "unit__label"),
                to_attr="current_occupancies",
            )
        )
        .order_by("name", "id")[:limit]
    )
    statuses = {value: str(label) for value, label in Unit._meta.get_field("status").choices or ()}
    hits = [SearchHit("unit", u.pk, u.label, statuses.get(u.status, u.status), f"/staff/units/{u.pk}/") for u in units]
    for p in people:
        where = "、".join(o.unit.label for o in getattr(p, "current_occupancies", [])[:3])
        hits.append(
            SearchHit("person", p.pk, p.name, f"{mask_phone(p.phone)} {where}".strip(), f"/staff/people/{p.pk}/")
        )
    return hits[: limit * 2]
