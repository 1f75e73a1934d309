"""Daily and hourly billing tasks for late fees and the reminder ladder. Beat runs each once per active
company (backend.celery_beat.CompanyScheduler), in that company's schema; "today" and "now" are taken in
the company's time zone."""

from __future__ import annotations

from typing import Any

from backend.celery import app

from . import dunning
from .latefees import late_fees_accrue


@app.task
def late_fees_accrue_daily() -> dict[str, Any]:
    """01:30 every day: accrue late fees up to today (idempotent per day; catches up missed days)."""
    result = late_fees_accrue(dunning.company_today())
    return {
        "day": result.day.isoformat(),
        "units": len(result.units),
        "lines_created": result.lines_created,
        "entries": result.entries,
        "amount": result.amount,
    }


@app.task
def reminders_send() -> int:
    """Hourly: payment reminders by the company's ladder (sends only inside its allowed hours)."""
    return dunning.reminders_send()


@app.task
def promise_reminders_send() -> int:
    """09:00 daily: remind staff of payments promised for tomorrow."""
    return dunning.promise_reminders_send(dunning.company_today())
