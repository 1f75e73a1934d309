"""Forms of the members pages: invite a colleague, change a member's roles and data scope."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.accounts.roles import Role
from portal.common.forms import scoped_choices, set_choices


class InvitationForm(forms.Form):
    email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)


class MemberEditForm(forms.Form):
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    scope_all = forms.BooleanField(label=_("Sees the whole company"), required=False)
    scope_office_ids = forms.MultipleChoiceField(
        label=_("…or only these management offices"), required=False, widget=forms.CheckboxSelectMultiple
    )
    scope_estate_ids = forms.MultipleChoiceField(
        label=_("…and these estates"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "scope_office_ids", scoped_choices(scope, "office"))
        set_choices(self, "scope_estate_ids", scoped_choices(scope, "estate"))
