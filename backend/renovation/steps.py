"""What every renovation step shares: the timeline event with its audit entry, and the notifications to the
applicant and to the staff whose data scope covers the application (services.py and money.py both use them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from backend.accounts.models import Membership, User
from backend.audit.services import audit_record
from backend.notifications.recipients import Recipients
from backend.notifications.services import notification_send, notify
from tenants.db import connection

from .models import Application, Event


def event_record(
    application: Application, kind: str, *, by: User | None, now: dt.datetime, note: str = "", **data: Any
) -> None:
    """One step on the timeline, with its audit entry (inside the step's transaction)."""
    Event.objects.create(application=application, at=now, kind=kind, by=by, note=note[:500], data=data)
    audit_record(
        action=f"renovation.{kind}",
        target=application,
        object_repr=f"{application.code} {application.unit.label}",
        changes={"status": application.status, "note": note[:200], **data},
    )


def notify_resident(application: Application, title: str, body: str = "") -> None:
    recipient = User.objects.filter(pk=application.applicant_id).first()
    if recipient is not None:
        notification_send(
            recipient=recipient,
            kind="renovation.update",
            title=f"{application.code} {title}",
            body=body,
            url=f"/resident/renovation/{application.pk}/",
            payload={"renovation": application.pk, "status": application.status},
        )


def staff_in_scope(application: Application, roles: Iterable[str]) -> list[int]:
    """Active members holding one of `roles` whose data scope covers the application's office or estate."""
    return list(
        Membership.objects.filter(tenant=connection.tenant, is_active=True, roles__overlap=sorted(roles))
        .filter(
            Q(scope_all=True)
            | Q(scope_office_ids__contains=[application.office_id])
            | Q(scope_estate_ids__contains=[application.estate_id])
        )
        .values_list("user_id", flat=True)
    )


def notify_staff(application: Application, roles: Iterable[str], title: str, *, kind: str, exclude: int = 0) -> None:
    ids = [uid for uid in staff_in_scope(application, roles) if uid != exclude]
    if ids:
        notify(
            recipients=Recipients(user_ids=tuple(sorted(ids))),
            kind=kind,
            title=f"{application.code} {application.unit.label}: {title}",
            url=f"/staff/renovation/{application.pk}/",
            payload={"renovation": application.pk, "status": application.status},
        )
