"""Settlement tasks, each in its company's schema (tenants/dispatch.py sends them to every active company)."""

from __future__ import annotations

from backend.celery import app

from .payouts import payouts_sending_retry
from .statements import statements_build_month


@app.task
def settlement_statements_build() -> int:
    """Daily at 03:00 in the company's time zone: last month's statements, for every merchant with entries not
    yet on a statement (after catching the ledger up). Issued once: later runs of the month add only merchants
    whose entries came late."""
    return len(statements_build_month())


@app.task
def settlement_payouts_retry() -> int:
    """Every 10 minutes: Stripe payouts left sending (Stripe unreachable) are sent again with the same key."""
    return payouts_sending_retry()
