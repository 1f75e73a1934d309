"""Forms of the staff notification pages: publishing an announcement, the holiday calendar."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.accounts.roles import Role
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE
from portal.common.forms import ServiceValidatedForm, scoped_choices, set_choices


class AnnouncementForm(ServiceValidatedForm):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Simple formatting is kept: bold, italics, lists, links."),
    )
    target_all = forms.BooleanField(label=_("Whole company"))
    estate_ids = forms.MultipleChoiceField(label=_("Estates"), widget=forms.CheckboxSelectMultiple)
    building_ids = forms.MultipleChoiceField(label=_("Buildings"), widget=forms.CheckboxSelectMultiple)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    publish_at = forms.DateTimeField(
        label=_("Publish at (empty: now)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    pinned = forms.BooleanField(label=_("Pin to the top"))
    image = UploadFormField(kind=ANNOUNCEMENT_IMAGE, label=_("Image"))

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "estate_ids", scoped_choices(scope, "estate"))
        set_choices(self, "building_ids", scoped_choices(scope, "building"))


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    name = forms.CharField(label=_("Holiday"), max_length=40)
    greeting = forms.CharField(label=_("Greeting"), max_length=300)
