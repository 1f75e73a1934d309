"""Complaints (投诉), the start: intake (a resident on the phone page; customer service for a call, a walk-in
or a letter, 《客户投诉登记表》), and the helpers every step shares (the timeline event with its audit entry, the
complainant's and staff's notifications, who the levels are, the row lock). The steps are in complaints.py."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Membership, User
from backend.accounts.roles import Role
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.notifications.services import notification_send, notifications_create
from backend.properties.models import Estate, Person, Unit
from backend.properties.scope import Scope
from tenants.db import connection

from .complaint_clock import dues_refresh
from .complaint_models import (
    Cause,
    Complaint,
    ComplaintChannel,
    ComplaintEvent,
    Department,
    Level,
    Severity,
)
from .sla import Calendar

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
HANDLER_ROLES: list[str] = [Role.CUSTOMER_SERVICE, Role.COMPANY_ADMIN]


# --- helpers ---------------------------------------------------------------------------------------------------


def _event(complaint: Complaint, kind: str, *, by: User | None, now: dt.datetime, note: str = "", **data: Any) -> None:
    ComplaintEvent.objects.create(complaint=complaint, at=now, kind=kind, by=by, note=note[:1000], data=data)
    audit_record(
        action=f"desk.complaint_{kind}",
        target=complaint,
        changes={"status": complaint.status, "level": complaint.level, "note": note[:200], **data},
    )


def _tell(complaint: Complaint, title: str) -> None:
    """The complainant hears the step on their phone (when they have an account)."""
    if complaint.complainant_id is None:
        return
    recipient = User.objects.filter(pk=complaint.complainant_id).first()
    if recipient is not None:
        notification_send(
            recipient=recipient,
            kind="ticket.update",
            title=f"{_('Complaint')} {complaint.code} {title}",
            url=f"/resident/complaints/{complaint.pk}/",
            payload={"complaint": complaint.pk, "status": complaint.status},
        )


def _covers(membership: Membership, complaint: Complaint) -> bool:
    return (
        membership.scope_all
        or complaint.office_id in membership.scope_office_ids
        or complaint.estate_id in membership.scope_estate_ids
    )


def staff_of(complaint: Complaint, roles: list[str]) -> list[int]:
    """Members with one of `roles` whose scope covers the complaint's office or estate."""
    members = Membership.objects.filter(tenant=connection.tenant, is_active=True, roles__overlap=roles).only(
        "user_id", "scope_all", "scope_office_ids", "scope_estate_ids"
    )
    return sorted({m.user_id for m in members if _covers(m, complaint)})


def level_people(complaint: Complaint, level: int) -> list[int]:
    """Who a level is: the supervisors are customer service covering the estate, the director its admins."""
    if level >= Level.DIRECTOR:
        return staff_of(complaint, [Role.COMPANY_ADMIN])
    return staff_of(complaint, [Role.CUSTOMER_SERVICE])


def recipients(complaint: Complaint) -> list[int]:
    """Whom the complaint's alerts reach: its handler (customer service when nobody has taken it) and every
    level it has been escalated to."""
    users = set(level_people(complaint, Level.DESK) if complaint.handler_id is None else [complaint.handler_id])
    for level in range(Level.SUPERVISOR, complaint.level + 1):
        users.update(level_people(complaint, level))
    return sorted(users)


def _staff_notify(complaint: Complaint, user_ids: list[int], kind: str, title: str, **payload: Any) -> None:
    if user_ids:
        notifications_create(
            user_ids=user_ids,
            kind=kind,
            title=title,
            url=f"/staff/desk/complaints/{complaint.pk}/",
            payload={"complaint": complaint.pk, **payload},
        )


def _locked(complaint: Complaint | int, statuses: tuple[str, ...]) -> Complaint:
    pk = complaint if isinstance(complaint, int) else complaint.pk
    locked = Complaint.objects.select_for_update(of=("self",)).get(pk=pk)
    if locked.status not in statuses:
        raise ApplicationError(
            _("This complaint is %(status)s.") % {"status": locked.get_status_display().lower()},
            code="invalid_state",
            status=409,
        )
    return locked


def _save_clocks(complaint: Complaint, *fields: str) -> None:
    complaint.save(
        update_fields=[
            *fields,
            "escalate_target",
            "answer_target",
            "resolve_target",
            "escalate_due",
            "answer_due",
            "resolve_due",
            "alert_at",
        ]
    )


def _code() -> str:
    return "TS" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


# --- intake ----------------------------------------------------------------------------------------------------


def _create(
    *,
    estate: Estate,
    unit: Unit | None,
    location: str,
    cause: str,
    department: str,
    severity: str,
    description: str,
    wanted: str,
    contact_name: str,
    contact_phone: str,
    channel: str,
    complainant: User | None,
    resident_deadline: dt.date | None,
    by: User | None,
    now: dt.datetime,
) -> Complaint:
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Say what happened.")]
    elif len(description) > 2000:
        errors["description"] = [_("At most %(n)s characters.") % {"n": 2000}]
    if cause not in Cause.values:
        errors["cause"] = [_("Choose what it is about.")]
    if department and department not in Department.values:
        errors["department"] = [_("Choose a department.")]
    if severity not in Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    if not (contact_name or "").strip():
        errors["contact_name"] = [_("Give a contact name.")]
    if not (contact_phone or "").strip():
        errors["contact_phone"] = [_("Give a contact phone number.")]
    if unit is None and not (location or "").strip():
        errors["location"] = [_("Say where it happened.")]
    if resident_deadline is not None and resident_deadline < now.astimezone(Calendar().hours.tz).date():
        errors["resident_deadline"] = [_("The deadline cannot be in the past.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        complaint = Complaint(
            code=_code(),
            estate=estate,
            office_id=estate.office_id,
            unit=unit,
            location=(location or "").strip()[:100],
            cause=cause,
            department=department or "",
            severity=severity,
            description=description,
            wanted=(wanted or "").strip()[:500],
            contact_name=contact_name.strip()[:60],
            contact_phone=contact_phone.strip()[:20],
            channel=channel,
            complainant=complainant,
            resident_deadline=resident_deadline if severity == Severity.MINOR else None,
            created_at=now,
        )
        dues_refresh(complaint, retarget=True)
        complaint.save()
        _event(complaint, "filed", by=by, now=now, channel=channel, severity=severity)
        _staff_notify(
            complaint,
            [u for u in level_people(complaint, Level.DESK) if by is None or u != by.pk],
            "desk.complaint_new",
            _("New complaint %(code)s (%(severity)s)")
            % {"code": complaint.code, "severity": complaint.get_severity_display()},
        )
        _tell(complaint, _("registered: we will get back to you"))
    return complaint


def complaint_file(
    *,
    user: User,
    unit_id: int,
    cause: str,
    description: str,
    wanted: str = "",
    location: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    resident_deadline: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """A resident complains from the phone page, about their home or their estate. It comes in as minor;
    customer service sets its severity when taking it (the clocks count from the filing all the same)."""
    unit = (
        Scope(all_offices=False, resident_user_id=user.pk)
        .filter_units(Unit.objects.select_related("estate"))
        .filter(pk=unit_id)
        .first()
    )
    if unit is None:
        raise ApplicationError.for_fields({"unit": [_("Choose one of your homes.")]})
    return _create(
        estate=unit.estate,
        unit=unit,
        location=location,
        cause=cause,
        department="",
        severity=Severity.MINOR,
        description=description,
        wanted=wanted,
        contact_name=contact_name or user.name,
        contact_phone=contact_phone or getattr(user, "phone", "") or "",
        channel=ComplaintChannel.APP,
        complainant=user,
        resident_deadline=resident_deadline,
        by=user,
        now=now or timezone.now(),
    )


def complaint_intake(
    *,
    by: User,
    scope: Scope,
    channel: str,
    severity: str,
    cause: str,
    description: str,
    contact_name: str,
    contact_phone: str,
    unit_id: int | None = None,
    estate_id: int | None = None,
    location: str = "",
    department: str = "",
    wanted: str = "",
    resident_deadline: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Customer service records a call, a walk-in or a letter (《客户投诉登记表》), for a home or an estate of
    their scope. A caller who is a bound occupant of the home follows it on their phone."""
    if channel not in (ComplaintChannel.PHONE, ComplaintChannel.WALK_IN, ComplaintChannel.LETTER):
        raise ApplicationError.for_fields({"channel": [_("A call, a walk-in or a letter.")]})
    unit = None
    if unit_id is not None:
        unit = scope.filter_units(Unit.objects.select_related("estate")).filter(pk=unit_id).first()
        if unit is None:
            raise ApplicationError.for_fields({"unit": [_("No such home in your scope.")]})
        estate = unit.estate
    else:
        found = Estate.objects.filter(scope.estate_q(), pk=estate_id).first() if estate_id else None
        if found is None:
            raise ApplicationError.for_fields({"estate": [_("Choose the estate.")]})
        estate = found
    complainant = None
    if unit is not None and contact_phone:
        user_id = (
            Person.objects.filter(
                occupancies__unit=unit,
                occupancies__end_date__isnull=True,
                phone=contact_phone.strip(),
                user__isnull=False,
            )
            .values_list("user_id", flat=True)
            .first()
        )
        complainant = User.objects.filter(pk=user_id).first() if user_id else None
    return _create(
        estate=estate,
        unit=unit,
        location=location,
        cause=cause,
        department=department,
        severity=severity,
        description=description,
        wanted=wanted,
        contact_name=contact_name,
        contact_phone=contact_phone,
        channel=channel,
        complainant=complainant,
        resident_deadline=resident_deadline,
        by=by,
        now=now or timezone.now(),
    )
