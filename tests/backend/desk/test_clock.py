"""The SLA clock (backend/desk/clock.py): business minutes across a weekend, a holiday and pauses, with the
dates fixed (the week of Monday 2030-09-30; 2030-10-01 is a holiday)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backend.desk.clock import BusinessHours, business_minutes, deadline

SH = ZoneInfo("Asia/Shanghai")
# Mon–Fri 08:30–12:00 and 13:30–17:30 (7.5 h a day), Saturday 09:00–12:00.
HOURS = BusinessHours.from_setting(
    [(d, 510, 720) for d in range(5)] + [(d, 810, 1050) for d in range(5)] + [(5, 540, 720)], SH
)
HOLIDAYS = {dt.date(2030, 10, 1)}  # a Tuesday


def at(day: int, hhmm: str) -> dt.datetime:
    """2030-09-`day` (or October when day > 30, counting on) at hh:mm in Shanghai."""
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(2030, 9, 30, h, m, tzinfo=SH) + dt.timedelta(days=day - 30)


def test_within_one_window() -> None:
    assert business_minutes(at(30, "09:00"), at(30, "10:15"), hours=HOURS) == 75


def test_lunch_break_and_evening_do_not_count() -> None:
    assert business_minutes(at(30, "11:00"), at(30, "14:00"), hours=HOURS) == 60 + 30
    assert business_minutes(at(30, "17:00"), at(31, "09:00"), hours=HOURS) == 30 + 30  # Tue 1 Oct, no holiday


def test_holiday_counts_nothing() -> None:
    # Monday 17:00 → Wednesday 09:00 with Tuesday a holiday: 30 min Monday + 30 min Wednesday.
    assert business_minutes(at(30, "17:00"), at(32, "09:00"), hours=HOURS, holidays=HOLIDAYS) == 60
    assert business_minutes(at(31, "08:00"), at(31, "18:00"), hours=HOURS, holidays=HOLIDAYS) == 0


def test_across_the_weekend() -> None:
    # Friday 4 Oct 17:00 → Monday 7 Oct 09:00: 30 Fri + 180 Sat + 0 Sun + 30 Mon.
    assert business_minutes(at(34, "17:00"), at(37, "09:00"), hours=HOURS) == 240
    # Sunday alone: nothing.
    assert business_minutes(at(36, "00:00"), at(37, "00:00"), hours=HOURS) == 0


def test_pauses_are_taken_out_and_an_open_pause_runs_to_the_end() -> None:
    pauses = [(at(30, "09:30"), at(30, "10:00"))]
    assert business_minutes(at(30, "09:00"), at(30, "11:00"), hours=HOURS, pauses=pauses) == 90
    # A pause over the lunch break takes only its business part.
    pauses = [(at(30, "11:30"), at(30, "14:00"))]
    assert business_minutes(at(30, "11:00"), at(30, "15:00"), hours=HOURS, pauses=pauses) == 30 + 60
    # Still waiting on the resident: the clock stopped at 10:00.
    pauses = [(at(30, "10:00"), None)]
    assert business_minutes(at(30, "09:00"), at(32, "09:00"), hours=HOURS, pauses=pauses) == 60


def test_reversed_or_empty_range_is_zero() -> None:
    assert business_minutes(at(30, "10:00"), at(30, "09:00"), hours=HOURS) == 0
    assert business_minutes(at(30, "10:00"), at(30, "10:00"), hours=HOURS) == 0


def test_deadline_skips_the_weekend_and_the_holiday() -> None:
    # Friday 4 Oct 16:30 + 4 business hours: 60 Fri, 180 Sat → Saturday 12:00.
    assert deadline(at(34, "16:30"), 240, hours=HOURS) == at(35, "12:00")
    # One more minute rolls over Sunday to Monday 08:31.
    assert deadline(at(34, "16:30"), 241, hours=HOURS) == at(37, "08:31")
    # Monday 30 Sep 17:00 + 60: 30 Monday, Tuesday is a holiday, 30 Wednesday → 09:00 Wednesday.
    assert deadline(at(30, "17:00"), 60, hours=HOURS, holidays=HOLIDAYS) == at(32, "09:00")
    # Outside hours, the clock starts at the next opening.
    assert deadline(at(30, "07:00"), 30, hours=HOURS) == at(30, "09:00")


def test_deadline_with_pauses() -> None:
    pauses = [(at(30, "09:00"), at(30, "10:00"))]
    assert deadline(at(30, "08:30"), 60, hours=HOURS, pauses=pauses) == at(30, "10:30")
    # An open pause: no deadline until the resident answers.
    assert deadline(at(30, "08:30"), 60, hours=HOURS, pauses=[(at(30, "09:00"), None)]) is None
    # ... but a target reached before the pause began still has its instant.
    assert deadline(at(30, "08:30"), 20, hours=HOURS, pauses=[(at(30, "09:00"), None)]) == at(30, "08:50")


@pytest.mark.parametrize("minutes", [1, 59, 450, 451, 1000, 5000])
def test_deadline_and_elapsed_agree(minutes: int) -> None:
    start = at(30, "10:07")
    end = deadline(start, minutes, hours=HOURS, holidays=HOLIDAYS)
    assert end is not None
    assert business_minutes(start, end, hours=HOURS, holidays=HOLIDAYS) == minutes


def test_no_business_hours_gives_no_deadline() -> None:
    assert deadline(at(30, "09:00"), 10, hours=BusinessHours({}, SH)) is None


def test_bad_window_is_refused() -> None:
    with pytest.raises(ValueError):
        BusinessHours.from_setting([(0, 600, 500)], SH)
