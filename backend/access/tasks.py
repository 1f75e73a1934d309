from __future__ import annotations

from django.utils import timezone

from backend.celery import app

from .services import access_expired_remove


@app.task
def access_housekeeping() -> dict[str, int]:
    """Runs in each company's schema (tenant-aware beat): drop long-dead invitations and expired tokens."""
    return access_expired_remove(now=timezone.now())
