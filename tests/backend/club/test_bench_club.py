"""The club benchmarks' code on the small club: the seeded bookings and their counters agree with the naive
per-slot baseline, so the benchmark compares two ways of computing the same grid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.club.availability import availability
from backend.club.models import Booking, SlotCell
from infra.bench import club as bench

from .conftest import SHANGHAI, Club

pytestmark = pytest.mark.django_db


def test_the_seeded_counters_and_the_naive_baseline_give_the_same_grid(world: Club):
    homes = [world.home, world.units[1]]
    seeded = bench.seed_bookings(world.gym, homes, [world.resident, world.neighbour], count=150)
    assert seeded == Booking.objects.filter(facility=world.gym).count() == 150
    assert sum(SlotCell.objects.filter(facility=world.gym).values_list("taken", flat=True)) == 150
    first = timezone.localdate(timezone=SHANGHAI) + dt.timedelta(days=1)
    grid = availability(facility=world.gym, first=first, days_count=7)
    fast = {c.starts_at: c.left for day in grid.days for c in day.cells}
    assert fast == dict(bench.naive_grid(world.gym, first, first + dt.timedelta(days=6)))
    assert sum(2 - left for left in fast.values()) > 0  # the week holds bookings
