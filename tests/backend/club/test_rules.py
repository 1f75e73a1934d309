"""rules.py without a database: cells from opening hours, closures (one-off and weekly), what a booking takes,
the periods it counts in and its price."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.club.rules import (
    Rules,
    booking_cells,
    booking_price,
    closure_spans,
    day_cells,
    period_starts,
    window_check,
)
from backend.errors import ApplicationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2030, 3, 5)  # a Tuesday


def rules(cell: int = 60, mode: str = "slot", hours=((360, 720), (840, 1320)), tz=SHANGHAI, **kw) -> Rules:
    return Rules(
        cell_minutes=cell,
        mode=mode,
        min_minutes=kw.get("min_minutes", 60),
        max_minutes=kw.get("max_minutes", 120),
        horizon_days=kw.get("horizon_days", 14),
        min_notice_minutes=kw.get("min_notice_minutes", 0),
        tz=tz,
        hours={d: tuple(hours) for d in range(7)},
    )


def local(day: dt.date, hhmm: str, tz=SHANGHAI) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=tz)


def test_cells_start_at_each_opening_range_and_stop_before_its_end():
    cells = day_cells(rules(cell=90, hours=((390, 720),)), DAY)  # 06:30–12:00, 90-minute slots
    assert [c.starts_at.astimezone(SHANGHAI).strftime("%H:%M") for c in cells] == ["06:30", "08:00", "09:30"]


def test_one_off_and_weekly_closures_mark_the_cells_they_touch():
    one_off = SimpleNamespace(kind="one_off", starts_at=local(DAY, "10:30"), ends_at=local(DAY, "11:00"), reason="x")
    weekly = SimpleNamespace(
        kind="weekly",
        weekday=DAY.weekday(),
        start_minute=900,
        end_minute=960,
        first_date=DAY,
        last_date=None,
        reason="y",
    )
    spans = closure_spans([one_off, weekly], DAY, DAY, SHANGHAI)
    closed = {
        c.starts_at.astimezone(SHANGHAI).strftime("%H:%M"): c.closed for c in day_cells(rules(), DAY, spans) if c.closed
    }
    assert closed == {"10:00": "x", "15:00": "y"}
    assert closure_spans([weekly], DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=6), SHANGHAI) == []


def test_a_booking_takes_its_cells_in_order():
    r = rules(cell=30, mode="free")
    cells = booking_cells(r, local(DAY, "10:00"), local(DAY, "11:30"))
    assert [c.astimezone(SHANGHAI).strftime("%H:%M") for c in cells] == ["10:00", "10:30", "11:00"]


def test_cells_follow_wall_time_across_a_daylight_saving_change():
    new_york = ZoneInfo("America/New_York")
    spring = dt.date(2030, 3, 10)  # clocks go forward at 02:00
    cells = day_cells(rules(hours=((0, 300),), tz=new_york), spring)
    assert [c.starts_at.astimezone(new_york).hour for c in cells] == [0, 1, 3, 4]  # 02:00 does not exist
    assert all(c.ends_at > c.starts_at for c in cells)


@given(start=st.integers(min_value=0, max_value=47), length=st.integers(min_value=1, max_value=8))
def test_a_booking_fits_exactly_when_its_cells_are_cells_of_the_day(start: int, length: int):
    r = rules(cell=30, mode="free", hours=((360, 720), (840, 1320)), min_minutes=30, max_minutes=240)
    starts_at = local(DAY, "00:00") + dt.timedelta(minutes=30 * start)
    ends_at = starts_at + dt.timedelta(minutes=30 * length)
    day = {c.starts_at for c in day_cells(r, DAY)}
    wanted = {starts_at + dt.timedelta(minutes=30 * k) for k in range(length)}
    inside_one_range = any(
        local(DAY, "00:00") + dt.timedelta(minutes=o) <= starts_at
        and ends_at <= local(DAY, "00:00") + dt.timedelta(minutes=c)
        for o, c in r.hours[DAY.weekday()]
    )
    if inside_one_range:
        assert set(booking_cells(r, starts_at, ends_at)) == wanted <= day
    else:
        with pytest.raises(ApplicationError):
            booking_cells(r, starts_at, ends_at)


def test_a_naive_or_overnight_time_is_refused():
    with pytest.raises(ApplicationError):
        booking_cells(rules(), dt.datetime(2030, 3, 5, 10), dt.datetime(2030, 3, 5, 11))
    with pytest.raises(ApplicationError):
        booking_cells(rules(hours=((0, 1440),)), local(DAY, "23:00"), local(DAY, "23:00") + dt.timedelta(hours=2))


def test_the_window_counts_days_in_the_company_zone():
    now = local(DAY, "23:30")
    window_check(rules(horizon_days=1), local(DAY + dt.timedelta(days=1), "23:00"), now)
    with pytest.raises(ApplicationError):
        window_check(rules(horizon_days=1), local(DAY + dt.timedelta(days=2), "00:30"), now)


def test_periods_are_the_day_the_iso_week_from_monday_and_the_month():
    assert period_starts(dt.date(2030, 3, 10)) == {
        "day": dt.date(2030, 3, 10),
        "week": dt.date(2030, 3, 4),
        "month": dt.date(2030, 3, 1),
    }


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("free", 0), ("per_slot", 3 * 1500), ("per_hour", 2250), ("per_person", 4 * 1500)],
)
def test_the_price_of_90_minutes_in_30_minute_cells_for_four(mode, expected):
    assert booking_price(mode=mode, unit_price=1500, cells=3, minutes=90, party_size=4) == expected


def test_a_per_hour_price_rounds_half_up_to_the_fen():
    assert booking_price(mode="per_hour", unit_price=1, cells=1, minutes=30, party_size=1) == 1  # 0.5 fen
    assert booking_price(mode="per_hour", unit_price=1, cells=1, minutes=20, party_size=1) == 0
