"""Reading renovation applications: what a caller may see (staff: their data scope, by the application's
office or estate; residents: the applications of the homes they live in and those they made), the staff's
queue, and finding a permit by its code for the gate."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from backend.properties.scope import Scope

from .models import OPEN_STATUSES, Application, Decision, Status

QUEUES = ("review", "payment", "works", "deposit")


def applications_visible(*, scope: Scope) -> QuerySet[Application]:
    qs = Application.objects.all()
    if scope.all_offices:
        return qs
    if scope.resident_user_id is not None:
        return qs.filter(
            Q(applicant_id=scope.resident_user_id)
            | Q(
                unit__occupancies__person__user_id=scope.resident_user_id,
                unit__occupancies__end_date__isnull=True,
            )
        ).distinct()
    return qs.filter(Q(office_id__in=scope.office_ids) | Q(estate_id__in=scope.estate_ids))


def application_get(*, scope: Scope, application_id: int) -> Application | None:
    return (
        applications_visible(scope=scope)
        .select_related("unit", "estate", "deposit_charge", "debris_charge")
        .filter(pk=application_id)
        .first()
    )


def queue(*, scope: Scope, name: str = "") -> QuerySet[Application]:
    """The staff's queue: `review` (waiting for an approval), `payment` (approved, deposit or fee unpaid),
    `works` (permit issued), `deposit` (completion passed, deposit to settle); none: every open one. Oldest
    first: who waits longest is served first."""
    qs = applications_visible(scope=scope).filter(status__in=OPEN_STATUSES)
    if name == "review":
        qs = qs.filter(status=Status.SUBMITTED)
    elif name == "payment":
        qs = qs.filter(status=Status.APPROVED)
    elif name == "works":
        qs = qs.filter(status=Status.PERMITTED)
    elif name == "deposit":
        qs = qs.filter(status=Status.COMPLETED)
    stage = Case(
        When(status=Status.SUBMITTED, then=Value(0)),
        When(status=Status.COMPLETED, then=Value(1)),
        When(status=Status.APPROVED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return qs.select_related("unit", "estate").order_by(stage, "created_at", "pk")


def waiting_for(application: Application) -> list[str]:
    """Which approvals an application still waits for: "desk", "engineering"."""
    if application.status != Status.SUBMITTED:
        return []
    out = []
    if application.desk_decision == Decision.PENDING:
        out.append("desk")
    if application.engineering_decision == Decision.PENDING:
        out.append("engineering")
    return out


def permit_find(*, scope: Scope, code: str) -> Application | None:
    """The application a permit code names, within the caller's scope (the gate's security)."""
    cleaned = code_clean(code)
    if not cleaned:
        return None
    return applications_visible(scope=scope).select_related("unit", "estate").filter(permit_code=cleaned).first()


def code_clean(code: str) -> str:
    """What a scanner or a thumb typed, as stored: upper case, no spaces; the QR carries the bare code."""
    return "".join((code or "").split()).upper()[:20]


def permit_valid_on(application: Application, day: dt.date) -> tuple[bool, str]:
    """(valid, why not) for a permit at the gate on `day`."""
    from django.utils.translation import gettext as _

    if application.permit_code is None:
        return False, _("No permit was issued for this application.")
    if application.status != Status.PERMITTED:
        return False, _("This permit is no longer valid: the works are %(status)s.") % {
            "status": application.get_status_display()
        }
    if day < application.starts_on:
        return False, _("This permit is valid from %(day)s.") % {"day": application.starts_on.isoformat()}
    if day > application.ends_on:
        return False, _("This permit expired on %(day)s.") % {"day": application.ends_on.isoformat()}
    return True, ""
