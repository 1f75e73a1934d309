"""Forms of the resident pages: asking to be linked to a home."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.properties.models import OccupancyRole
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import BINDING_DOCUMENT


class BindRequestForm(forms.Form):
    estate = forms.ChoiceField(label=_("Estate"))
    building = forms.ChoiceField(label=_("Building"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    relation = forms.ChoiceField(label=_("You are the unit's"), choices=OccupancyRole.choices)
    document = UploadFormField(
        kind=BINDING_DOCUMENT,
        label=_("Photo of a document (optional)"),
        required=False,
        help_text=_("Property certificate or lease; JPEG, PNG or PDF up to 5 MB."),
    )
