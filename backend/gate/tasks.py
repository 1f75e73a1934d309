"""Gate tasks, each run in its company's schema; the periodic one once a day per active company
(tenants/dispatch.py: at the company's own 09:00)."""

from __future__ import annotations

from backend.celery import app

from .services import parcel_reminders_send


@app.task
def parcel_reminders() -> int:
    """Every morning: homes with parcels uncollected after the company's N days (default 3) are reminded."""
    return parcel_reminders_send()
