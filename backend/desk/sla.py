"""The company's SLA calendar (business hours from DeskSettings, holidays from the notifications calendar)
and a ticket's due instants, counted with backend.desk.clock."""

from __future__ import annotations

import datetime as dt

from backend.notifications.models import Holiday
from tenants.db import company_time_zone

from .clock import BusinessHours, business_minutes, deadline
from .models import DeskSettings, RevisitRule, Ticket, TicketPause

Pauses = list[tuple[dt.datetime, dt.datetime | None]]
REVISIT_DAYS = {RevisitRule.STANDARD: 2, RevisitRule.SAFETY: 2, RevisitRule.LEAK: 3}


class Calendar:
    """Business hours and holidays, read once (one per request or sweep)."""

    def __init__(self, settings: DeskSettings | None = None) -> None:
        settings = settings or DeskSettings.load()
        self.hours = BusinessHours.from_setting(settings.business_hours, company_time_zone())
        self.holidays = frozenset(Holiday.objects.values_list("date", flat=True))
        self.near_percent = settings.near_breach_percent

    def elapsed(self, start: dt.datetime, end: dt.datetime, pauses: Pauses) -> int:
        return business_minutes(start, end, hours=self.hours, holidays=self.holidays, pauses=pauses)

    def due(self, start: dt.datetime, minutes: int, pauses: Pauses) -> dt.datetime | None:
        return deadline(start, minutes, hours=self.hours, holidays=self.holidays, pauses=pauses)


def pauses_of(ticket: Ticket) -> list[tuple[dt.datetime, dt.datetime | None]]:
    return list(TicketPause.objects.filter(ticket=ticket).values_list("started_at", "ended_at"))


def dues_refresh(ticket: Ticket, calendar: Calendar | None = None) -> None:
    """Set response_due (until accepted) and resolution_due (until finished) from the targets and pauses.
    Null while an open pause stops the clock. The caller saves."""
    calendar = calendar or Calendar()
    pauses = pauses_of(ticket)
    start = ticket.clock_start
    if ticket.accepted_at is None:
        ticket.response_due = calendar.due(start, ticket.response_target, pauses)
    if ticket.finished_at is None:
        ticket.resolution_due = calendar.due(start, ticket.resolution_target, pauses)
    ticket.alert_at = next_alert_at(ticket, calendar, pauses)


def next_alert_at(ticket: Ticket, calendar: Calendar, pauses: Pauses) -> dt.datetime | None:
    """The earliest instant one of the ticket's clocks reaches its next alert (the near-breach share of its
    target, then the target), counting what the sweep counts; None when none is pending or a pause stops them."""
    instants = []
    clocks = []
    if ticket.accepted_at is None:
        clocks.append(("response", ticket.response_target))
    if ticket.finished_at is None:
        clocks.append(("resolution", ticket.resolution_target))
    for clock, target in clocks:
        if f"{clock}.breach" in ticket.alerted:
            continue
        near = -(-target * calendar.near_percent // 100)  # the sweep warns once elapsed * 100 >= target * share
        minutes = target if f"{clock}.near" in ticket.alerted or near >= target else near
        instants.append(calendar.due(ticket.clock_start, minutes, pauses))
    return min((i for i in instants if i is not None), default=None)


def revisit_due(ticket: Ticket) -> dt.datetime | None:
    """Within 2 days of completion; for a leak, 3 days after the leak test (none until it is recorded)."""
    rule = ticket.category.revisit_rule
    if rule == RevisitRule.LEAK:
        if ticket.leak_tested_at is None:
            return None
        return ticket.leak_tested_at + dt.timedelta(days=REVISIT_DAYS[RevisitRule.LEAK])
    if ticket.finished_at is None:
        return None
    return ticket.finished_at + dt.timedelta(days=REVISIT_DAYS[RevisitRule(rule)])
