"""Arrears and dunning (欠费催缴).

    billing-arrears        the work list: filters, aging summary, one row per unit in arrears
    billing-dunning-unit   one unit: its unpaid lines, contact history, log a contact, demand letter
    billing-demand-letter  the unit's demand letter (催缴函) as PDF (issuing it is logged)

Finance, customer service and company admins; every unit is looked up within the caller's data scope.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.billing.api_dunning import letter_response
from backend.billing.arrears import BUCKET_LABELS, BUCKETS, arrears_list, unit_arrears, unit_unpaid_lines
from backend.billing.dunning import contacts_of, dunning_contact_record
from backend.billing.letters import demand_letter_issue
from backend.errors import ApplicationError
from backend.properties.models import Occupancy, Unit
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.links import id_link
from portal.common.scope import scope_of
from portal.staff.dunning.forms import ArrearsFilterForm, DunningContactForm, LetterForm
from portal.staff.dunning.rows import arrears_rows_html
from tenants.http import CompanyRequest

PAGE_SIZE = 50


def _unit(request: CompanyRequest, pk: int) -> Unit:
    unit = (
        scope_of(request)
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
    scope = scope_of(request)
    form = ArrearsFilterForm(request.GET or None, scope=scope)
    ordering = request.GET.get("ordering", "-amount")
    query = arrears_list(scope=scope, filters=form.filters(), ordering=ordering)
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    # One statement for the page and the totals of the whole list; a page past the end shows the last one.
    rows, totals, number = query.page(number, PAGE_SIZE)
    unit_link = id_link("portal:billing-dunning-unit")
    for row in rows:
        row.url = unit_link(row.unit_id)  # type: ignore[attr-defined]
    page = Page(rows, number, Paginator(range(totals.units), PAGE_SIZE))  # type: ignore[misc]
    full_view = perms.PERSONAL_DATA_FULL.granted_to(request.membership)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "portal/staff/dunning/arrears.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "totals": totals,
            "buckets": [
                {"key": b, "label": BUCKET_LABELS[b], "amount": totals.aging[b], "units": totals.aging_units[b]}
                for b in BUCKETS
            ],
            "rows_html": arrears_rows_html(rows, full_view=full_view),
            "full_view": full_view,
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
        "portal/staff/dunning/unit.html",
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
        messages.error(request, error.text)
        return redirect("portal:billing-dunning-unit", pk=unit.pk)
    return letter_response(data, unit, download=False)
