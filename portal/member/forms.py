"""Forms of the pages every member has: notification preferences."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    quiet_start = forms.TimeField(
        label=_("No SMS from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        label=_("until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args, kinds, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for k in kinds:
            self.fields[f"{k['kind']}__email"] = forms.BooleanField(
                required=False, initial=k["email"], label=_("E-mail")
            )
            self.fields[f"{k['kind']}__sms"] = forms.BooleanField(required=False, initial=k["sms"], label=_("SMS"))

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean() or {}
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            self.add_error("quiet_end", _("Give both ends of the quiet hours, or neither."))
        return data
