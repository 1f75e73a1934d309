"""Club tasks. Each runs in the schema of its company (tenant-schemas-celery); the periodic ones once per
active company (CompanyScheduler)."""

from __future__ import annotations

from backend.celery import app

from .booking import holds_expire as holds_expire_now
from .money import held_bookings_confirm
from .refunds import booking_refunds_sweep


@app.task
def holds_expire() -> int:
    """Every minute, per company: holds not paid in time and waitlist offers not taken free their places."""
    return holds_expire_now()


@app.task
def money_sweep() -> str:
    """Every minute, per company: held bookings paid some other way (prepaid money, an import) are confirmed,
    lines a failed post left out are posted, and cancellations' refunds not yet settled or sent are."""
    confirmed = held_bookings_confirm()
    looked_at = booking_refunds_sweep()
    return f"{confirmed} confirmed, {looked_at} refunds looked at"
