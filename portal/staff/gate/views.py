"""The gate on a phone (security and the front desk). The gate check: scan a visitor pass's QR code with the
camera (portal/common/_qr_scan.html) or type its code, in or out; the page shows the pass with the result,
or the plain reason it may not pass (not yet, expired, used, cancelled, another estate), and for a car
leaving its parking time against the free minutes. Parcels: log one in two taps (the home from a search as
you type, the carrier; the tracking number typed or scanned, the shelf kept from the last one), the shelf
of waiting parcels, and the hand-over by pickup code with a signature drawn on the screen."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.gate import services
from backend.gate.models import Carrier, Direction, GateSettings, Parcel, ParcelStatus
from backend.gate.selectors import entries_visible, parcels_visible, parcels_waiting, units_search
from backend.gate.signature import signature_from_data_url
from backend.properties.models import Unit
from backend.uploads.kinds import PARCEL_SIGNATURE
from backend.uploads.serving import upload_response
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/gate"
SHELF_KEY = "gate_last_shelf"
CARRIER_KEY = "gate_last_carrier"
CODE_ATTRS = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "data-qr-target": ""}


class ScanForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Pass code"), max_length=40, widget=forms.TextInput(attrs={**CODE_ATTRS, "autofocus": ""})
    )
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"), choices=Direction.choices, initial=Direction.IN, widget=forms.RadioSelect
    )


@permission_required(perms.GATE_CHECK)
@require_http_methods(["GET", "POST"])
def gate(request: CompanyRequest) -> HttpResponse:
    form = ScanForm(request.POST or None)
    scope = scope_of(request)
    visitor_pass, entry, status = None, None, 200
    if request.method == "POST" and form.is_valid():
        code, direction = form.cleaned_data["code"], form.cleaned_data["direction"]
        try:
            entry = services.pass_scan(code=code, direction=direction, by=request.user, scope=scope)
        except ApplicationError as refused:
            add_service_errors(form, refused)
            status = refused.status if refused.status in (400, 403, 404, 409) else 400
            if refused.code not in ("not_found", "out_of_scope", "bad_code"):
                visitor_pass = services.pass_find(code=code, scope=scope)
        else:
            visitor_pass = entry.visitor_pass
            form = ScanForm(initial={"direction": direction})  # ready for the next one
    elif request.method == "POST":
        status = 400
    today = timezone.localdate()
    recent = (
        entries_visible(scope=scope)
        .filter(at__date=today)
        .select_related("visitor_pass", "visitor_pass__unit")
        .order_by("-at", "-pk")[:10]
    )
    return render(
        request,
        f"{TEMPLATES}/gate.html",
        {"form": form, "visitor_pass": visitor_pass, "entry": entry, "recent": list(recent)},
        status=status,
    )


@permission_required(perms.GATE_CHECK)
def gate_log(request: CompanyRequest) -> HttpResponse:
    """The gate's log for a day (today unless ?day=YYYY-MM-DD)."""
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or "")
    except ValueError:
        day = timezone.localdate()
    entries = (
        entries_visible(scope=scope_of(request))
        .filter(at__date=day)
        .select_related("visitor_pass", "visitor_pass__unit")
        .order_by("-at", "-pk")[:500]
    )
    return render(request, f"{TEMPLATES}/log.html", {"entries": list(entries), "day": day})


# --- parcels ----------------------------------------------------------------------------------------------------


class ParcelForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput)
    carrier = forms.ChoiceField(label=gettext_lazy("Carrier"), choices=Carrier.choices, widget=forms.RadioSelect)
    tracking_number = forms.CharField(
        label=gettext_lazy("Tracking number"),
        max_length=60,
        widget=forms.TextInput(attrs={**CODE_ATTRS, "inputmode": "text"}),
    )
    shelf = forms.CharField(label=gettext_lazy("Shelf"), max_length=20)


@permission_required(perms.GATE_PARCELS)
def parcels(request: CompanyRequest) -> HttpResponse:
    """The shelf: parcels waiting (oldest first), or ?q= a tracking number, pickup code or home."""
    q = (request.GET.get("q") or "").strip()
    scope = scope_of(request)
    if q:
        qs = parcels_visible(scope=scope).select_related("unit").order_by("-logged_at")
        qs = (
            qs.filter(tracking_number__icontains=q)
            | qs.filter(pickup_code=q)
            | qs.filter(unit__search_text__contains=q.lower())
        )
        shown = list(qs[:100])
    else:
        shown = list(parcels_waiting(scope=scope)[:300])
    days = GateSettings.load().parcel_reminder_days
    overdue_before = timezone.now() - dt.timedelta(days=days)
    return render(
        request,
        f"{TEMPLATES}/parcels.html",
        {"parcels": shown, "q": q, "overdue_before": overdue_before, "days": days},
    )


@permission_required(perms.GATE_PARCELS)
@require_http_methods(["GET", "POST"])
def parcel_new(request: CompanyRequest) -> HttpResponse:
    initial = {"shelf": request.session.get(SHELF_KEY, ""), "carrier": request.session.get(CARRIER_KEY, "")}
    form = ParcelForm(request.POST or None, initial=initial)
    unit_label = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            parcel = services.parcel_log(
                by=request.user,
                scope=scope_of(request),
                unit_id=data["unit"],
                carrier=data["carrier"],
                tracking_number=data["tracking_number"],
                shelf=data["shelf"],
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            request.session[SHELF_KEY], request.session[CARRIER_KEY] = parcel.shelf, parcel.carrier
            messages.success(
                request,
                _("Logged for %(home)s, shelf %(shelf)s: pickup code %(code)s. The home has been told.")
                % {"home": parcel.unit.label, "shelf": parcel.shelf, "code": parcel.pickup_code},
            )
            return redirect("portal:staff-gate-parcel-new")
    if form.is_bound and form.data.get("unit"):
        found = scope_of(request).filter_units(Unit.objects.all()).filter(pk=form.data.get("unit") or 0).first()
        unit_label = found.label if found else ""
    return render(
        request,
        f"{TEMPLATES}/parcel_new.html",
        {"form": form, "unit_label": unit_label, "text_fields": [form["tracking_number"], form["shelf"]]},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.GATE_PARCELS)
def parcel_units(request: CompanyRequest) -> HttpResponse:
    """The parcel form's home search (htmx, as you type): a few homes of the caller's estates to tap."""
    units = units_search(scope=scope_of(request), q=request.GET.get("q") or "")
    return render(request, f"{TEMPLATES}/_units.html", {"units": units, "q": request.GET.get("q") or ""})


class PickupForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Pickup code"),
        max_length=12,
        widget=forms.TextInput(attrs={**CODE_ATTRS, "inputmode": "numeric", "autofocus": ""}),
    )
    name = forms.CharField(label=gettext_lazy("Picked up by"), max_length=40, required=False)
    signature = forms.CharField(widget=forms.HiddenInput(attrs={"data-signature-value": ""}), required=False)


@permission_required(perms.GATE_PARCELS)
@require_http_methods(["GET", "POST"])
def parcel_pickup(request: CompanyRequest) -> HttpResponse:
    """GET ?code=: the parcel waiting with this code (to check it and sign); POST: hand it over."""
    scope = scope_of(request)
    status = 200
    parcel: Parcel | None = None
    if request.method == "POST":
        form = PickupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                signature = signature_from_data_url(data["signature"])
                collected = services.parcel_pickup(
                    code=data["code"], signature=signature, name=data["name"], by=request.user, scope=scope
                )
            except ApplicationError as error:
                add_service_errors(form, error)
                status = error.status if error.status in (400, 404, 409) else 400
                try:
                    parcel = services.parcel_find(code=data["code"], scope=scope)
                except ApplicationError:
                    parcel = None
            else:
                messages.success(
                    request,
                    _("Handed over: %(carrier)s %(tracking)s to %(name)s.")
                    % {
                        "carrier": collected.get_carrier_display(),
                        "tracking": collected.tracking_number,
                        "name": collected.collected_name,
                    },
                )
                return redirect("portal:staff-gate-pickup")
        else:
            status = 400
    else:
        form = PickupForm(initial={"code": request.GET.get("code") or ""})
        if request.GET.get("code"):
            try:
                parcel = services.parcel_find(code=request.GET["code"], scope=scope)
            except ApplicationError as error:
                form = PickupForm(request.GET)
                form.is_valid()
                add_service_errors(form, error)
                status = 404 if error.status == 404 else 400
    if parcel is not None:
        others = list(parcels_waiting(scope=scope).filter(unit_id=parcel.unit_id).exclude(pk=parcel.pk)[:10])
    else:
        others = []
    return render(
        request, f"{TEMPLATES}/pickup.html", {"form": form, "parcel": parcel, "others": others}, status=status
    )


@permission_required(perms.GATE_PARCELS)
@require_POST
def parcel_return(request: CompanyRequest, pk: int) -> HttpResponse:
    parcel = parcels_visible(scope=scope_of(request)).filter(pk=pk).first()
    if parcel is None:
        raise Http404
    try:
        services.parcel_return(parcel=parcel, by=request.user, reason=request.POST.get("reason") or "")
    except ApplicationError as error:
        messages.error(request, error.text)
    else:
        messages.success(request, _("Marked as returned to the carrier."))
    return redirect("portal:staff-gate-parcels")


@permission_required(perms.GATE_PARCELS)
def parcel_signature(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """The signature a parcel was picked up with (served through backend.uploads, sniffed again)."""
    parcel = parcels_visible(scope=scope_of(request)).filter(pk=pk, status=ParcelStatus.COLLECTED).first()
    if parcel is None or not parcel.signature:
        raise Http404
    return upload_response(parcel.signature, kind=PARCEL_SIGNATURE, download_name=f"signature-{parcel.pk}")


class GateSettingsForm(forms.Form):
    parcel_reminder_days = forms.IntegerField(
        label=gettext_lazy("Remind residents of parcels uncollected after (days)"), min_value=1, max_value=30
    )
    free_parking_minutes = forms.IntegerField(
        label=gettext_lazy("Free parking for a visitor's car (minutes)"), min_value=0, max_value=1440
    )
    pass_longest_days = forms.IntegerField(
        label=gettext_lazy("Longest a visitor pass may last (days)"), min_value=1, max_value=90
    )


@permission_required(perms.GATE_MANAGE)
@require_http_methods(["GET", "POST"])
def gate_settings(request: CompanyRequest) -> HttpResponse:
    current = GateSettings.load()
    form = GateSettingsForm(
        request.POST or None,
        initial={
            "parcel_reminder_days": current.parcel_reminder_days,
            "free_parking_minutes": current.free_parking_minutes,
            "pass_longest_days": current.pass_longest_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.gate_settings_save(**form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:staff-gate-settings")
    return render(
        request, f"{TEMPLATES}/settings.html", {"form": form}, status=400 if request.method == "POST" else 200
    )
