"""Facility setup: create and update a facility and its rules, its opening hours, its photos. Each write is
one business action in a transaction with its audit entry; every value is checked here, so the API and the
pages refuse the same input with the same field messages.

Changes that would break bookings already made are refused rather than half-applied: a capacity below what a
future cell already holds (the cells' CHECK says so), a new grain (slot length, step, mode) or opening hours
that a future live booking no longer fits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.billing.models import FeeItem
from backend.errors import ApplicationError, not_found
from backend.properties.models import Estate, OccupancyRole
from backend.properties.scope import Scope
from backend.uploads.storage import files_removed_on_error
from backend.uploads.validation import AcceptedUpload
from tenants.db import company_time_zone

from .models import (
    LIVE_STATUSES,
    MINUTES_A_DAY,
    Booking,
    BookingMode,
    Facility,
    FacilityKind,
    FacilityPhoto,
    OpeningHours,
    PriceMode,
    SlotCell,
)
from .rules import booking_cells, rules_of

MAX_PRICE_FEN = 100_000_000  # ¥1,000,000
# field → (lowest, highest) for the whole-number rules
NUMBERS: dict[str, tuple[int, int]] = {
    "capacity": (1, 10_000),
    "slot_minutes": (5, MINUTES_A_DAY),
    "min_minutes": (5, MINUTES_A_DAY),
    "max_minutes": (5, MINUTES_A_DAY),
    "step_minutes": (5, MINUTES_A_DAY),
    "horizon_days": (0, 365),
    "min_notice_minutes": (0, 60 * 24 * 30),
    "cancel_cutoff_minutes": (0, 60 * 24 * 30),
    "late_cancel_refund_percent": (0, 100),
    "max_party_size": (1, 1000),
    "quota_bookings_day": (0, 1000),
    "quota_bookings_week": (0, 1000),
    "quota_bookings_month": (0, 1000),
    "quota_minutes_day": (0, MINUTES_A_DAY),
    "quota_minutes_week": (0, 7 * MINUTES_A_DAY),
    "quota_minutes_month": (0, 31 * MINUTES_A_DAY),
    "resident_price_fen": (0, MAX_PRICE_FEN),
    "guest_price_fen": (0, MAX_PRICE_FEN),
    "deposit_fen": (0, MAX_PRICE_FEN),
    "hold_minutes": (1, 24 * 60),
    "offer_minutes": (1, 24 * 60),
    "checkin_grace_minutes": (0, 24 * 60),
    "no_show_limit": (0, 100),
    "no_show_suspend_days": (0, 365),
}
TEXTS = {"name": 60, "description": 2000, "location": 200}
FLAGS = ("is_active", "counts_people", "requires_approval", "residents_may_recur")
CHOICES = {"kind": FacilityKind.values, "booking_mode": BookingMode.values, "price_mode": PriceMode.values}
EDITABLE = (*TEXTS, *FLAGS, *CHOICES, *NUMBERS, "allowed_roles", "allowed_estate_ids", "fee_item")
GRAIN = ("booking_mode", "slot_minutes", "step_minutes")


def _clean(values: dict[str, Any], facility: Facility) -> dict[str, Any]:
    """Check every given value against the facility as it would be; the cleaned values, or field errors."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in EDITABLE:
            errors[name] = [_("This field cannot be set.")]
        elif name in TEXTS:
            text = str(value or "").strip()
            if name == "name" and not text:
                errors[name] = [_("Enter a name.")]
            elif len(text) > TEXTS[name]:
                errors[name] = [_("At most %(n)s characters.") % {"n": TEXTS[name]}]
            clean[name] = text
        elif name in FLAGS:
            if not isinstance(value, bool):
                errors[name] = [_("Yes or no.")]
            clean[name] = value
        elif name in CHOICES:
            if value not in CHOICES[name]:
                errors[name] = [_("One of %(values)s.") % {"values": ", ".join(CHOICES[name])}]
            clean[name] = value
        elif name in NUMBERS:
            low, high = NUMBERS[name]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                errors[name] = [_("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]
            clean[name] = value
        elif name == "allowed_roles":
            if not isinstance(value, list) or not value or set(value) - set(OccupancyRole.values):
                errors[name] = [_("Choose owners, tenants and/or household members.")]
            clean[name] = sorted(set(value)) if isinstance(value, list) else value
        elif name == "allowed_estate_ids":
            if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                errors[name] = [_("A list of estate ids.")]
            elif set(value) - set(Estate.objects.filter(pk__in=value).values_list("pk", flat=True)):
                errors[name] = [_("Choose estates of this company.")]
            clean[name] = sorted(set(value)) if isinstance(value, list) else value
        elif name == "fee_item":
            clean[name] = value
    if errors:
        raise ApplicationError.for_fields(errors)
    _check_together(facility, clean, errors)
    if errors:
        raise ApplicationError.for_fields(errors)
    return clean


def _check_together(facility: Facility, clean: dict[str, Any], errors: dict[str, list[str]]) -> None:
    merged: dict[str, int] = {name: int(clean.get(name, getattr(facility, name, 0)) or 0) for name in NUMBERS}
    step, low, high = merged["step_minutes"], merged["min_minutes"], merged["max_minutes"]
    if clean.get("booking_mode", facility.booking_mode) == BookingMode.FREE:
        if low < step or low % step:
            errors["min_minutes"] = [_("The shortest booking is a multiple of the step.")]
        if high < low or high % step:
            errors["max_minutes"] = [_("The longest booking is a multiple of the step, at least the shortest.")]
    elif low < step or high < low:
        # Not used in slot mode, but the database keeps them consistent.
        clean.setdefault("min_minutes", max(step, low))
        clean.setdefault("max_minutes", max(clean["min_minutes"], high))
    fee_item = clean.get("fee_item")
    if fee_item is not None:
        office_id = facility.office_id
        if not isinstance(fee_item, FeeItem):
            fee_item = FeeItem.objects.filter(pk=fee_item).first() if isinstance(fee_item, int) else None
        if fee_item is None or fee_item.office_id != office_id:
            errors["fee_item"] = [_("Choose a fee item of the estate's office.")]
        clean["fee_item"] = fee_item


def facility_create(
    *, estate_id: int, scope: Scope, hours: list[tuple[int, int, int]] | None = None, **values: Any
) -> Facility:
    """A facility of an estate in the caller's scope; `values` are any of EDITABLE (name and kind needed),
    `hours` its opening hours (see opening_hours_set)."""
    estate = Estate.objects.filter(scope.estate_q(), pk=estate_id).first()
    if estate is None:
        raise not_found()
    missing = {n: [_("This field is required.")] for n in ("name", "kind") if n not in values}
    if missing:
        raise ApplicationError.for_fields(missing)
    facility = Facility(estate=estate, office_id=estate.office_id)
    clean = _clean(values, facility)
    for name, value in clean.items():
        setattr(facility, name, value)
    try:
        with transaction.atomic():
            facility.save()
            audit_record(action="club.facility_create", target=facility, changes=_loggable(clean))
            if hours is not None:
                opening_hours_set(facility=facility, hours=hours)
    except IntegrityError as exc:
        raise ApplicationError.for_fields({"name": [_("This estate already has a facility with this name.")]}) from exc
    return facility


def _loggable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.pk if isinstance(v, FeeItem) else v) for k, v in values.items()}


def _future_live(facility: Facility, now: dt.datetime) -> Any:
    return Booking.objects.filter(facility=facility, status__in=LIVE_STATUSES, ends_at__gt=now)


def facility_update(
    *,
    facility: Facility,
    hours: list[tuple[int, int, int]] | None = None,
    now: dt.datetime | None = None,
    **values: Any,
) -> Facility:
    """Change a facility's rules and/or its opening hours (the caller passes a facility from their scope)."""
    now = now or timezone.now()
    clean = _clean(values, facility)
    changed = {k: v for k, v in clean.items() if getattr(facility, k) != v}
    if not changed:
        if hours is not None:
            opening_hours_set(facility=facility, hours=hours, now=now)
        return facility
    try:
        with transaction.atomic():
            locked = Facility.objects.select_for_update().get(pk=facility.pk)
            before = {k: getattr(locked, k) for k in changed}
            if set(changed) & set(GRAIN) and _future_live(locked, now).exists():
                raise ApplicationError.for_fields(
                    {k: [_("Future bookings use the present slots: cancel them first.")] for k in changed if k in GRAIN}
                )
            for name, value in changed.items():
                setattr(locked, name, value)
            locked.save()
            if "capacity" in changed:
                _cells_capacity(locked, now)
            audit_record(
                action="club.facility_update",
                target=locked,
                changes={"before": _loggable(before), "after": _loggable(changed)},
            )
            if hours is not None:
                opening_hours_set(facility=locked, hours=hours, now=now)
    except IntegrityError as exc:
        if "capacity" in changed:
            raise ApplicationError.for_fields(
                {"capacity": [_("Some future slots already hold more bookings than that.")]}
            ) from exc
        raise ApplicationError.for_fields({"name": [_("This estate already has a facility with this name.")]}) from exc
    return locked


def _cells_capacity(facility: Facility, now: dt.datetime) -> None:
    """Future cells take the new capacity; the cells' CHECK refuses one that holds more (IntegrityError)."""
    with transaction.atomic():
        SlotCell.objects.filter(facility=facility, starts_at__gte=now).update(capacity=facility.capacity)


def opening_hours_set(
    *, facility: Facility, hours: list[tuple[int, int, int]], now: dt.datetime | None = None
) -> list[OpeningHours]:
    """Replace the opening hours: (weekday, opens, closes) in minutes after midnight; ranges of one day may
    not overlap (a gap between two is a break). Refused when a future live booking would no longer fit."""
    now = now or timezone.now()
    errors: list[str] = []
    by_day: dict[int, list[tuple[int, int]]] = {}
    for entry in hours:
        try:
            weekday, opens, closes = (int(x) for x in entry)
        except (TypeError, ValueError):
            errors.append(_("Each range is a weekday, an opening and a closing minute."))
            continue
        if not 0 <= weekday <= 6 or not 0 <= opens < closes <= MINUTES_A_DAY:
            errors.append(_("Weekdays 0–6; opens before it closes, within the day."))
            continue
        by_day.setdefault(weekday, []).append((opens, closes))
    for ranges in by_day.values():
        ranges.sort()
        if any(a[1] > b[0] for a, b in zip(ranges, ranges[1:], strict=False)):
            errors.append(_("Opening ranges of one day overlap."))
    if errors:
        raise ApplicationError.for_fields({"hours": sorted(set(errors))})
    rows = [OpeningHours(facility=facility, weekday=d, opens=o, closes=c) for d, rs in by_day.items() for o, c in rs]
    with transaction.atomic():
        Facility.objects.select_for_update().filter(pk=facility.pk).first()
        rules = rules_of(facility, rows, company_time_zone())
        misfits = 0
        for booking in _future_live(facility, now).filter(starts_at__gt=now):
            try:
                booking_cells(rules, booking.starts_at, booking.ends_at)
            except ApplicationError:
                misfits += 1
        if misfits:
            raise ApplicationError.for_fields(
                {"hours": [_("%(n)d future bookings fall outside these hours: cancel them first.") % {"n": misfits}]}
            )
        OpeningHours.objects.filter(facility=facility).delete()
        created = OpeningHours.objects.bulk_create(rows)
        audit_record(
            action="club.hours_set",
            target=facility,
            changes={"hours": sorted([r.weekday, r.opens, r.closes] for r in rows)},
        )
    return created


def facility_photo_add(*, facility: Facility, image: AcceptedUpload, caption: str = "") -> FacilityPhoto:
    """A photo accepted by backend.uploads (kind FACILITY_PHOTO), placed after the others."""
    caption = (caption or "").strip()
    if len(caption) > 100:
        raise ApplicationError.for_fields({"caption": [_("At most 100 characters.")]})
    position = FacilityPhoto.objects.filter(facility=facility).count()
    photo = FacilityPhoto(facility=facility, caption=caption, position=position, image=image.content_file())
    with files_removed_on_error(photo), transaction.atomic():
        photo.save()
        audit_record(action="club.photo_add", target=photo, changes={"facility": facility.pk, "bytes": image.size})
    return photo


def facility_photo_remove(*, photo: FacilityPhoto, by: User | None = None) -> None:
    with transaction.atomic():
        audit_record(action="club.photo_remove", target=photo, changes={"facility": photo.facility_id})
        name, storage = photo.image.name, photo.image.storage
        photo.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
