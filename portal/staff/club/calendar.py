"""The day calendar across the facilities of the caller's scope: per facility, its cells of the day with the
places taken and the bookings in each (one query for the day's bookings; two per facility for its grid)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backend.accounts import permissions as perms
from backend.club.availability import availability
from backend.club.models import LIVE_STATUSES
from backend.club.rules import cell_starts, midnight
from backend.club.selectors import booking_list, facility_list
from portal.access import permission_required
from portal.common.scope import scope_of
from portal.resident.club.grid import epoch_ms, level_of, with_rules
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

from .facilities import TEMPLATES


@permission_required(perms.CLUB_CHECKIN)
def day_calendar(request: CompanyRequest) -> HttpResponse:
    now = timezone.now()
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate(now)
    tz = company_time_zone()
    scope = scope_of(request)
    facilities = list(with_rules(facility_list(scope=scope, active_only=True)))
    day_bookings = booking_list(
        scope=scope, starts_from=midnight(day, tz), starts_before=midnight(day + dt.timedelta(days=1), tz)
    ).filter(status__in=LIVE_STATUSES)
    by_cell: dict[tuple[int, int], list[Any]] = {}
    for b in day_bookings:
        for start in cell_starts(b.starts_at, b.ends_at, b.cell_minutes):
            by_cell.setdefault((b.facility_id, epoch_ms(start)), []).append(b)
    rows = []
    for facility in facilities:
        grid = availability(facility=facility, first=day, days_count=1, now=now)
        cells = [
            {"cell": c, "level": level_of(c), "bookings": by_cell.get((facility.pk, epoch_ms(c.starts_at)), [])}
            for c in grid.days[0].cells
        ]
        rows.append({"facility": facility, "cells": cells})
    return render(
        request,
        f"{TEMPLATES}/calendar.html",
        {
            "day": day,
            "rows": rows,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
        },
    )
