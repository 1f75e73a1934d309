"""The company's club settings, for company admins: whether residents may charge paid bookings to their home's
account. Written through backend.club.club_settings (audited)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.club.club_settings import club_settings_update
from backend.club.models import ClubSettings
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from tenants.http import CompanyRequest

from .facilities import TEMPLATES
from .forms import ClubSettingsForm


@permission_required(perms.CLUB_SETTINGS)
@require_http_methods(["GET", "POST"])
def club_settings(request: CompanyRequest) -> HttpResponse:
    current = ClubSettings.load()
    form = ClubSettingsForm(
        request.POST if request.method == "POST" else None, initial={"charge_to_account": current.charge_to_account}
    )
    if request.method == "POST" and form.is_valid():
        try:
            club_settings_update(charge_to_account=form.cleaned_data["charge_to_account"], by=request.user)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Club settings saved."))
            return redirect("portal:staff-club-settings")
    return render(
        request,
        f"{TEMPLATES}/settings.html",
        {"form": form, "settings": current},
        status=400 if request.method == "POST" else 200,
    )
