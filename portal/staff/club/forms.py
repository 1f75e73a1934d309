from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.club.models import BookingMode, BookingStatus, Closure, FacilityKind, PriceMode
from backend.properties.models import OccupancyRole
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import FACILITY_PHOTO
from portal.common.forms import DATE_INPUT
from portal.common.money_forms import YuanField
from portal.resident.club.grid import WEEKDAYS

RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _num(label: Any, help_text: Any = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, help_text=help_text, min_value=0, required=False)


def _flag(label: Any) -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False)


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """ "06:00-12:00, 14:00-22:00" → [(360, 720), (840, 1320)]; "" → []. 24:00 closes at midnight."""
    out = []
    for part in re.split(r"[,，;；]", text or ""):
        if not part.strip():
            continue
        match = RANGE.match(part)
        if match is None:
            raise forms.ValidationError(_("Write ranges like 06:00-12:00, 14:00-22:00."))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
            raise forms.ValidationError(_("Write ranges like 06:00-12:00, 14:00-22:00."))
        out.append((h1 * 60 + m1, h2 * 60 + m2))
    return out


class FacilityForm(forms.Form):
    """Every rule of a facility, grouped as the page shows them (GROUPS). The service checks the values and
    their combinations; its field errors land on these names (the service's own)."""

    estate = forms.ChoiceField(label=_("Estate"))
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=FacilityKind.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    is_active = _flag(_("Open for bookings"))

    capacity = forms.IntegerField(label=_("Places per slot"), min_value=1, help_text=_("1 means exclusive."))
    counts_people = _flag(_("A booking takes one place per person (gym, pool)"))
    booking_mode = forms.ChoiceField(label=_("Booking mode"), choices=BookingMode.choices)
    slot_minutes = _num(_("Slot length (minutes)"))
    min_minutes = _num(_("Shortest booking (minutes)"), _("Free length only."))
    max_minutes = _num(_("Longest booking (minutes)"), _("Free length only."))
    step_minutes = _num(_("Booking step (minutes)"), _("Free length only."))

    horizon_days = _num(_("Bookable days ahead"))
    min_notice_minutes = _num(_("Minimum notice (minutes)"))

    cancel_cutoff_minutes = _num(_("Free cancellation until (minutes before)"))
    late_cancel_refund_percent = _num(_("Refund of the fee after the cutoff (%)"))
    max_party_size = _num(_("Largest party"))
    quota_bookings_day = _num(_("Bookings per home a day"), _("0 = no limit"))
    quota_bookings_week = _num(_("Bookings per home a week"), _("0 = no limit"))
    quota_bookings_month = _num(_("Bookings per home a month"), _("0 = no limit"))
    quota_minutes_day = _num(_("Minutes per home a day"), _("0 = no limit"))
    quota_minutes_week = _num(_("Minutes per home a week"), _("0 = no limit"))
    quota_minutes_month = _num(_("Minutes per home a month"), _("0 = no limit"))

    price_mode = forms.ChoiceField(label=_("Price"), choices=PriceMode.choices)
    resident_price_fen = YuanField(label=_("Resident price (¥)"), empty_zero=True, positive=False, required=False)
    guest_price_fen = YuanField(label=_("Guest price (¥)"), empty_zero=True, positive=False, required=False)
    deposit_fen = YuanField(label=_("Deposit (¥)"), empty_zero=True, positive=False, required=False)
    hold_minutes = _num(_("A booking waits for payment (minutes)"))

    requires_approval = _flag(_("Bookings need approval"))
    allowed_roles = forms.MultipleChoiceField(
        label=_("Who may book"), choices=OccupancyRole.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    allowed_estate_ids = forms.MultipleChoiceField(
        label=_("Homes of these estates (none ticked: the facility's own)"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    residents_may_recur = _flag(_("Residents may book a weekly series"))

    offer_minutes = _num(_("A waitlist offer is held (minutes)"))
    checkin_grace_minutes = _num(_("Check-in grace (minutes)"))
    no_show_limit = _num(_("No-shows in 30 days before a suspension"), _("0 = off"))
    no_show_suspend_days = _num(_("Suspension (days)"))

    hours = forms.CharField(widget=forms.HiddenInput, required=False)  # the service's "hours" errors land here

    GROUPS = [
        (_("The facility"), ["estate", "name", "kind", "description", "location", "is_active"]),
        (
            _("Capacity and slots"),
            ["capacity", "counts_people", "booking_mode", "slot_minutes", "min_minutes", "max_minutes", "step_minutes"],
        ),
        (_("Booking window"), ["horizon_days", "min_notice_minutes"]),
        (
            _("Limits and quotas"),
            [
                "cancel_cutoff_minutes",
                "late_cancel_refund_percent",
                "max_party_size",
                "quota_bookings_day",
                "quota_bookings_week",
                "quota_bookings_month",
                "quota_minutes_day",
                "quota_minutes_week",
                "quota_minutes_month",
            ],
        ),
        (_("Price"), ["price_mode", "resident_price_fen", "guest_price_fen", "deposit_fen", "hold_minutes"]),
        (_("Who may book"), ["requires_approval", "allowed_roles", "allowed_estate_ids", "residents_may_recur"]),
        (
            _("Waitlist, check-in and no-shows"),
            ["offer_minutes", "checkin_grace_minutes", "no_show_limit", "no_show_suspend_days"],
        ),
    ]

    def __init__(self, *args: Any, estates: list[tuple[str, str]], creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].choices = estates  # type: ignore[attr-defined]
        self.fields["allowed_estate_ids"].choices = estates  # type: ignore[attr-defined]
        if not creating:
            del self.fields["estate"]
        for day in range(7):
            self.fields[f"hours_{day}"] = forms.CharField(
                label=WEEKDAYS[day],
                required=False,
                widget=forms.TextInput(attrs={"placeholder": "06:00-12:00, 14:00-22:00"}),
            )

    def groups(self) -> list[tuple[Any, list[Any]]]:
        out = [(title, [self[n] for n in names if n in self.fields]) for title, names in self.GROUPS]
        out.insert(
            1, (_("Opening hours (ranges per weekday; a gap is a break)"), [self[f"hours_{d}"] for d in range(7)])
        )
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: list[tuple[int, int, int]] = []
        for day in range(7):
            try:
                hours += [(day, o, c) for o, c in parse_ranges(data.get(f"hours_{day}", ""))]
            except forms.ValidationError as error:
                self.add_error(f"hours_{day}", error)
        data["hours_list"] = hours
        return data

    def service_values(self) -> dict[str, Any]:
        """What facility_create / facility_update take: every rule, blanks as the defaults' zero."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for name in self.fields:
            if name in ("estate", "hours") or name.startswith("hours_"):
                continue
            value = data.get(name)
            if name == "allowed_estate_ids":
                value = [int(v) for v in value or []]
            elif name == "allowed_roles":
                value = list(value or [])
            elif isinstance(self.fields[name], forms.IntegerField) and value is None:
                continue  # left blank: the service keeps the present (or default) value
            values[name] = value
        return values


def initial_of(facility: Any) -> dict[str, Any]:
    names = [n for _t, group in FacilityForm.GROUPS for n in group if n != "estate"]
    initial: dict[str, Any] = {n: getattr(facility, n) for n in names}
    initial["allowed_estate_ids"] = [str(e) for e in facility.allowed_estate_ids]
    by_day: dict[int, list[str]] = {}
    for h in facility.opening_hours.all() if facility.pk else []:
        by_day.setdefault(h.weekday, []).append(
            f"{h.opens // 60:02d}:{h.opens % 60:02d}-{h.closes // 60:02d}:{h.closes % 60:02d}"
        )
    for day in range(7):
        initial[f"hours_{day}"] = ", ".join(by_day.get(day, []))
    return initial


class PhotoForm(forms.Form):
    image = UploadFormField(kind=FACILITY_PHOTO, label=_("Photo"))
    caption = forms.CharField(label=_("Caption"), max_length=100, required=False)


class ClosureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Closure.Kind.choices, widget=forms.RadioSelect, initial="one_off")
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("From (one-off)"), widget=DATETIME_INPUT, required=False)
    ends_at = forms.DateTimeField(label=_("Until (one-off)"), widget=DATETIME_INPUT, required=False)
    weekday = forms.TypedChoiceField(
        label=_("Weekday (weekly)"),
        choices=[("", "—")] + [(str(d), WEEKDAYS[d]) for d in range(7)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    start_minute = forms.TimeField(label=_("From (weekly)"), widget=TIME_INPUT, required=False)
    end_minute = forms.TimeField(label=_("Until (weekly)"), widget=TIME_INPUT, required=False)
    first_date = forms.DateField(label=_("First day (weekly)"), widget=DATE_INPUT, required=False)
    last_date = forms.DateField(label=_("Last day (weekly, blank: no end)"), widget=DATE_INPUT, required=False)

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)

        def minute(value: dt.time | None) -> int | None:
            if value is None:
                return None
            return value.hour * 60 + value.minute

        start, end = minute(data.get("start_minute")), minute(data.get("end_minute"))
        if end == 0 and start is not None:
            end = 24 * 60  # "until 00:00" = until midnight
        return {
            "kind": data.get("kind") or "",
            "reason": data.get("reason") or "",
            "starts_at": data.get("starts_at"),
            "ends_at": data.get("ends_at"),
            "weekday": data.get("weekday"),
            "start_minute": start,
            "end_minute": end,
            "first_date": data.get("first_date"),
            "last_date": data.get("last_date"),
        }


class BookingFilterForm(forms.Form):
    facility = forms.ChoiceField(label=_("Facility"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *BookingStatus.choices], required=False)
    date = forms.DateField(label=_("Day"), widget=DATE_INPUT, required=False)

    def __init__(self, *args: Any, facilities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [("", "—"), *facilities]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class StaffBookingForm(forms.Form):
    """Staff book for a home (typed as its unit label or number) or for a walk-in guest."""

    starts_at = forms.DateTimeField(label=_("From"), widget=DATETIME_INPUT)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=5)
    party_size = forms.IntegerField(label=_("People"), min_value=1, initial=1)
    unit = forms.CharField(label=_("Home (unit, e.g. 1栋 101)"), max_length=100, required=False)
    guest_name = forms.CharField(label=_("Or a guest's name"), max_length=60, required=False)
    guest_phone = forms.CharField(label=_("Guest's phone"), max_length=20, required=False)


class SeriesForm(forms.Form):
    """A weekly series for a home (typed as its unit label or number) or a named guest."""

    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=[(str(d), WEEKDAYS[d]) for d in range(7)], coerce=int)
    start_time = forms.TimeField(label=_("From"), widget=TIME_INPUT)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=5)
    first_date = forms.DateField(label=_("First day"), widget=DATE_INPUT)
    last_date = forms.DateField(label=_("Last day (blank: until ended)"), widget=DATE_INPUT, required=False)
    party_size = forms.IntegerField(label=_("People"), min_value=1, initial=1)
    unit = forms.CharField(label=_("Home (unit, e.g. 1栋 101)"), max_length=100, required=False)
    guest_name = forms.CharField(label=_("Or a guest's name"), max_length=60, required=False)
    guest_phone = forms.CharField(label=_("Guest's phone"), max_length=20, required=False)

    def first_start(self, tz: Any) -> dt.datetime:
        """The first occurrence: the first chosen weekday on or after the first day, at the time (local)."""
        data = self.cleaned_data
        day: dt.date = data["first_date"]
        day += dt.timedelta(days=(data["weekday"] - day.weekday()) % 7)
        start: dt.time = data["start_time"]
        return dt.datetime(day.year, day.month, day.day, start.hour, start.minute, tzinfo=tz)


class LiftForm(forms.Form):
    suspension = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ClubSettingsForm(forms.Form):
    charge_to_account = forms.BooleanField(
        label=_("Residents may charge paid bookings to their home's account"),
        help_text=_("The fee is left on the home's bills, to be paid like any other (and counted in arrears)."),
        required=False,
    )
