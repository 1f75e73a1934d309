"""Forms of the training-class staff pages. They collect input; the services (backend/club/classes.py) check it
and their field errors are put back on the form. Times are typed in the company's time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.club.models import RefundPolicy
from portal.common.forms import ServiceValidatedForm
from portal.common.money_forms import YuanField
from tenants.db import company_time_zone

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """A naive time typed on the page, in the company's zone."""
    if value is None:
        return None
    return value.replace(tzinfo=company_time_zone()) if value.tzinfo is None else value


def local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as the page shows it (company's zone, no zone)."""
    return value.astimezone(company_time_zone()).replace(tzinfo=None) if value is not None else None


class TeacherForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    share_percent = forms.IntegerField(
        label=_("Teacher's share (%)"),
        min_value=0,
        max_value=100,
        help_text=_("60 means the teacher gets 60% of each class's income and the company 40%."),
    )
    is_active = forms.BooleanField(label=_("Active"), initial=True)


class ClassForm(ServiceValidatedForm):
    facility = forms.TypedChoiceField(label=_("Facility"), coerce=int, empty_value=None)
    teacher = forms.TypedChoiceField(label=_("Teacher"), coerce=int, empty_value=None)
    title = forms.CharField(label=_("Title"), max_length=80)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=10000)
    price_fen = YuanField(label=_("Fee for the whole course (¥)"), empty_zero=True, positive=False)
    fee_item = forms.TypedChoiceField(
        label=_("Charged as (fee item)"),
        coerce=int,
        empty_value=None,
        help_text=_("Required when the class has a fee: the item of the facility's office it is billed as."),
    )
    refund_policy = forms.ChoiceField(label=_("Refund on withdrawal"), choices=RefundPolicy.choices)
    hold_minutes = forms.IntegerField(
        label=_("An unpaid enrolment waits for payment (minutes)"),
        min_value=5,
        max_value=7 * 24 * 60,
        initial=30,
        help_text=_("After this the seat is given up and nothing is owed, unless a payment is under way."),
    )
    enrol_opens_at = forms.DateTimeField(label=_("Enrolment opens"), widget=DATETIME_INPUT)
    enrol_closes_at = forms.DateTimeField(label=_("Enrolment closes"), widget=DATETIME_INPUT)

    def __init__(
        self,
        *args: Any,
        facilities: list[tuple[Any, str]],
        teachers: list[tuple[Any, str]],
        fee_items: list[tuple[Any, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [("", "—"), *facilities]  # type: ignore[attr-defined]
        self.fields["teacher"].choices = [("", "—"), *teachers]  # type: ignore[attr-defined]
        self.fields["fee_item"].choices = [("", _("None (a free class)")), *fee_items]  # type: ignore[attr-defined]
        if editing:
            del self.fields["facility"]

    def values(self) -> dict[str, Any]:
        """The cleaned input as the service takes it (the teacher and fee item still as ids)."""
        data = dict(self.cleaned_data)
        data.pop("facility", None)
        data["description"] = data.get("description") or ""
        data["enrol_opens_at"] = aware(data.get("enrol_opens_at"))
        data["enrol_closes_at"] = aware(data.get("enrol_closes_at"))
        if not data.get("refund_policy"):
            data["refund_policy"] = RefundPolicy.PRO_RATA
        if data.get("hold_minutes") is None:
            data["hold_minutes"] = 30
        return data


class SessionForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    starts_at = forms.TimeField(label=_("From"), widget=TIME_INPUT)
    ends_at = forms.TimeField(label=_("Until"), widget=TIME_INPUT)

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        tz = company_time_zone()
        day: dt.date = self.cleaned_data["day"]
        start = dt.datetime.combine(day, self.cleaned_data["starts_at"], tzinfo=tz)
        end = dt.datetime.combine(day, self.cleaned_data["ends_at"], tzinfo=tz)
        return start, end


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class StatementForm(forms.Form):
    teacher = forms.TypedChoiceField(label=_("Teacher"), coerce=int)
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, *args: Any, teachers: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = teachers  # type: ignore[attr-defined]


def attendance_form(
    enrolments: list[Any], marks: dict[int, str], choices: list[tuple[str, str]], data: Any = None
) -> forms.Form:
    """One radio group per enrolment (mark_<id>), filled with the marks made so far."""
    form = forms.Form(data)
    for e in enrolments:
        form.fields[f"mark_{e.pk}"] = forms.ChoiceField(
            label=e.participant or e.unit.label,
            choices=choices,
            required=False,
            widget=forms.RadioSelect,
            initial=marks.get(e.pk),
        )
    return form
