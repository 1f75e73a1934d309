"""The platform's own periodic jobs (public schema, once each; not fanned out to companies)."""

from __future__ import annotations

from backend.celery import app


@app.task(ignore_result=True)
def companies_delete_due() -> int:
    """Daily (public schema): delete the companies whose grace period is over (deletion.py)."""
    from .deletion import companies_delete_due as delete_due

    return len(delete_due())


@app.task(ignore_result=True)
def support_access_expire() -> int:
    """Every minute (public schema): end the operators' support access that has run out (support.py)."""
    from .support import support_access_expire as expire

    return expire()
