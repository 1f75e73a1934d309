from __future__ import annotations

from django.utils.translation import gettext as _

from backend.celery import app

from . import tasks_dunning  # noqa: F401  (register its tasks with the worker)
from .models import BillRun
from .runs import BILL_RUN_EXECUTE_TASK, bill_run_execute, bill_run_fail, scheduled_bill_run


@app.task(name=BILL_RUN_EXECUTE_TASK, acks_late=True)
def bill_run_execute_task(run_id: int) -> str:
    """Post a bill run in the company's schema. A redelivered message after the run posted does nothing; one
    that arrives mid-way (worker crash) runs again and bills only what is missing."""
    status = BillRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
    if status in (None, BillRun.Status.POSTED, BillRun.Status.PREVIEW):
        return str(status)
    try:
        return bill_run_execute(run_id).status
    except Exception:
        bill_run_fail(run_id, _("The run stopped on an internal error. Start it again: it bills only what is missing."))
        raise


@app.task
def bill_run_scheduled() -> str:
    run = scheduled_bill_run()
    return run.status if run else "not today"
