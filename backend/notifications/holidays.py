"""The company's holiday calendar: on each day in it, every resident gets its greeting (see
announcements.greetings_send). One entry per date; saving a date again changes its entry."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from backend.audit.services import audit_record
from backend.errors import ApplicationError

from .models import Holiday

NAME_MAX = Holiday._meta.get_field("name").max_length or 40
GREETING_MAX = Holiday._meta.get_field("greeting").max_length or 300


def holiday_list() -> QuerySet[Holiday]:
    """The calendar, by date."""
    return Holiday.objects.order_by("date")


def holiday_save(*, date: dt.date, name: str, greeting: str) -> Holiday:
    """Add the holiday on `date`, or change the one there. Audited with what it was and what it is now."""
    name, greeting = (name or "").strip(), (greeting or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the holiday.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(n)s characters.") % {"n": NAME_MAX}]
    if not greeting:
        errors["greeting"] = [_("Write the greeting residents get on the day.")]
    elif len(greeting) > GREETING_MAX:
        errors["greeting"] = [_("At most %(n)s characters.") % {"n": GREETING_MAX}]
    if errors:
        raise ApplicationError.for_fields(errors)
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().filter(date=date).first()
        before = {"name": holiday.name, "greeting": holiday.greeting} if holiday else None
        if holiday is None:
            holiday = Holiday(date=date)
        holiday.name, holiday.greeting = name, greeting
        holiday.save()
        audit_record(
            action="holiday.save",
            target=holiday,
            changes={"date": date.isoformat(), "before": before, "after": {"name": name, "greeting": greeting}},
        )
    return holiday


def holiday_remove(*, holiday_id: int) -> bool:
    """Take a holiday off the calendar. Returns whether there was one (removing it twice is no error)."""
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().filter(pk=holiday_id).first()
        if holiday is None:
            return False
        audit_record(
            action="holiday.remove",
            target=holiday,
            changes={"date": holiday.date.isoformat(), "name": holiday.name},
        )
        holiday.delete()
    return True
