"""Group-buy's periodic task, run in each active company (backend/settings/beat.py → tenants/dispatch.py)."""

from __future__ import annotations

from backend.celery import app

from .services import deals_settle_due


@app.task
def groupbuy_deals_settle() -> int:
    """Every minute: deals past their deadline succeed (orders to the merchant) or fail (everyone refunded);
    places of joins not paid in time come back."""
    return deals_settle_due()
