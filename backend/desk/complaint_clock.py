"""A complaint's time limits, counted with the repairs' SLA machinery (backend.desk.sla.Calendar: the company's
business hours and holidays, and pauses while waiting on the complainant).

The handbook's limits are in hours and days. An hour is 60 business minutes. A day is one business day: the
company's usual working day in business minutes (the length most of its working weekdays have; 450 with the
default 08:30–12:00 + 13:30–17:30), so "within 2 days" of Friday 10:00 is the same time two working days on,
skipping Sundays and holidays. "The same day" is the close of business of the day it came in (of the next
working day when it came in after hours or on a day off). The resident's own deadline (minor complaints) is
the end of the date they gave.

The escalation clock (to the director / the supervisor) does not pause: forwarding a complaint does not wait on
the complainant. The answer and resolution clocks do."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from .complaint_models import Complaint, ComplaintPause, Severity
from .sla import Calendar

Pauses = list[tuple[dt.datetime, dt.datetime | None]]
HOUR = 60
# severity: (escalate: "day" = the same day, or minutes; answer days; resolve days)
LIMITS: dict[str, tuple[str | int | None, int | None, int]] = {
    Severity.MAJOR: ("day", 2, 10),
    Severity.IMPORTANT: (HOUR, None, 3),
    Severity.MINOR: (None, None, 2),
}
REVISIT_DAYS = 2  # the revisit after the outcome, as for repairs (calendar days)


def day_minutes(calendar: Calendar) -> int:
    """One business day in minutes: the length most working weekdays have (the longest on a tie)."""
    lengths = Counter(sum(end - start for start, end in windows) for windows in calendar.hours.windows.values())
    lengths.pop(0, None)
    if not lengths:
        return 8 * 60
    most = max(lengths.values())
    return max(length for length, n in lengths.items() if n == most)


def close_of_business(calendar: Calendar, start: dt.datetime) -> dt.datetime | None:
    """The end of the last business window of the day `start` falls on, or of the next working day when none
    of that day's windows is still ahead."""
    day = start.astimezone(calendar.hours.tz).date()
    for _ in range(400):
        intervals = calendar.hours.day_intervals(day, calendar.holidays)
        if intervals and intervals[-1][1] > start:
            return intervals[-1][1]
        day += dt.timedelta(days=1)
    return None


def end_of_date(calendar: Calendar, day: dt.date) -> dt.datetime:
    nxt = day + dt.timedelta(days=1)
    return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=calendar.hours.tz)


def targets(complaint: Complaint, calendar: Calendar) -> tuple[int, int, int]:
    """(escalate, answer, resolve) business minutes from the clock's start for the complaint's severity
    (0: no such clock). The same-day and the resident's date are turned into the business minutes up to them."""
    escalate, answer, resolve = LIMITS[complaint.severity]
    day = day_minutes(calendar)
    start = complaint.clock_start
    escalate_minutes = 0
    if escalate == "day":
        close = close_of_business(calendar, start)
        escalate_minutes = max(1, calendar.elapsed(start, close, [])) if close else day
    elif isinstance(escalate, int):
        escalate_minutes = escalate
    resolve_minutes = resolve * day
    if complaint.severity == Severity.MINOR and complaint.resident_deadline is not None:
        resolve_minutes = max(1, calendar.elapsed(start, end_of_date(calendar, complaint.resident_deadline), []))
    return escalate_minutes, (answer or 0) * day, resolve_minutes


def pauses_of(complaint: Complaint) -> Pauses:
    if complaint.pk is None:
        return []
    return list(ComplaintPause.objects.filter(complaint=complaint).values_list("started_at", "ended_at"))


def clocks(complaint: Complaint) -> list[tuple[str, int, bool]]:
    """The clocks still running: (name, target, pauses count), those reached dropped."""
    out = []
    if complaint.escalate_target and complaint.escalated_at is None:
        out.append(("escalate", complaint.escalate_target, False))
    if complaint.answer_target and complaint.answered_at is None:
        out.append(("answer", complaint.answer_target, True))
    if complaint.resolve_target and complaint.resolved_at is None:
        out.append(("resolve", complaint.resolve_target, True))
    return out


def dues_refresh(complaint: Complaint, calendar: Calendar | None = None, *, retarget: bool = False) -> None:
    """Set the targets (when `retarget`: at filing, a new severity, a reopening) and the due instants given
    the pauses; then the next alert instant. The caller saves."""
    calendar = calendar or Calendar()
    if retarget:
        complaint.escalate_target, complaint.answer_target, complaint.resolve_target = targets(complaint, calendar)
    pauses = pauses_of(complaint)
    start = complaint.clock_start
    complaint.escalate_due = calendar.due(start, complaint.escalate_target, []) if complaint.escalate_target else None
    complaint.answer_due = calendar.due(start, complaint.answer_target, pauses) if complaint.answer_target else None
    complaint.resolve_due = calendar.due(start, complaint.resolve_target, pauses) if complaint.resolve_target else None
    complaint.alert_at = next_alert_at(complaint, calendar, pauses)


def next_alert_at(complaint: Complaint, calendar: Calendar, pauses: Pauses) -> dt.datetime | None:
    """The earliest instant a running clock reaches its next alert (the near-breach share, then the limit)."""
    instants = []
    for name, target, pausing in clocks(complaint):
        if f"{name}.breach" in complaint.alerted:
            continue
        near = -(-target * calendar.near_percent // 100)
        minutes = target if f"{name}.near" in complaint.alerted or near >= target else near
        instants.append(calendar.due(complaint.clock_start, minutes, pauses if pausing else []))
    return min((i for i in instants if i is not None), default=None)
