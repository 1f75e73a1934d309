from __future__ import annotations

from django.utils.translation import gettext as _

from backend.accounts.models import Membership
from backend.audit.context import Actor, acting_as
from backend.celery import app

from .imports import import_job_fail, import_job_run
from .models import ImportJob
from .scope import Scope


@app.task(acks_late=True)
def import_job_execute(job_id: int, membership_id: int) -> str:
    """A large .xlsx import, in the company's schema (tenant-schemas-celery), as the staff member who started it."""
    membership = Membership.objects.select_related("user").get(pk=membership_id)
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job.status  # a redelivered message after the job finished: nothing to do twice
    with acting_as(Actor(user_id=membership.user_id, user_name=str(membership.user), ip=None)):
        try:
            return import_job_run(job_id=job_id, scope=Scope.of(membership)).status
        except Exception:
            # Never leave the importer watching a bar that will not move: fail the job visibly, then raise.
            import_job_fail(job_id=job_id, message=_("The import stopped on an internal error; nothing was saved."))
            raise
