"""Repairs (报修), the start: the company's categories with their SLA targets, and intake (a resident on the
phone page, or customer service for a call or a walk-in). The helpers every step shares (the timeline event
with its audit entry, the resident's notification, photos) live here too; the steps are in services.py."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.audit.services import audit_record
from backend.errors import ApplicationError
from backend.notifications.services import notification_send
from backend.properties.models import Estate, Person, Unit
from backend.properties.scope import Scope
from backend.uploads.kinds import REPAIR_PHOTO
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload
from tenants.db import company_time_zone

from .clock import BusinessHours
from .models import (
    Channel,
    DeskSettings,
    PhotoStage,
    Place,
    Priority,
    RepairCategory,
    RevisitRule,
    SlaTarget,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from .sla import dues_refresh

FEE_CODE = "repair"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_PHOTOS = 6
# Default targets (business minutes) per priority when a category has none of its own.
DEFAULT_TARGETS = {
    Priority.URGENT: (30, 4 * 60),
    Priority.HIGH: (60, 8 * 60),
    Priority.NORMAL: (4 * 60, 3 * 8 * 60),
    Priority.LOW: (8 * 60, 5 * 8 * 60),
}
SUPERVISOR_ROLES = [Role.CUSTOMER_SERVICE, Role.COMPANY_ADMIN]


# --- categories ------------------------------------------------------------------------------------------------


def category_save(
    *,
    code: str,
    name: str,
    default_priority: str = Priority.NORMAL,
    paid: bool = False,
    revisit_rule: str = RevisitRule.STANDARD,
    targets: dict[str, tuple[int, int]] | None = None,
    active: bool = True,
) -> RepairCategory:
    """Add the category `code`, or change it; `targets` {priority: (response, resolution) minutes}."""
    errors: dict[str, list[str]] = {}
    name, code = (name or "").strip(), (code or "").strip()
    if not name or len(name) > 40:
        errors["name"] = [_("Name the category (at most 40 characters).")]
    if not code or len(code) > 30:
        errors["code"] = [_("Give the category a short code.")]
    if default_priority not in Priority.values:
        errors["default_priority"] = [_("Choose a priority.")]
    if revisit_rule not in RevisitRule.values:
        errors["revisit_rule"] = [_("Choose a revisit rule.")]
    for priority, pair in (targets or {}).items():
        response, resolution = pair
        if priority not in Priority.values or not (0 < response <= resolution):
            errors["targets"] = [
                _("Each target needs a response time above zero and no longer than the resolution time.")
            ]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        category = RepairCategory.objects.select_for_update().filter(code=code).first() or RepairCategory(code=code)
        created = category.pk is None
        category.name, category.default_priority, category.paid = name, default_priority, bool(paid)
        category.revisit_rule, category.active = revisit_rule, bool(active)
        category.save()
        for priority, (response, resolution) in (targets or {}).items():
            SlaTarget.objects.update_or_create(
                category=category,
                priority=priority,
                defaults={"response_minutes": response, "resolution_minutes": resolution},
            )
        audit_record(
            action="desk.category_save",
            target=category,
            changes={
                "created": created,
                "paid": category.paid,
                "targets": {k: list(v) for k, v in (targets or {}).items()},
            },
        )
    return category


def targets_for(category: RepairCategory, priority: str) -> tuple[int, int]:
    target = SlaTarget.objects.filter(category=category, priority=priority).first()
    if target is not None:
        return target.response_minutes, target.resolution_minutes
    return DEFAULT_TARGETS[Priority(priority)]


# --- intake ----------------------------------------------------------------------------------------------------


def _code() -> str:
    return "BX" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _event(ticket: Ticket, kind: str, *, by: User | None, now: dt.datetime, note: str = "", **data: Any) -> None:
    TicketEvent.objects.create(ticket=ticket, at=now, kind=kind, by=by, note=note[:500], data=data)
    audit_record(action=f"desk.{kind}", target=ticket, changes={"status": ticket.status, "note": note[:200], **data})


def _notify_resident(ticket: Ticket, title: str) -> None:
    if ticket.reporter_id is None:
        return
    recipient = User.objects.filter(pk=ticket.reporter_id).first()
    if recipient is not None:
        notification_send(
            recipient=recipient,
            kind="ticket.update",
            title=f"{ticket.code} {title}",
            url=f"/resident/repairs/{ticket.pk}/",
            payload={"ticket": ticket.pk, "status": ticket.status},
        )


def _photos_add(ticket: Ticket, photos: Iterable[AcceptedUpload], stage: str) -> int:
    count = 0
    for image in photos:
        if image.kind != REPAIR_PHOTO:
            raise ApplicationError.for_fields({"photos": [_("Upload repair photos.")]})
        photo = TicketPhoto(ticket=ticket, stage=stage, image=image.content_file())
        with files_removed_on_error(photo):
            photo.save()
        count += 1
    return count


def _create(
    *,
    category: RepairCategory,
    place: str,
    unit: Unit | None,
    estate: Estate,
    location: str,
    description: str,
    contact_name: str,
    contact_phone: str,
    preferred_time: str,
    channel: str,
    reporter: User | None,
    by: User | None,
    priority: str | None,
    paid: bool | None,
    photos: list[AcceptedUpload],
    now: dt.datetime,
) -> Ticket:
    errors: dict[str, list[str]] = {}
    description, location = (description or "").strip(), (location or "").strip()
    if not category.active:
        errors["category"] = [_("This category is not in use.")]
    if place not in Place.values:
        errors["place"] = [_("Say whether it is in the home or in a public area.")]
    if place == Place.IN_UNIT and unit is None:
        errors["unit"] = [_("Choose the home.")]
    if place == Place.PUBLIC and not location:
        errors["location"] = [_("Say where it is.")]
    if not description:
        errors["description"] = [_("Describe what is wrong.")]
    elif len(description) > 1000:
        errors["description"] = [_("At most %(n)s characters.") % {"n": 1000}]
    if not (contact_name or "").strip():
        errors["contact_name"] = [_("Give a contact name.")]
    if not (contact_phone or "").strip():
        errors["contact_phone"] = [_("Give a contact phone number.")]
    if priority is not None and priority not in Priority.values:
        errors["priority"] = [_("Choose a priority.")]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("At most %(n)s photos.") % {"n": MAX_PHOTOS}]
    is_paid = category.paid if paid is None else bool(paid)
    if is_paid and place == Place.PUBLIC:
        errors["paid"] = [_("A public-area repair is not charged to a home.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    priority = priority or category.default_priority
    response, resolution = targets_for(category, priority)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            code=_code(),
            category=category,
            place=place,
            unit=unit if place == Place.IN_UNIT else None,
            estate=estate,
            office_id=estate.office_id,
            location=location[:100],
            description=description,
            contact_name=contact_name.strip()[:60],
            contact_phone=contact_phone.strip()[:20],
            preferred_time=(preferred_time or "").strip()[:60],
            channel=channel,
            reporter=reporter,
            priority=priority,
            paid=is_paid,
            created_at=now,
            response_target=response,
            resolution_target=resolution,
        )
        dues_refresh(ticket)
        ticket.save(update_fields=["response_due", "resolution_due", "alert_at"])
        count = _photos_add(ticket, photos, PhotoStage.INTAKE)
        _event(ticket, "reported", by=by, now=now, channel=channel, photos=count)
    return ticket


def _resident_unit(user: User, unit_id: int) -> Unit:
    unit = (
        Scope(all_offices=False, resident_user_id=user.pk).filter_units(Unit.objects.all()).filter(pk=unit_id).first()
    )
    if unit is None:
        raise ApplicationError.for_fields({"unit": [_("Choose one of your homes.")]})
    return unit


def ticket_report(
    *,
    user: User,
    unit_id: int,
    category: RepairCategory,
    description: str,
    place: str = Place.IN_UNIT,
    location: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    preferred_time: str = "",
    photos: list[AcceptedUpload] | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """A resident reports a repair from the phone page: in their home, or in a public area of its estate."""
    unit = _resident_unit(user, unit_id)
    return _create(
        category=category,
        place=place,
        unit=unit,
        estate=unit.estate,
        location=location,
        description=description,
        contact_name=contact_name or user.name,
        contact_phone=contact_phone or getattr(user, "phone", "") or "",
        preferred_time=preferred_time,
        channel=Channel.APP,
        reporter=user,
        by=user,
        priority=None,
        paid=None,
        photos=photos or [],
        now=now or timezone.now(),
    )


def ticket_intake(
    *,
    by: User,
    scope: Scope,
    category: RepairCategory,
    channel: str,
    description: str,
    contact_name: str,
    contact_phone: str,
    place: str = Place.IN_UNIT,
    unit_id: int | None = None,
    estate_id: int | None = None,
    location: str = "",
    preferred_time: str = "",
    priority: str | None = None,
    paid: bool | None = None,
    photos: list[AcceptedUpload] | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Customer service records a call or a walk-in, for a home or a public area within their scope."""
    if channel not in (Channel.PHONE, Channel.WALK_IN):
        raise ApplicationError.for_fields({"channel": [_("A call or a walk-in.")]})
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
    reporter = None
    if unit is not None and contact_phone:
        # The caller is a bound occupant of the home: they follow the ticket on their phone and confirm it.
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
        reporter = User.objects.filter(pk=user_id).first() if user_id else None
    return _create(
        category=category,
        place=place,
        unit=unit,
        estate=estate,
        location=location,
        description=description,
        contact_name=contact_name,
        contact_phone=contact_phone,
        preferred_time=preferred_time,
        channel=channel,
        reporter=reporter,
        by=by,
        priority=priority,
        paid=paid,
        photos=photos or [],
        now=now or timezone.now(),
    )


# --- the desk's settings ---------------------------------------------------------------------------------------


def desk_settings_update(
    *, business_hours: list[list[int]], near_breach_percent: int, engineer_open_cap: int
) -> DeskSettings:
    """Business hours ([[weekday 0–6, from minute, to minute], …]), the near-breach share and the engineer's
    load cap. Audited with the values before. Open tickets keep their due instants until their next pause."""
    errors: dict[str, list[str]] = {}
    try:
        BusinessHours.from_setting(business_hours, company_time_zone())
    except (TypeError, ValueError):
        errors["business_hours"] = [_("Each window: a weekday 0–6 and a start before its end, in minutes.")]
    if not isinstance(near_breach_percent, int) or not 1 <= near_breach_percent <= 99:
        errors["near_breach_percent"] = [_("Between 1 and 99.")]
    if not isinstance(engineer_open_cap, int) or not 1 <= engineer_open_cap <= 100:
        errors["engineer_open_cap"] = [_("Between 1 and 100.")]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        DeskSettings.load()
        current = DeskSettings.objects.select_for_update().get(singleton=True)
        before = [current.business_hours, current.near_breach_percent, current.engineer_open_cap]
        current.business_hours = [[int(d), int(a), int(b)] for d, a, b in business_hours]
        current.near_breach_percent, current.engineer_open_cap = near_breach_percent, engineer_open_cap
        current.save()
        audit_record(
            action="desk.settings_update",
            target=current,
            changes={"before": before, "after": [current.business_hours, near_breach_percent, engineer_open_cap]},
        )
    return current
