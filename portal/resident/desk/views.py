"""The resident's repairs (phone first): report one (home, category, in the home or a public area, what is
wrong, a preferred time, up to three photos), my tickets, and one ticket with its timeline, where the resident
confirms and rates a finished repair (or says it is not fixed), cancels one nobody has started, and pays a paid
repair's charge on the pay page. Only their homes' tickets are found (backend.desk.selectors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.billing.models import BillLine
from backend.billing.selectors import lines_with_balances
from backend.desk import services
from backend.desk.models import Place, Status, Ticket, TicketPhoto
from backend.desk.selectors import categories_active, tickets_visible
from backend.errors import ApplicationError
from backend.properties.selectors import resident_units
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import REPAIR_PHOTO
from backend.uploads.serving import upload_response
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/desk"
CANCELLABLE = (Status.NEW, Status.ASSIGNED, Status.ACCEPTED)


class ReportForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Home"), coerce=int)
    category = forms.TypedChoiceField(label=gettext_lazy("What needs repairing"), coerce=int)
    place = forms.ChoiceField(label=gettext_lazy("Where"), choices=Place.choices, initial=Place.IN_UNIT)
    location = forms.CharField(label=gettext_lazy("Where exactly (for a public area)"), max_length=100, required=False)
    description = forms.CharField(label=gettext_lazy("What is wrong"), max_length=1000, widget=forms.Textarea)
    contact_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=20)
    preferred_time = forms.CharField(label=gettext_lazy("A good time for us to come"), max_length=60, required=False)
    photo1 = UploadFormField(kind=REPAIR_PHOTO, label=gettext_lazy("Photo"), required=False)
    photo2 = UploadFormField(kind=REPAIR_PHOTO, label=gettext_lazy("Photo"), required=False)
    photo3 = UploadFormField(kind=REPAIR_PHOTO, label=gettext_lazy("Photo"), required=False)

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.label) for u in units]  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (c.pk, f"{c.name}（{_('paid')}）" if c.paid else c.name) for c in categories_active()
        ]


class ConfirmForm(forms.Form):
    fixed = forms.TypedChoiceField(
        label=gettext_lazy("Is it fixed?"),
        choices=[("1", gettext_lazy("Yes, fixed")), ("0", gettext_lazy("No, still wrong"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=[("", "—"), *[(str(n), "★" * n) for n in range(5, 0, -1)]],
        coerce=int,
        required=False,
        empty_value=None,
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=300, required=False)


def _ticket_or_404(request: CompanyRequest, pk: int) -> Ticket:
    ticket = tickets_visible(scope=scope_of(request)).select_related("category", "unit").filter(pk=pk).first()
    if ticket is None:
        raise Http404
    return ticket


@permission_required(perms.DESK_RESIDENT)
@require_http_methods(["GET", "POST"])
def repair_new(request: CompanyRequest) -> HttpResponse:
    units = list(resident_units(user_id=request.user.pk))
    phone = getattr(request.user, "phone", "") or ""
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        units=units,
        initial={"contact_phone": phone},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = categories_active().filter(pk=data["category"]).first()
        photos = [data[f"photo{n}"] for n in (1, 2, 3) if data.get(f"photo{n}")]
        try:
            if category is None:
                raise ApplicationError.for_fields({"category": [_("Choose a category.")]})
            ticket = services.ticket_report(
                user=request.user,
                unit_id=data["unit"],
                category=category,
                description=data["description"],
                place=data["place"],
                location=data["location"],
                contact_phone=data["contact_phone"],
                preferred_time=data["preferred_time"],
                photos=photos,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Repair %(code)s reported: we will be in touch.") % {"code": ticket.code})
            return redirect("portal:resident-repair", pk=ticket.pk)
    return render(
        request,
        f"{TEMPLATES}/new.html",
        {"form": form, "has_homes": bool(units)},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.DESK_RESIDENT)
def repairs(request: CompanyRequest) -> HttpResponse:
    mine = tickets_visible(scope=scope_of(request)).select_related("category", "unit").order_by("-created_at")
    return render(request, f"{TEMPLATES}/list.html", {"tickets": list(mine[:100])})


def _pay_url(ticket: Ticket) -> str:
    """The pay page for a paid repair's charge while some of it is owed."""
    if ticket.charge_id is None or ticket.unit_id is None:
        return ""
    line = lines_with_balances(BillLine.objects.filter(pk=ticket.charge_id)).first()
    if line is None or getattr(line, "owed", 0) <= 0:
        return ""
    return f"/resident/pay/?unit={ticket.unit_id}&lines={ticket.charge_id}"


@permission_required(perms.DESK_RESIDENT)
def repair(request: CompanyRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    return render(
        request,
        f"{TEMPLATES}/ticket.html",
        {
            "ticket": ticket,
            "events": list(ticket.events.all()),
            "photos": list(ticket.photos.all()),
            "confirm_form": ConfirmForm() if ticket.status == Status.COMPLETED else None,
            "can_cancel": ticket.status in CANCELLABLE and ticket.reporter_id == request.user.pk,
            "pay_url": _pay_url(ticket),
        },
    )


@permission_required(perms.DESK_RESIDENT)
@require_POST
def repair_confirm(request: CompanyRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_confirm(
                ticket=ticket,
                user=request.user,
                fixed=form.cleaned_data["fixed"],
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            messages.error(request, error.text)
        else:
            messages.success(request, _("Thank you."))
    else:
        messages.error(request, _("Say whether it is fixed."))
    return redirect("portal:resident-repair", pk=ticket.pk)


@permission_required(perms.DESK_RESIDENT)
@require_POST
def repair_cancel(request: CompanyRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    if ticket.reporter_id != request.user.pk:
        raise Http404
    try:
        services.ticket_cancel(ticket=ticket, by=request.user, reason=request.POST.get("reason") or _("Not needed"))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Repair cancelled."))
    return redirect("portal:resident-repair", pk=ticket.pk)


@permission_required(perms.DESK_RESIDENT)
def repair_photo(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A photo of one of the resident's homes' repairs (served through backend.uploads, sniffed again)."""
    photo = TicketPhoto.objects.filter(pk=pk, ticket__in=tickets_visible(scope=scope_of(request))).first()
    if photo is None:
        raise Http404
    return upload_response(photo.image, kind=REPAIR_PHOTO, download_name=f"repair-{photo.ticket_id}-{photo.pk}")
