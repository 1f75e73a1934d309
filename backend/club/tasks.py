"""Club tasks. Each runs in the schema of its company (tenant-schemas-celery); the periodic ones once per
active company (CompanyScheduler)."""

from __future__ import annotations

from backend.celery import app

from .booking import holds_expire as holds_expire_now
from .classes_holds import class_holds_expire as class_holds_expire_now


@app.task
def holds_expire() -> int:
    """Every minute, per company: holds not paid in time and waitlist offers not taken free their places."""
    return holds_expire_now()


@app.task
def class_holds_expire() -> int:
    """Every minute, per company: unpaid enrolments of paid classes past their hold free their seats."""
    return class_holds_expire_now()
