"""Portal forms. They collect input; services decide. Service field errors are put back on the form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from backend.accounts.passwords import password_reset_complete
from backend.accounts.roles import Role
from backend.errors import ApplicationError
from backend.properties.models import ImportJob, OccupancyRole, ParkingSpace, UnitStatus, UnitType
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import ANNOUNCEMENT_IMAGE, BINDING_DOCUMENT, REGISTRY_IMPORT
from tenants.db import connection


def add_service_errors(form: forms.BaseForm, error: ApplicationError) -> None:
    placed = False
    for field, messages in error.fields.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
    if not placed or not error.fields:
        form.add_error(None, error.message)


class ServiceValidatedForm(forms.Form):
    """The service checks every field and reports all errors at once, so nothing is required here."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class CompanySignupForm(ServiceValidatedForm):
    company_name = forms.CharField(label=_("Company name"), max_length=100)
    subdomain = forms.CharField(
        label=_("Subdomain"),
        max_length=40,
        help_text=_("Your portal address. Lowercase letters, digits and hyphens."),
    )
    admin_name = forms.CharField(label=_("Your name"), max_length=60)
    admin_email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput)
    admin_phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    admin_password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("E-mail or mobile phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ResidentSignupForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.CharField(label=_("E-mail (optional)"), max_length=254, required=False, widget=forms.EmailInput)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class InvitationForm(forms.Form):
    email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)


class InvitationAcceptForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    action = forms.CharField(label=_("Action"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class MemberPasswordResetForm(PasswordResetForm):
    """Password reset on a company domain reaches only that company's members."""

    def get_users(self, email: str):  # type: ignore[no-untyped-def]

        from backend.accounts.models import Membership

        tenant = connection.tenant
        member_ids = Membership.objects.filter(tenant=tenant, is_active=True).values("user_id")
        return (u for u in super().get_users(email) if u.pk in {m["user_id"] for m in member_ids})


class AuditedSetPasswordForm(SetPasswordForm):
    """The last step of a password reset: saves the password, lifts any sign-in lock, writes the audit log."""

    def save(self, commit: bool = True):  # type: ignore[no-untyped-def]
        return password_reset_complete(user=self.user, password=self.cleaned_data["new_password1"])


# --- property registry -----------------------------------------------------------------------------


def set_choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _scoped_choices(scope, model: str, blank: str | None = None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from backend.properties import selectors

    rows = {
        "office": lambda: [(str(o.pk), o.name) for o in selectors.office_list(scope=scope).order_by("name")],
        "estate": lambda: [(str(e.pk), e.name) for e in selectors.estate_list(scope=scope).order_by("name")],
        "building": lambda: [
            (str(b.pk), f"{b.estate.name} {b.name}")
            for b in selectors.building_list(scope=scope).order_by("estate__name", "name")
        ],
    }[model]()
    return ([("", blank)] if blank is not None else []) + rows


class OfficeForm(forms.Form):
    name = forms.CharField(label=_("Office name"), max_length=60)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


class EstateForm(forms.Form):
    office = forms.ChoiceField(label=_("Management office"))
    name = forms.CharField(label=_("Estate name"), max_length=60)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "office", _scoped_choices(scope, "office"))


class BuildingForm(forms.Form):
    estate = forms.ChoiceField(label=_("Estate"))
    name = forms.CharField(label=_("Building name"), max_length=40, help_text=_("e.g. 3栋"))

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "estate", _scoped_choices(scope, "estate"))


class ParkingForm(forms.Form):
    estate = forms.ChoiceField(label=_("Estate"))
    number = forms.CharField(label=_("Space number"), max_length=20, help_text=_("e.g. B1-023"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ParkingSpace.Kind.choices)

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "estate", _scoped_choices(scope, "estate"))


class IntListField(forms.CharField):
    def to_python(self, value):  # type: ignore[no-untyped-def]
        text = super().to_python(value) or ""
        try:
            return sorted({int(p) for p in text.replace("，", ",").replace(" ", ",").split(",") if p.strip()})
        except ValueError as exc:
            raise forms.ValidationError(_("List floor numbers separated by commas, e.g. 4, 13.")) from exc


class GenerateUnitsForm(forms.Form):
    first_floor = forms.IntegerField(label=_("First floor"), initial=1, min_value=-10, max_value=300)
    last_floor = forms.IntegerField(label=_("Last floor"), min_value=-10, max_value=300)
    units_per_floor = forms.IntegerField(label=_("Units per floor"), min_value=1, max_value=200)
    pattern = forms.CharField(
        label=_("Numbering pattern"),
        initial="{floor}{unit:02d}",
        max_length=40,
        help_text=_("{floor}{unit:02d} gives 1201 for floor 12, unit 1."),
    )
    skip_floors = IntListField(label=_("Floors to skip"), required=False, help_text=_("e.g. 4, 13"))
    area = forms.DecimalField(
        label=_("Building area per unit (m²)"), max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    unit_type = forms.ChoiceField(label=_("Type"), choices=UnitType.choices, initial=UnitType.RESIDENTIAL)


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("Unit number contains"), required=False)
    estate = forms.ChoiceField(label=_("Estate"), required=False)
    building = forms.ChoiceField(label=_("Building"), required=False)
    unit_type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", "—"), *UnitType.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *UnitStatus.choices])
    floor = forms.IntegerField(label=_("Floor"), required=False)

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "estate", _scoped_choices(scope, "estate", "—"))
        set_choices(self, "building", _scoped_choices(scope, "building", "—"))


class UnitBulkForm(forms.Form):
    unit_type = forms.ChoiceField(label=_("Set type"), required=False, choices=[("", "—"), *UnitType.choices])
    status = forms.ChoiceField(label=_("Set status"), required=False, choices=[("", "—"), *UnitStatus.choices])
    area = forms.DecimalField(label=_("Set area (m²)"), required=False, max_digits=10, decimal_places=2)


class MoveInForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=forms.TextInput(attrs={"type": "tel"}))
    id_number = forms.CharField(
        label=_("ID number"), max_length=30, help_text=_("An existing person with this ID number is reused.")
    )
    birthday = forms.DateField(label=_("Birthday"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    role = forms.ChoiceField(label=_("Role"), choices=OccupancyRole.choices)
    start_date = forms.DateField(
        label=_("Moved in on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["role"].required = True
        self.fields["start_date"].required = True


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices)
    file = UploadFormField(kind=REGISTRY_IMPORT, label=_(".xlsx file"))


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
        set_choices(self, "scope_office_ids", _scoped_choices(scope, "office"))
        set_choices(self, "scope_estate_ids", _scoped_choices(scope, "estate"))


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
        set_choices(self, "estate_ids", _scoped_choices(scope, "estate"))
        set_choices(self, "building_ids", _scoped_choices(scope, "building"))


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    name = forms.CharField(label=_("Holiday"), max_length=40)
    greeting = forms.CharField(label=_("Greeting"), max_length=300)
