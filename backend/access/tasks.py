from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.celery import app

from .models import ApiToken, Invitation


@app.task
def access_housekeeping() -> dict[str, int]:
    """Runs in each company's schema (tenant-aware beat): drop long-dead invitations and expired tokens."""
    cutoff = timezone.now() - dt.timedelta(days=90)
    invitations, _ = Invitation.objects.filter(expires_at__lt=cutoff, accepted_at__isnull=True).delete()
    tokens, _ = ApiToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return {"invitations": invitations, "tokens": tokens}
