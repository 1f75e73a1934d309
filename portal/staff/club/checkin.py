"""Check-in at the door, on a phone (security and the front desk, perms.CLUB_CHECKIN): scan the booking's QR
code with the camera (portal/common/_qr_scan.html) or type its code. The page shows the booking (facility,
time, home or guest, party) with the result, or the plain reason it cannot be checked in (too early, too
late, another day, checked in already, cancelled…) as the code field's message. The check-in itself is
backend.club.checkin.booking_check_in; a booking outside the caller's estates or company is not shown."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.club.checkin import booking_check_in, code_clean
from backend.club.selectors import booking_list
from backend.errors import ApplicationError
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

from .facilities import TEMPLATES


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Booking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "data-qr-target": "",
                "autofocus": "",
            }
        ),
    )


@permission_required(perms.CLUB_CHECKIN)
@require_http_methods(["GET", "POST"])
def check_in(request: CompanyRequest) -> HttpResponse:
    form = CheckInForm(request.POST or None)
    booking, checked_in, status = None, False, 200
    if request.method == "POST" and form.is_valid():
        scope, code = scope_of(request), form.cleaned_data["code"]
        try:
            booking = booking_check_in(code=code, by=request.user, scope=scope)
        except ApplicationError as refused:
            add_service_errors(form, refused)
            status = refused.status if refused.status in (400, 403, 404, 409) else 400
            # The booking the code names, when it is one of the caller's facilities: what is refused, and why.
            booking = booking_list(scope=scope).filter(code=code_clean(code)).first()
        else:
            checked_in = True
            form = CheckInForm()  # ready for the next one
    elif request.method == "POST":
        status = 400
    return render(
        request,
        f"{TEMPLATES}/checkin.html",
        {"form": form, "booking": booking, "checked_in": checked_in},
        status=status,
    )
