"""The resident's gate pages (phone first). Visitor passes: issue one for a home (the visitor's name, a car
plate or none, from and until, one entry or several), see it as a QR code with a text and a link to send the
visitor (the link opens the visitor's page, no sign-in needed), follow its entries, cancel it. Parcels: the
home's parcels waiting, each with its pickup code and shelf, and those picked up. Only the resident's
current homes' passes and parcels are found (backend.gate.selectors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.gate import services
from backend.gate.models import Carrier, Parcel, ParcelStatus, PassStatus, VisitorPass
from backend.gate.selectors import parcels_visible, passes_visible
from backend.properties.selectors import resident_units
from portal.access import permission_required, public_view
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from portal.resident.home import HomeItem, HomeSection, HomeViewer, home_section_add
from tenants.company.selectors import company_settings_get
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/gate"
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class PassForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Your home"), coerce=int)
    visitor_name = forms.CharField(label=gettext_lazy("Visitor's name"), max_length=40)
    visitor_phone = forms.CharField(label=gettext_lazy("Visitor's phone (optional)"), max_length=20, required=False)
    plate = forms.CharField(
        label=gettext_lazy("Car plate (optional: a car gets free parking)"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "placeholder": "浙A12345"}),
    )
    valid_from = forms.DateTimeField(
        label=gettext_lazy("Valid from"), widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    valid_until = forms.DateTimeField(
        label=gettext_lazy("Valid until"), widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    multiple = forms.BooleanField(label=gettext_lazy("May come in more than once"), required=False)

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.label) for u in units]  # type: ignore[attr-defined]


def _pass_or_404(request: CompanyRequest, pk: int) -> VisitorPass:
    found = passes_visible(scope=scope_of(request)).select_related("unit", "estate").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def pass_state(visitor_pass: VisitorPass, now: dt.datetime) -> str:
    """What the pass is now: active, upcoming, expired, used or cancelled."""
    if visitor_pass.status != PassStatus.ACTIVE:
        return str(visitor_pass.status)
    if now >= visitor_pass.valid_until:
        return "expired"
    if now < visitor_pass.valid_from:
        return "upcoming"
    return "active"


STATE_LABELS = {
    "active": gettext_lazy("Valid now"),
    "upcoming": gettext_lazy("Not yet valid"),
    "expired": gettext_lazy("Expired"),
    "used": gettext_lazy("Used"),
    "cancelled": gettext_lazy("Cancelled"),
}


@permission_required(perms.GATE_RESIDENT)
def visitors(request: CompanyRequest) -> HttpResponse:
    now = timezone.now()
    passes = list(passes_visible(scope=scope_of(request)).select_related("unit").order_by("-created_at", "-pk")[:100])
    rows = [{"pass": p, "state": pass_state(p, now), "label": STATE_LABELS[pass_state(p, now)]} for p in passes]
    return render(request, f"{TEMPLATES}/visitors.html", {"rows": rows})


@permission_required(perms.GATE_RESIDENT)
@require_http_methods(["GET", "POST"])
def visitor_new(request: CompanyRequest) -> HttpResponse:
    units = list(resident_units(user_id=request.user.pk))
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = PassForm(
        request.POST if request.method == "POST" else None,
        units=units,
        initial={"valid_from": now, "valid_until": now + dt.timedelta(hours=4)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visitor_pass = services.pass_issue(user=request.user, unit_id=data["unit"], **_pass_fields(data))
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Pass ready: send it to %(name)s.") % {"name": visitor_pass.visitor_name})
            return redirect("portal:resident-visitor", pk=visitor_pass.pk)
    return render(
        request,
        f"{TEMPLATES}/visitor_new.html",
        {"form": form, "has_homes": bool(units)},
        status=400 if request.method == "POST" else 200,
    )


def _pass_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "visitor_name": data["visitor_name"],
        "visitor_phone": data["visitor_phone"],
        "plate": data["plate"],
        "valid_from": data["valid_from"],
        "valid_until": data["valid_until"],
        "multiple": data["multiple"],
    }


def share_text(visitor_pass: VisitorPass, company_name: str) -> str:
    local_from = timezone.localtime(visitor_pass.valid_from)
    local_until = timezone.localtime(visitor_pass.valid_until)
    return _(
        "%(company)s visitor pass for %(name)s: %(estate)s, %(start)s – %(end)s. Show the QR code or tell the "
        "gate the code %(code)s."
    ) % {
        "company": company_name,
        "name": visitor_pass.visitor_name,
        "estate": visitor_pass.estate.name,
        "start": f"{local_from:%m-%d %H:%M}",
        "end": f"{local_until:%m-%d %H:%M}",
        "code": visitor_pass.code,
    }


@permission_required(perms.GATE_RESIDENT)
def visitor(request: CompanyRequest, pk: int) -> HttpResponse:
    visitor_pass = _pass_or_404(request, pk)
    state = pass_state(visitor_pass, timezone.now())
    company = company_settings_get()
    return render(
        request,
        f"{TEMPLATES}/visitor.html",
        {
            "pass": visitor_pass,
            "state": state,
            "state_label": STATE_LABELS[state],
            "entries": list(visitor_pass.gate_entries.order_by("-at")[:50]),
            "share_url": request.build_absolute_uri(f"/v/{visitor_pass.token}/"),
            "share_text": share_text(visitor_pass, getattr(company, "name", "") or ""),
        },
    )


@permission_required(perms.GATE_RESIDENT)
@require_POST
def visitor_cancel(request: CompanyRequest, pk: int) -> HttpResponse:
    visitor_pass = _pass_or_404(request, pk)
    try:
        services.pass_cancel(visitor_pass=visitor_pass, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Pass cancelled: the gate will refuse it."))
    return redirect("portal:resident-visitor", pk=visitor_pass.pk)


@public_view
def visitor_share(request: CompanyRequest, token: str) -> HttpResponse:
    """The visitor's page (the link the resident sends): the pass's QR code, the estate and the time window.
    No sign-in; the token is long and random; nothing of the home is shown but its estate."""
    visitor_pass = VisitorPass.objects.select_related("estate").filter(token=token).first()
    if visitor_pass is None or len(token) < 40:
        raise Http404
    state = pass_state(visitor_pass, timezone.now())
    response = render(
        request,
        f"{TEMPLATES}/share.html",
        {"pass": visitor_pass, "state": state, "state_label": STATE_LABELS[state], "company": company_settings_get()},
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@permission_required(perms.GATE_RESIDENT)
def parcels(request: CompanyRequest) -> HttpResponse:
    mine = parcels_visible(scope=scope_of(request)).select_related("unit")
    waiting = list(mine.filter(status=ParcelStatus.WAITING).order_by("-logged_at")[:50])
    done = list(mine.exclude(status=ParcelStatus.WAITING).order_by("-logged_at")[:30])
    return render(request, f"{TEMPLATES}/parcels.html", {"waiting": waiting, "done": done})


# --- the home page's card ----------------------------------------------------------------------------------------


def waiting_parcels(viewer: HomeViewer) -> list[HomeItem]:
    """The parcels waiting for the resident's homes, each with its pickup code."""
    # The viewer's current homes are known: no join through the occupancies again.
    rows = (
        Parcel.objects.filter(unit_id__in=[u.pk for u in viewer.units], status=ParcelStatus.WAITING)
        .order_by("-logged_at")
        .values_list("pk", "pickup_code", "shelf", "carrier", "logged_at")[:5]
    )
    labels = dict(Carrier.choices)
    return [
        HomeItem(
            title=_("Pickup code %(code)s") % {"code": code},
            url="/resident/parcels/",
            when=logged_at,
            detail=f"{labels.get(carrier, carrier)} · {_('Shelf')} {shelf}",
            badge=code,
            key=f"parcel-{pk}",
        )
        for pk, code, shelf, carrier, logged_at in rows
    ]


home_section_add(
    HomeSection(
        key="parcels",
        title=gettext_lazy("Parcels to pick up"),
        provider=waiting_parcels,
        order=30,
        more_url_name="portal:resident-parcels",
        permission=perms.GATE_RESIDENT,
    )
)
