"""SLA clocks in business time: pure functions, no database.

A clock counts the minutes between two instants that fall inside the company's business hours (windows per
weekday, in the company's time zone), on days that are not holidays, and outside the pauses (a ticket waiting
on the resident). `deadline` answers the other way round: the instant a target of business minutes is
reached, given the pauses known so far (an open pause stops the clock: no deadline while it lasts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[dt.datetime, dt.datetime]
# How far ahead `deadline` looks for business time before giving up (a calendar with no working days).
HORIZON_DAYS = 800


@dataclass(frozen=True)
class BusinessHours:
    """Opening windows per weekday (0 = Monday): minutes after midnight, [start, end)."""

    windows: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")

    @classmethod
    def from_setting(cls, rows: Iterable[Sequence[int]], tz: ZoneInfo) -> BusinessHours:
        """From [[weekday, start_minute, end_minute], ...] (the company's setting)."""
        per_day: dict[int, list[tuple[int, int]]] = {}
        for weekday, start, end in rows:
            if not (0 <= weekday <= 6 and 0 <= start < end <= 24 * 60):
                raise ValueError(f"bad business-hours window {weekday} {start} {end}")
            per_day.setdefault(int(weekday), []).append((int(start), int(end)))
        return cls({d: tuple(sorted(w)) for d, w in per_day.items()}, tz)

    def day_intervals(self, day: dt.date, holidays: Collection[dt.date]) -> list[Interval]:
        if day in holidays:
            return []
        out = []
        for start, end in self.windows.get(day.weekday(), ()):
            base = dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)
            out.append((base + dt.timedelta(minutes=start), base + dt.timedelta(minutes=end)))
        return out


def _subtract(piece: Interval, pauses: Sequence[Interval]) -> list[Interval]:
    """`piece` less every pause (pauses sorted by start)."""
    out, (start, end) = [], piece
    for p_start, p_end in pauses:
        if p_end <= start or p_start >= end:
            continue
        if p_start > start:
            out.append((start, p_start))
        start = max(start, p_end)
        if start >= end:
            return out
    if start < end:
        out.append((start, end))
    return out


def _pauses(pauses: Iterable[tuple[dt.datetime, dt.datetime | None]], far: dt.datetime) -> list[Interval]:
    return sorted((s, e if e is not None else far) for s, e in pauses)


def business_minutes(
    start: dt.datetime,
    end: dt.datetime,
    *,
    hours: BusinessHours,
    holidays: Collection[dt.date] = (),
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
) -> int:
    """Whole business minutes elapsed from `start` to `end` (0 when end <= start). A pause with no end lasts
    until `end`."""
    if end <= start:
        return 0
    paused = _pauses(pauses, end)
    seconds = 0.0
    day = start.astimezone(hours.tz).date()
    last = end.astimezone(hours.tz).date()
    while day <= last:
        for w_start, w_end in hours.day_intervals(day, holidays):
            piece = (max(w_start, start), min(w_end, end))
            if piece[0] >= piece[1]:
                continue
            for a, b in _subtract(piece, paused):
                seconds += (b - a).total_seconds()
        day += dt.timedelta(days=1)
    return int(seconds // 60)


def deadline(
    start: dt.datetime,
    minutes: int,
    *,
    hours: BusinessHours,
    holidays: Collection[dt.date] = (),
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
) -> dt.datetime | None:
    """The instant `minutes` business minutes after `start`, skipping the pauses. None when an open pause
    (end None) stops the clock before the target is reached, or there is no business time within the horizon."""
    left = dt.timedelta(minutes=minutes)
    day = start.astimezone(hours.tz).date()
    far = start + dt.timedelta(days=HORIZON_DAYS + 1)
    pause_list = list(pauses)
    open_from = min((s for s, e in pause_list if e is None), default=None)
    paused = _pauses(pause_list, far)
    if left <= dt.timedelta(0):
        return start
    for _ in range(HORIZON_DAYS):
        for w_start, w_end in hours.day_intervals(day, holidays):
            piece = (max(w_start, start), w_end)
            if piece[0] >= piece[1]:
                continue
            for a, b in _subtract(piece, paused):
                if open_from is not None and a >= open_from:
                    return None
                if b - a >= left:
                    return a + left
                left -= b - a
        day += dt.timedelta(days=1)
    return None
