"""The slot counters (SlotCell): taking and giving back places with one conditional UPDATE, never a read
followed by a write.

A cell row is created on first use with INSERT … ON CONFLICT DO NOTHING (capacity copied from the facility),
so a cell without a row has nothing taken. Taking locks a booking's cells in starts_at order (two bookings over
overlapping cells then wait for each other instead of deadlocking) and raises each one's `taken` only where
it stays within capacity and no closure blocks the cell; fewer rows updated than cells asked means the place
is gone, and the caller's transaction rolls back whatever was taken. PostgreSQL re-reads a row it waited for,
so of 200 concurrent requests for the last place exactly one gets it; the CHECK constraint
(0 ≤ taken ≤ capacity) holds even against a bug here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _

from tenants.db import connection

from .errors import Full

_ENSURE = """
INSERT INTO club_slotcell (facility_id, starts_at, capacity, taken, blocks)
SELECT %(f)s, s, %(capacity)s, 0, 0 FROM unnest(%(cells)s::timestamptz[]) AS s ORDER BY s
ON CONFLICT (facility_id, starts_at) DO NOTHING
"""
_LOCK = """
SELECT id FROM club_slotcell WHERE facility_id = %(f)s AND starts_at = ANY(%(cells)s) ORDER BY starts_at FOR UPDATE
"""
_TAKE = """
UPDATE club_slotcell SET taken = taken + %(n)s
WHERE facility_id = %(f)s AND starts_at = ANY(%(cells)s) AND blocks = 0 AND taken + %(n)s <= capacity
RETURNING starts_at, capacity - taken
"""
_BLOCKED = "SELECT 1 FROM club_slotcell WHERE facility_id = %(f)s AND starts_at = ANY(%(cells)s) AND blocks > 0"
_RELEASE = """
UPDATE club_slotcell SET taken = taken - %(n)s
WHERE facility_id = %(f)s AND starts_at = ANY(%(cells)s) AND taken >= %(n)s
RETURNING starts_at, capacity - taken
"""
_BLOCK = """
UPDATE club_slotcell SET blocks = blocks + %(d)s
WHERE facility_id = %(f)s AND starts_at = ANY(%(cells)s) AND blocks + %(d)s >= 0
RETURNING starts_at, CASE WHEN blocks > 0 THEN 0 ELSE capacity - taken END
"""


def cells_ensure(*, facility_id: int, capacity: int, cells: Sequence[dt.datetime]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_ENSURE, {"f": facility_id, "capacity": capacity, "cells": sorted(cells)})


def cells_take(
    *, facility_id: int, capacity: int, cells: Sequence[dt.datetime], places: int
) -> list[tuple[dt.datetime, int]]:
    """Take `places` in every cell, or raise Full (a closed cell: Full with a closure message). Returns
    (cell, places left) for the push. Call inside the booking's transaction."""
    ordered = sorted(cells)
    params = {"f": facility_id, "capacity": capacity, "cells": ordered, "n": places}
    with connection.cursor() as cursor:
        cursor.execute(_ENSURE, params)
        if len(ordered) > 1:
            cursor.execute(_LOCK, params)
        cursor.execute(_TAKE, params)
        left = [(row[0], int(row[1])) for row in cursor.fetchall()]
        if len(left) != len(ordered):
            cursor.execute(_BLOCKED, params)
            if cursor.fetchone() is not None:
                raise Full(_("The facility is closed then."))
            raise Full(_("That time is fully booked."))
    return left


def cells_release(*, facility_id: int, cells: Sequence[dt.datetime], places: int) -> list[tuple[dt.datetime, int]]:
    """Give back `places` in the cells (never below zero). Returns (cell, places left)."""
    if not cells:
        return []
    params = {"f": facility_id, "cells": sorted(cells), "n": places}
    with connection.cursor() as cursor:
        if len(cells) > 1:
            cursor.execute(_LOCK, params)  # in starts_at order, as a take locks them
        cursor.execute(_RELEASE, params)
        return [(row[0], int(row[1])) for row in cursor.fetchall()]


def cells_block(
    *, facility_id: int, capacity: int, cells: Sequence[dt.datetime], delta: int
) -> list[tuple[dt.datetime, int]]:
    """Add (delta 1) or remove (delta −1) one block on each cell (a closure, a class session), creating the
    rows first and locking them in order. Returns (cell, places left) as a grid shows them."""
    if not cells:
        return []
    ordered = sorted(cells)
    params = {"f": facility_id, "capacity": capacity, "cells": ordered, "d": delta}
    with connection.cursor() as cursor:
        if delta > 0:
            cursor.execute(_ENSURE, params)
        cursor.execute(_LOCK, params)
        cursor.execute(_BLOCK, params)
        return [(row[0], int(row[1])) for row in cursor.fetchall()]
