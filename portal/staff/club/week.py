"""A facility's week calendar: seven day columns by the rows of its cells' times, each cell with the places
taken, its closure (or class) and the live bookings in it (linked); the week's closures under it; previous and
next week. A fixed number of queries however many bookings: the grid's (availability: hours, closures,
counters), the closures and one for the week's bookings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts import permissions as perms
from backend.club.availability import ClosureRow, availability, closures_between, week_start
from backend.club.models import LIVE_STATUSES, Booking
from backend.club.rules import cell_starts, midnight
from backend.club.selectors import booking_list
from portal.access import permission_required
from portal.common.scope import scope_of
from portal.resident.club.grid import WEEKDAYS, hhmm, level_of
from tenants.db import company_time_zone
from tenants.http import CompanyRequest

from .facilities import TEMPLATES, staff_facility_or_404


def _monday(request: CompanyRequest, now: dt.datetime) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate(now)
    return week_start(day)


def _closure_text(closure: ClosureRow, tz: Any) -> dict[str, str]:
    if closure.starts_at is not None and closure.ends_at is not None:
        when = f"{closure.starts_at.astimezone(tz):%Y-%m-%d %H:%M} – {closure.ends_at.astimezone(tz):%Y-%m-%d %H:%M}"
    else:
        day = WEEKDAYS[closure.weekday or 0]
        when = _("Every %(day)s %(start)s–%(end)s") % {
            "day": day,
            "start": hhmm(closure.start_minute or 0),
            "end": hhmm(closure.end_minute or 0),
        }
    return {"when": when, "reason": closure.reason}


@permission_required(perms.CLUB_CHECKIN)
def week_calendar(request: CompanyRequest, pk: int) -> HttpResponse:
    facility = staff_facility_or_404(request, pk)
    now = timezone.now()
    tz = company_time_zone()
    monday = _monday(request, now)
    sunday = monday + dt.timedelta(days=6)
    grid = availability(facility=facility, first=monday, days_count=7, now=now)
    week_bookings = booking_list(
        scope=scope_of(request),
        facility_id=facility.pk,
        starts_from=midnight(monday, tz),
        starts_before=midnight(sunday + dt.timedelta(days=1), tz),
    ).filter(status__in=LIVE_STATUSES)
    by_cell: dict[dt.datetime, list[Booking]] = {}
    for b in week_bookings:
        for start in cell_starts(b.starts_at, b.ends_at, b.cell_minutes):
            by_cell.setdefault(start, []).append(b)
    # Rows: every time of day at which some day of the week has a cell; columns: the seven days.
    columns: list[dict[dt.time, Any]] = []
    times: set[dt.time] = set()
    for day in grid.days:
        column = {}
        for cell in day.cells:
            local = cell.starts_at.astimezone(tz)
            column[local.time()] = {"cell": cell, "level": level_of(cell), "bookings": by_cell.get(cell.starts_at, [])}
        times |= set(column)
        columns.append(column)
    rows = [{"time": t, "cells": [column.get(t) for column in columns]} for t in sorted(times)]
    return render(
        request,
        f"{TEMPLATES}/week.html",
        {
            "facility": facility,
            "monday": monday,
            "days": [d.date for d in grid.days],
            "rows": rows,
            "closures": [_closure_text(c, tz) for c in closures_between(facility.pk, monday, sunday, tz)],
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "today": timezone.localdate(now),
        },
    )
