"""Forms of the merchant portal. They collect input; the marketplace services check it and report every wrong
field at once (ServiceValidatedForm), which the views put back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import MERCHANT_LICENCE, PRODUCT_PHOTO
from marketplace.models import ListingKind
from marketplace.selectors_merchant import category_leaves
from portal.common.forms import DATE_INPUT, ServiceValidatedForm
from portal.common.money_forms import YuanField

TEL = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})


def category_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.parent.name if c.parent else ''} · {c.name}") for c in category_leaves()]


class _CategoriesMixin:
    def _set_categories(self) -> None:
        self.fields["category_codes"].choices = category_choices()  # type: ignore[attr-defined]


class SignupForm(_CategoriesMixin, ServiceValidatedForm):
    name = forms.CharField(label=_("Business name"), max_length=100)
    licence_number = forms.CharField(
        label=_("Licence number (统一社会信用代码)"),
        max_length=40,
        help_text=_("The 18 characters on the business licence."),
    )
    licence = UploadFormField(kind=MERCHANT_LICENCE, label=_("Photo of the business licence (营业执照)"))
    contact_name = forms.CharField(label=_("Contact person"), max_length=60)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, widget=TEL)
    address = forms.CharField(label=_("Business address"), max_length=200)
    service_area = forms.CharField(
        label=_("Service area"), max_length=200, help_text=_("e.g. within 1 km of 阳光路, or 浦东新区")
    )
    category_codes = forms.MultipleChoiceField(label=_("Categories"), widget=forms.CheckboxSelectMultiple)
    owner_name = forms.CharField(label=_("Your name"), max_length=60)
    owner_email = forms.CharField(label=_("E-mail"), max_length=254, widget=forms.EmailInput)
    owner_phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=TEL)
    owner_password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_categories()


class ProfileForm(_CategoriesMixin, ServiceValidatedForm):
    name = forms.CharField(label=_("Business name"), max_length=100)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, widget=TEL)
    address = forms.CharField(label=_("Business address"), max_length=200)
    service_area = forms.CharField(label=_("Service area"), max_length=200)
    description = forms.CharField(label=_("About the business"), widget=forms.Textarea(attrs={"rows": 3}))
    category_codes = forms.MultipleChoiceField(label=_("Categories"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_categories()


class LicenceForm(ServiceValidatedForm):
    licence_number = forms.CharField(label=_("Licence number (统一社会信用代码)"), max_length=40)
    licence = UploadFormField(kind=MERCHANT_LICENCE, label=_("Photo of the renewed licence"))


class ClerkForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30, widget=TEL)
    email = forms.CharField(label=_("E-mail (optional)"), max_length=254, widget=forms.EmailInput)
    password = forms.CharField(
        label=_("Password for the clerk"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ApplicationForm(ServiceValidatedForm):
    estate_ids = forms.TypedMultipleChoiceField(
        label=_("Estates you want to serve"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    category_codes = forms.MultipleChoiceField(label=_("Categories"), widget=forms.CheckboxSelectMultiple)
    message = forms.CharField(label=_("Message to the company"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, estates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate_ids"].choices = [(str(i), n) for i, n in estates]  # type: ignore[attr-defined]
        self.fields["category_codes"].choices = category_choices()  # type: ignore[attr-defined]


class ListingForm(ServiceValidatedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ListingKind.choices, widget=forms.RadioSelect)
    category_code = forms.ChoiceField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=80)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    price_fen = YuanField(label=_("Price (¥)"))
    unit = forms.CharField(label=_("Unit"), max_length=10, help_text=_("e.g. 斤, 份, 次, 小时"))
    per_order_limit = forms.IntegerField(label=_("Limit per order"), min_value=1, help_text=_("Empty: no limit"))
    stock = forms.IntegerField(label=_("Stock (goods)"), min_value=0, help_text=_("Empty: unlimited"))
    duration_minutes = forms.IntegerField(label=_("Duration in minutes (services)"), min_value=1)
    service_area = forms.CharField(label=_("Service area (services)"), max_length=200)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category_code"].choices = [("", "—"), *category_choices()]  # type: ignore[attr-defined]
        if editing:
            del self.fields["kind"]


class VariantForm(ServiceValidatedForm):
    name = forms.CharField(label=_("Variant"), max_length=40, help_text=_("e.g. 500g, 大份"))
    price_fen = YuanField(label=_("Price (¥)"))
    stock = forms.IntegerField(label=_("Stock"), min_value=0, help_text=_("Empty: unlimited"))


class PhotoForm(forms.Form):
    photo = UploadFormField(kind=PRODUCT_PHOTO, label=_("Add a photo"))


class SlotSeriesForm(ServiceValidatedForm):
    WEEKDAYS = [
        ("0", _("Mon")),
        ("1", _("Tue")),
        ("2", _("Wed")),
        ("3", _("Thu")),
        ("4", _("Fri")),
        ("5", _("Sat")),
        ("6", _("Sun")),
    ]
    first_date = forms.DateField(label=_("From"), widget=DATE_INPUT)
    last_date = forms.DateField(label=_("Until"), widget=DATE_INPUT)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_times = forms.CharField(label=_("Start times"), help_text=_("e.g. 09:00, 14:00"))
    capacity = forms.IntegerField(label=_("Bookings per slot"), min_value=1)

    def clean_start_times(self) -> list[Any]:
        import datetime as dt

        raw = self.cleaned_data.get("start_times") or ""
        times = []
        for part in raw.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                times.append(dt.time.fromisoformat(part if len(part) > 4 else f"0{part}"))
            except ValueError:
                raise forms.ValidationError(_("Write times as 09:00, separated by commas.")) from None
        return times


class SlotCapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("Places"), min_value=1)


class SpecialForm(ServiceValidatedForm):
    listing_id = forms.TypedChoiceField(label=_("Listing"), coerce=int)
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    price_fen = YuanField(label=_("Special price (¥)"))

    def __init__(self, *args: Any, listings: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["listing_id"].choices = [("", "—"), *[(str(i), t) for i, t in listings]]  # type: ignore[attr-defined]


class DealForm(ServiceValidatedForm):
    """A group-buy (团购) deal: the service (marketplace/groupbuy/services.py) checks the terms."""

    company = forms.TypedChoiceField(label=_("Company"), coerce=int)
    listing = forms.TypedChoiceField(label=_("Listing"), coerce=int)
    group_price_fen = YuanField(label=_("Group price (¥)"))
    min_participants = forms.IntegerField(label=_("Minimum participants"), min_value=1)
    max_participants = forms.IntegerField(label=_("Maximum participants"), min_value=1)
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(
        self, *args: Any, companies: list[tuple[int, str]], listings: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [("", "—"), *[(str(i), n) for i, n in companies]]  # type: ignore[attr-defined]
        self.fields["listing"].choices = [("", "—"), *[(str(i), t) for i, t in listings]]  # type: ignore[attr-defined]
