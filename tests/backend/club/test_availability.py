"""The availability grid: places left per cell with its state, for a day and a week, from the same constant
number of queries however many bookings and cells there are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.club import booking as engine
from backend.club import services as club
from backend.club.availability import availability, week_start
from backend.club.closures import closure_create
from backend.club.models import Facility

from .conftest import NOW, Club, at

pytestmark = pytest.mark.django_db
# Opening hours, closures, counters: a facility loaded with its hours prefetched saves the first.
GRID_QUERIES = 3


def cell(grid, start: dt.datetime):
    return next(c for d in grid.days for c in d.cells if c.starts_at == start)


def book(world: Club, start: dt.datetime, party: int = 1, **kw):
    return engine.booking_create(
        facility=world.gym,
        user=kw.get("user", world.resident),
        unit=kw.get("unit", world.home),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        party_size=party,
        now=NOW,
    )


def test_a_day_has_a_cell_per_slot_of_its_opening_ranges_with_the_break_left_out(world):
    grid = availability(facility=world.gym, first=at(1, "00:00").date(), now=NOW)
    starts = [c.starts_at.astimezone(at(0, "00:00").tzinfo).strftime("%H:%M") for c in grid.days[0].cells]
    assert starts == [f"{h:02d}:00" for h in [*range(6, 12), *range(14, 22)]]
    assert {c.state for c in grid.days[0].cells} == {"open"} and {c.left for c in grid.days[0].cells} == {2}


def test_the_grid_shows_places_left_full_closed_past_and_beyond_the_window(world):
    book(world, at(1, "10:00"))
    book(world, at(1, "11:00"), party=2)
    closure_create(
        facility=world.gym,
        by=None,
        kind="one_off",
        reason="检修",
        starts_at=at(1, "15:00"),
        ends_at=at(1, "16:00"),
        now=NOW,
    )
    grid = availability(facility=world.gym, first=NOW.date(), days_count=1, now=NOW)
    assert cell(grid, at(0, "07:00")).state == "past" and cell(grid, at(0, "09:00")).state == "open"
    week = availability(facility=world.gym, first=at(1, "00:00").date(), days_count=7, now=NOW)
    assert (cell(week, at(1, "10:00")).left, cell(week, at(1, "10:00")).state) == (1, "open")
    assert (cell(week, at(1, "11:00")).left, cell(week, at(1, "11:00")).state) == (0, "full")
    closed = cell(week, at(1, "15:00"))
    assert (closed.left, closed.state, closed.closed_reason) == (0, "closed", "检修")
    beyond = availability(facility=world.gym, first=at(15, "00:00").date(), now=NOW)
    assert {c.state for c in beyond.days[0].cells} == {"not_yet"}
    assert [d.date for d in week.days] == [at(n, "00:00").date() for n in range(1, 8)]


def test_cells_inside_the_minimum_notice_are_too_soon(world):
    club.facility_update(facility=world.gym, min_notice_minutes=90, now=NOW)
    world.gym.refresh_from_db()
    grid = availability(facility=world.gym, first=NOW.date(), now=NOW)
    assert cell(grid, at(0, "09:00")).state == "too_soon" and cell(grid, at(0, "10:00")).state == "open"


def test_a_day_and_a_week_cost_the_same_few_queries_however_many_bookings(world, django_assert_max_num_queries):
    for day in range(1, 8):
        for hour in (6, 7, 8, 14, 15):
            book(world, at(day, f"{hour:02d}:00"), party=2)
    gym = Facility.objects.prefetch_related("opening_hours").get(pk=world.gym.pk)
    with CaptureQueriesContext(connection) as day_queries:
        day = availability(facility=gym, first=at(1, "00:00").date(), days_count=1, now=NOW)
    with CaptureQueriesContext(connection) as week_queries:
        week = availability(facility=gym, first=week_start(at(1, "00:00").date()), days_count=7, now=NOW)
    assert len(day_queries) == len(week_queries) <= GRID_QUERIES - 1  # hours prefetched
    with django_assert_max_num_queries(GRID_QUERIES):
        availability(facility=world.gym, first=at(1, "00:00").date(), days_count=1, now=NOW)
    with django_assert_max_num_queries(GRID_QUERIES):
        availability(facility=world.gym, first=at(1, "00:00").date(), days_count=7, now=NOW)
    assert sum(c.state == "full" for c in day.days[0].cells) == 5
    assert sum(c.state == "full" for d in week.days for c in d.cells) == 5 * 6  # the week starts today (Monday)
