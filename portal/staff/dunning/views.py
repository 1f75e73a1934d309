"""Portal pages: arrears and dunning (欠费催缴). Routes are added to portal/urls_tenant.py through `urlpatterns`.

    billing-arrears        the work list: filters, aging summary, one row per unit in arrears
    billing-dunning-unit   one unit: its unpaid lines, contact history, log a contact, demand letter
    billing-demand-letter  the unit's demand letter (催缴函) as PDF (issuing it is logged)

Finance, customer service and company admins; every unit is looked up within the caller's data scope.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.api_dunning import letter_response
from backend.billing.arrears import (
    BUCKET_LABELS,
    BUCKETS,
    ArrearsFilters,
    arrears_list,
    unit_arrears,
    unit_unpaid_lines,
)
from backend.billing.dunning import contacts_of, dunning_contact_record
from backend.billing.letters import demand_letter_issue
from backend.billing.models import DunningContact, FeeItem
from backend.billing.money import parse_yuan
from backend.errors import ApplicationError
from backend.properties import selectors as registry
from backend.properties.models import Occupancy, Unit
from backend.properties.scope import Scope
from tenants.http import CompanyRequest

from ..access import permission_required
from ..forms import ServiceValidatedForm, add_service_errors

PAGE_SIZE = 50
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ArrearsFilterForm(forms.Form):
    estate = forms.ChoiceField(label=gettext_lazy("Estate"), required=False)
    building = forms.ChoiceField(label=gettext_lazy("Building"), required=False)
    fee_item = forms.ChoiceField(label=gettext_lazy("Fee item"), required=False)
    min_amount = forms.CharField(
        label=gettext_lazy("Owes at least (¥)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    bucket = forms.ChoiceField(
        label=gettext_lazy("Overdue (days)"),
        required=False,
        choices=[("", "—"), *((b, BUCKET_LABELS[b]) for b in BUCKETS)],
    )
    follow_up_due = forms.BooleanField(label=gettext_lazy("Follow-up due only"), required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        estates = registry.estate_list(scope=scope).order_by("name")
        buildings = registry.building_list(scope=scope).select_related("estate").order_by("estate__name", "name")
        items = FeeItem.objects.filter(office__in=registry.office_list(scope=scope)).order_by("name", "id")
        self._choices("estate", [(str(e.pk), e.name) for e in estates])
        self._choices("building", [(str(b.pk), f"{b.estate.name} {b.name}") for b in buildings])
        self._choices("fee_item", [(str(i.pk), i.name) for i in items])

    def _choices(self, name: str, rows: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *rows]

    def clean_min_amount(self) -> int | None:
        raw = self.cleaned_data.get("min_amount") or ""
        if not raw.strip():
            return None
        try:
            return parse_yuan(raw)
        except ValueError as error:
            raise forms.ValidationError(_(str(error))) from None

    def filters(self) -> ArrearsFilters:
        if not self.is_bound:
            return ArrearsFilters()
        data = self.cleaned_data if self.is_valid() else {}

        def num(name: str) -> int | None:
            return int(data[name]) if data.get(name) else None

        return ArrearsFilters(
            estate_id=num("estate"),
            building_id=num("building"),
            fee_item_id=num("fee_item"),
            min_amount=data.get("min_amount"),
            bucket=data.get("bucket") or "",
            follow_up_due=bool(data.get("follow_up_due")),
        )


class DunningContactForm(ServiceValidatedForm):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[("", "—"), *DunningContact.Channel.choices])
    contact_name = forms.CharField(label=gettext_lazy("Spoke with"), max_length=60)
    category = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=[("", "—"), *DunningContact.Category.choices])
    promised_date = forms.DateField(
        label=gettext_lazy("Promised payment date"),
        widget=DATE_INPUT,
        help_text=gettext_lazy("Only for a promise to pay; we remind you the day before."),
    )
    summary = forms.CharField(
        label=gettext_lazy("What was said"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class LetterForm(forms.Form):
    deadline = forms.DateField(label=gettext_lazy("Pay by"), required=False, widget=DATE_INPUT)


def _scope(request: CompanyRequest) -> Scope:
    return Scope.of(request.membership)


def _unit(request: CompanyRequest, pk: int) -> Unit:
    unit = (
        _scope(request)
        .filter_units(Unit.objects.all())
        .select_related("estate", "building", "office")
        .filter(pk=pk)
        .first()
    )
    if unit is None:
        raise Http404
    return unit


@permission_required(perms.DUNNING)
def arrears(request: CompanyRequest) -> HttpResponse:
    """The dunning work list."""
    scope = _scope(request)
    form = ArrearsFilterForm(request.GET or None, scope=scope)
    ordering = request.GET.get("ordering", "-amount")
    query = arrears_list(scope=scope, filters=form.filters(), ordering=ordering)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    # One statement for the page and the totals of the whole list; a page past the end shows the last one.
    rows, totals, number = query.page(number, PAGE_SIZE)
    page = Page(rows, number, Paginator(range(totals.units), PAGE_SIZE))  # type: ignore[misc]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "portal/billing/dunning/arrears.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "totals": totals,
            "buckets": [
                {"key": b, "label": BUCKET_LABELS[b], "amount": totals.aging[b], "units": totals.aging_units[b]}
                for b in BUCKETS
            ],
            "full_view": perms.PERSONAL_DATA_FULL.granted_to(request.membership),
            "ordering": ordering,
            "today": timezone.localdate(),
        },
        status=200 if (not form.is_bound or form.is_valid()) else 400,
    )


@permission_required(perms.DUNNING)
@require_http_methods(["GET", "POST"])
def dunning_unit(request: CompanyRequest, pk: int) -> HttpResponse:
    """One unit in arrears: what it owes, who was contacted, log a contact, issue the demand letter."""
    unit = _unit(request, pk)
    form = DunningContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dunning_contact_record(
                unit=unit,
                staff=request.user,
                channel=data["channel"] or "",
                contact_name=data["contact_name"] or "",
                summary=data["summary"] or "",
                category=data["category"] or "",
                promised_date=data["promised_date"],
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Contact logged."))
            return redirect("portal:billing-dunning-unit", pk=unit.pk)
    lines = unit_unpaid_lines(unit.pk)
    occupants = list(
        Occupancy.objects.filter(unit=unit, end_date__isnull=True).select_related("person").order_by("start_date", "id")
    )
    occupants.sort(key=lambda o: o.role != "owner")
    return render(
        request,
        "portal/billing/dunning/unit.html",
        {
            "unit": unit,
            "row": unit_arrears(unit.pk),
            "lines": lines,
            "total": sum(int(line.owed) for line in lines),  # type: ignore[attr-defined,misc]
            "occupants": occupants,
            "contacts": contacts_of(unit.pk),
            "form": form,
            "letter_form": LetterForm(),
            "full_view": perms.PERSONAL_DATA_FULL.granted_to(request.membership),
        },
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.DUNNING)
def demand_letter(request: CompanyRequest, pk: int) -> HttpResponse:
    """The demand letter as PDF. Issuing it logs a contact (channel letter) and an audit entry."""
    unit = _unit(request, pk)
    letter = LetterForm(request.GET or None)
    deadline = letter.cleaned_data.get("deadline") if letter.is_bound and letter.is_valid() else None
    if letter.is_bound and not letter.is_valid():
        messages.error(request, _("Write the deadline as a date, e.g. 2026-07-31."))
        return redirect("portal:billing-dunning-unit", pk=unit.pk)
    try:
        data, _contact = demand_letter_issue(unit=unit, by=request.user, deadline=deadline)
    except ApplicationError as error:
        messages.error(request, " ".join(m for ms in error.fields.values() for m in ms) or error.message)
        return redirect("portal:billing-dunning-unit", pk=unit.pk)
    return letter_response(data, unit, download=False)


urlpatterns: list[URLPattern] = [
    path("staff/billing/arrears/", arrears, name="billing-arrears"),
    path("staff/billing/arrears/<int:pk>/", dunning_unit, name="billing-dunning-unit"),
    path("staff/billing/arrears/<int:pk>/letter.pdf", demand_letter, name="billing-demand-letter"),
]
