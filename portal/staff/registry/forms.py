"""Forms of the property registry pages (房产档案): offices, estates, buildings, parking, unit
generation, unit filters and bulk edits, moving in, imports."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.properties.models import ImportJob, OccupancyRole, ParkingSpace, UnitStatus, UnitType
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import REGISTRY_IMPORT
from portal.common.forms import IntListField, ServiceValidatedForm, scoped_choices, set_choices


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
        set_choices(self, "office", scoped_choices(scope, "office"))


class BuildingForm(forms.Form):
    estate = forms.ChoiceField(label=_("Estate"))
    name = forms.CharField(label=_("Building name"), max_length=40, help_text=_("e.g. 3栋"))

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "estate", scoped_choices(scope, "estate"))


class ParkingForm(forms.Form):
    estate = forms.ChoiceField(label=_("Estate"))
    number = forms.CharField(label=_("Space number"), max_length=20, help_text=_("e.g. B1-023"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ParkingSpace.Kind.choices)

    def __init__(self, *args, scope, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        set_choices(self, "estate", scoped_choices(scope, "estate"))


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
        set_choices(self, "estate", scoped_choices(scope, "estate", "—"))
        set_choices(self, "building", scoped_choices(scope, "building", "—"))


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
