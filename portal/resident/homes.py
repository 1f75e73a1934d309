"""Resident pages: asking to be bound to a unit (the home page with my units and requests: home.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.properties import services
from backend.properties.models import Building, Estate, Unit
from portal.access import permission_required
from portal.common.forms import add_service_errors, set_choices
from portal.resident.forms import BindRequestForm
from tenants.http import CompanyRequest


def _bind_choices(form: BindRequestForm, estate_id: str, building_id: str) -> None:
    # Residents pick from the company's whole registry: estate, building and unit names are not personal data.
    set_choices(form, "estate", [("", "—")] + [(str(e.pk), e.name) for e in Estate.objects.order_by("name")])
    buildings = Building.objects.filter(estate_id=estate_id).order_by("name") if estate_id.isdigit() else []
    set_choices(form, "building", [("", "—")] + [(str(b.pk), b.name) for b in buildings])
    units = (
        Unit.objects.filter(building_id=building_id, building__estate_id=estate_id).order_by("floor", "number")
        if building_id.isdigit() and estate_id.isdigit()
        else []
    )
    set_choices(form, "unit", [("", "—")] + [(str(u.pk), u.number) for u in units])


@permission_required(perms.BINDING_REQUEST)
@require_http_methods(["GET", "POST"])
def bind(request: CompanyRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    form = BindRequestForm(
        request.POST or None,
        request.FILES or None,
        initial={"estate": data.get("estate"), "building": data.get("building")},
    )
    _bind_choices(form, data.get("estate", ""), data.get("building", ""))
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        # The estate or building select changed: send back the dependent selects.
        return render(request, "portal/resident/_bind_selects.html", {"form": form})
    if request.method == "POST" and form.is_valid():
        try:
            services.binding_request_create(
                user=request.user,
                unit_id=int(form.cleaned_data["unit"] or 0),
                relation=form.cleaned_data["relation"],
                document=form.cleaned_data.get("document"),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Request sent. The service desk will check it and let you know."))
            return redirect("portal:resident-home")
    return render(request, "portal/resident/bind.html", {"form": form}, status=400 if request.method == "POST" else 200)
