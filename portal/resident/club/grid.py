"""The week grid as the pages draw it: per day, per cell, the places left, a fullness level for the colour and
the cell's start as epoch milliseconds (what club-grid.js matches the socket's `starts_at` against)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from backend.club.availability import Grid, GridCell
from backend.club.models import Facility, FacilityPhoto, OpeningHours


@dataclass(frozen=True)
class CellView:
    cell: GridCell
    ms: int
    level: str  # free / some / most / full / off

    @property
    def bookable(self) -> bool:
        return self.cell.state == "open"


def level_of(cell: GridCell) -> str:
    if cell.state in ("past", "closed", "not_yet", "too_soon"):
        return "off"
    if cell.left <= 0:
        return "full"
    taken = cell.capacity - cell.left
    if taken * 2 < cell.capacity:
        return "free"
    return "some" if taken * 4 < cell.capacity * 3 else "most"


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def grid_days(grid: Grid) -> list[dict[str, Any]]:
    return [
        {"date": day.date, "cells": [CellView(c, epoch_ms(c.starts_at), level_of(c)) for c in day.cells]}
        for day in grid.days
    ]


def with_rules(qs: QuerySet[Facility]) -> QuerySet[Facility]:
    """Facilities with their opening hours and photos in two more queries, whatever their number."""
    return qs.prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens")),
        Prefetch("photos", queryset=FacilityPhoto.objects.order_by("position", "id")),
    )


def length_choices(facility: Facility) -> list[tuple[str, str]]:
    """Free-length facilities: the lengths a booking may have (minimum to maximum by the step)."""
    out = []
    for minutes in range(facility.min_minutes, facility.max_minutes + 1, facility.step_minutes):
        hours, rest = divmod(minutes, 60)
        label = f"{hours}:{rest:02d}"
        out.append((str(minutes), label))
    return out


WEEKDAYS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_by_day(hours: list[OpeningHours]) -> list[tuple[Any, str]]:
    """(weekday label, "06:00–12:00, 14:00–22:00") for each weekday, "" when closed all day."""
    ranges: dict[int, list[str]] = {}
    for h in hours:
        ranges.setdefault(h.weekday, []).append(f"{hhmm(h.opens)}–{hhmm(h.closes)}")
    return [(WEEKDAYS[d], ", ".join(ranges.get(d, []))) for d in range(7)]
