"""The owner's renovation pages (phone first): apply (home, scope, dates, contractor and workers, plans as PDF
or photos), my applications, and one application with where it stands: the two approvals, what to pay for the
permit (the pay page), the permit's QR code (出入证, for the gate), inspections, the completion check and the
deposit's end. Only their homes' applications are found (backend.renovation.selectors)."""

from __future__ import annotations

from typing import Any

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
from backend.renovation import money, services
from backend.renovation.models import Application, Document, RenovationSettings, Status
from backend.renovation.selectors import applications_visible
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import RENOVATION_DOCUMENT
from backend.uploads.serving import upload_response
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/renovation"
DATE = forms.DateInput(attrs={"type": "date"})


class ApplyForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Home"), coerce=int)
    scope = forms.CharField(
        label=gettext_lazy("What will be done"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Rooms, walls, floors, water and electricity lines, windows…"),
    )
    structural = forms.BooleanField(
        label=gettext_lazy("Alters the structure or adds heavy loads (拆改主体结构)"), required=False
    )
    starts_on = forms.DateField(label=gettext_lazy("Works start"), widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Works end"), widget=DATE)
    contractor_company = forms.CharField(label=gettext_lazy("Contractor (装修公司)"), max_length=100)
    contractor_contact = forms.CharField(label=gettext_lazy("Contractor's contact"), max_length=60)
    contractor_phone = forms.CharField(label=gettext_lazy("Contractor's phone"), max_length=20)
    workers = forms.CharField(
        label=gettext_lazy("Workers (one a line: name and phone)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
    )
    applicant_phone = forms.CharField(label=gettext_lazy("My phone"), max_length=20)
    plan1 = UploadFormField(kind=RENOVATION_DOCUMENT, label=gettext_lazy("Renovation plan (PDF or photo)"))
    plan2 = UploadFormField(kind=RENOVATION_DOCUMENT, label=gettext_lazy("More plans"), required=False)
    plan3 = UploadFormField(kind=RENOVATION_DOCUMENT, label=gettext_lazy("More plans"), required=False)

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.label) for u in units]  # type: ignore[attr-defined]


def _application_or_404(request: CompanyRequest, pk: int) -> Application:
    found = applications_visible(scope=scope_of(request)).select_related("unit").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@permission_required(perms.RENOVATION_APPLY)
def applications(request: CompanyRequest) -> HttpResponse:
    mine = applications_visible(scope=scope_of(request)).select_related("unit").order_by("-created_at")
    return render(request, f"{TEMPLATES}/list.html", {"applications": list(mine[:100])})


@permission_required(perms.RENOVATION_APPLY)
@require_http_methods(["GET", "POST"])
def apply(request: CompanyRequest) -> HttpResponse:
    units = services.owner_units(request.user)
    posted = request.method == "POST"
    form = ApplyForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        units=units,
        initial={"applicant_phone": getattr(request.user, "phone", "") or ""},
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        plans = [("plan", data[f"plan{n}"]) for n in (1, 2, 3) if data.get(f"plan{n}")]
        try:
            application = services.application_submit(
                user=request.user,
                unit_id=data["unit"],
                scope=data["scope"],
                structural=data["structural"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                contractor_company=data["contractor_company"],
                contractor_contact=data["contractor_contact"],
                contractor_phone=data["contractor_phone"],
                workers=data["workers"].splitlines(),
                applicant_phone=data["applicant_phone"],
                documents=plans,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Application %(code)s sent: customer service and engineering will review it.")
                % {"code": application.code},
            )
            return redirect("portal:resident-renovation", pk=application.pk)
    settings_ = RenovationSettings.load()
    return render(
        request,
        f"{TEMPLATES}/new.html",
        {"form": form, "has_homes": bool(units), "settings": settings_},
        status=400 if posted else 200,
    )


@permission_required(perms.RENOVATION_APPLY)
def application(request: CompanyRequest, pk: int) -> HttpResponse:
    found = _application_or_404(request, pk)
    from backend.renovation.selectors import permit_valid_on

    valid, why = permit_valid_on(found, timezone.localdate()) if found.permit_code else (False, "")
    return render(
        request,
        f"{TEMPLATES}/application.html",
        {
            "application": found,
            "events": list(found.events.all()),
            "inspections": list(found.inspections.all()),
            "documents": list(found.documents.all()),
            "payable": money.payable(found) if found.status == Status.APPROVED else None,
            "permit_valid": valid,
            "permit_why": why,
            "can_cancel": found.applicant_id == request.user.pk and found.status in (Status.SUBMITTED, Status.APPROVED),
        },
    )


@permission_required(perms.RENOVATION_APPLY)
@require_POST
def cancel(request: CompanyRequest, pk: int) -> HttpResponse:
    found = _application_or_404(request, pk)
    try:
        services.application_cancel(application=found, by=request.user, reason=request.POST.get("reason") or "")
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Application withdrawn."))
    return redirect("portal:resident-renovation", pk=found.pk)


@permission_required(perms.RENOVATION_APPLY)
def document(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A plan of one of the resident's homes' applications (served through backend.uploads, sniffed again)."""
    found = Document.objects.filter(pk=pk, application__in=applications_visible(scope=scope_of(request))).first()
    if found is None:
        raise Http404
    return upload_response(
        found.file, kind=RENOVATION_DOCUMENT, download_name=f"renovation-{found.application_id}-{found.pk}"
    )
