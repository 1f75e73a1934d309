from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.club.models import BookingMode, Facility
from backend.properties.models import Unit
from portal.common.forms import DATE_INPUT

from .grid import length_choices


class BookingForm(forms.Form):
    """A resident's booking: the start (a cell of the grid), its length in free-length facilities, the party
    and the home. The service checks everything else and its errors land on these fields' names."""

    starts_at = forms.CharField(label=_("Time"), widget=forms.HiddenInput)
    minutes = forms.ChoiceField(label=_("Length"), required=False)
    party_size = forms.IntegerField(label=_("People"), min_value=1, initial=1)
    unit = forms.ChoiceField(label=_("Home"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    # Only where residents may book a weekly series (free facilities that allow it): "every week until".
    last_date = forms.DateField(label=_("Every week until"), required=False, widget=DATE_INPUT)

    def __init__(self, *args: Any, facility: Facility, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.fields["unit"].choices = [(str(u.pk), u.label) for u in units]  # type: ignore[attr-defined]
        if len(units) == 1:
            self.fields["unit"].initial = str(units[0].pk)
            self.fields["unit"].widget = forms.HiddenInput()
        if facility.booking_mode == BookingMode.FREE:
            self.fields["minutes"].choices = length_choices(facility)  # type: ignore[attr-defined]
            self.fields["minutes"].required = True
            self.fields["minutes"].initial = str(facility.min_minutes)
        else:
            del self.fields["minutes"]
        self.fields["party_size"].widget.attrs.update({"max": facility.max_party_size, "inputmode": "numeric"})
        if facility.max_party_size == 1:
            self.fields["party_size"].widget = forms.HiddenInput()
        if not self.offers_series:
            del self.fields["last_date"]
        else:
            self.fields["last_date"].help_text = _("Leave it empty to repeat as far ahead as bookings go.")

    @property
    def offers_series(self) -> bool:
        return bool(self.facility.residents_may_recur and not self.facility.is_paid)

    def clean_starts_at(self) -> dt.datetime:
        raw = self.cleaned_data["starts_at"]
        try:
            moment = dt.datetime.fromisoformat(str(raw))
        except ValueError:
            raise forms.ValidationError(_("Choose a time in the grid.")) from None
        if moment.tzinfo is None:
            raise forms.ValidationError(_("Choose a time in the grid."))
        return moment

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        start: dt.datetime = self.cleaned_data["starts_at"]
        if self.facility.booking_mode == BookingMode.FREE:
            minutes = int(self.cleaned_data["minutes"])
        else:
            minutes = self.facility.slot_minutes
        return start, start + dt.timedelta(minutes=minutes)
