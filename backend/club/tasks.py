"""Club tasks. Each runs in the schema of its company (tenant-schemas-celery); the periodic ones once per
active company (CompanyScheduler)."""

from __future__ import annotations

from backend.celery import app

from .booking import holds_expire as holds_expire_now
from .checkin import no_shows_mark as no_shows_mark_now
from .classes_holds import class_holds_expire as class_holds_expire_now
from .money import held_bookings_confirm
from .refunds import booking_refunds_sweep
from .reminders import reminders_send as reminders_send_now
from .series import series_extend as series_extend_now
from .waitlist import waitlist_sweep as waitlist_sweep_now


@app.task
def holds_expire() -> int:
    """Every minute, per company: holds not paid in time and waitlist offers not taken free their places."""
    return holds_expire_now()


@app.task
def waitlist_sweep() -> int:
    """Every minute: waitlist entries whose time came expire; free places with a line are offered."""
    return waitlist_sweep_now()


@app.task
def no_shows_mark() -> int:
    """Every minute: confirmed bookings not checked in within the grace become no-shows."""
    return no_shows_mark_now()


@app.task
def reminders_send() -> int:
    """Every five minutes: the reminder an hour before each resident's booking."""
    return reminders_send_now()


@app.task
def series_extend() -> int:
    """Hourly (the horizon moves at each company's midnight; idempotent): weekly series book the new week."""
    return series_extend_now()


@app.task
def money_sweep() -> str:
    """Every minute, per company: held bookings paid some other way (prepaid money, an import) are confirmed,
    lines a failed post left out are posted, and cancellations' refunds not yet settled or sent are."""
    confirmed = held_bookings_confirm()
    looked_at = booking_refunds_sweep()
    return f"{confirmed} confirmed, {looked_at} refunds looked at"


@app.task
def class_holds_expire() -> int:
    """Every minute, per company: unpaid enrolments of paid classes past their hold free their seats."""
    return class_holds_expire_now()
