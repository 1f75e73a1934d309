"""Renovation's staff pages (phone friendly): the queue of the caller's scope (waiting for an approval, for
payment, works under way, deposits to settle), one application with its plans, contractor, workers, money,
inspections and timeline and the steps the caller may take (customer service's or engineering's approval or
rejection, an inspection with photos, the completion check, the deposit's refund or forfeit), and security's
permit check at the gate (scan the permit's QR code or type it). Every step is one service call."""

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
from backend.billing.arrears import unit_sanctioned
from backend.billing.models import Sanction
from backend.billing.money import to_fen
from backend.errors import ApplicationError
from backend.renovation import money, services
from backend.renovation.models import Application, Document, InspectionPhoto, Status
from backend.renovation.selectors import QUEUES, application_get, applications_visible, queue, waiting_for
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import RENOVATION_DOCUMENT, RENOVATION_PHOTO
from backend.uploads.serving import upload_response
from portal.access import permission_check, permission_required
from portal.common.forms import add_service_errors
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/renovation"
SHOWN = 100
STEPS = ("review-desk", "review-engineering", "inspect", "settle")


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("1", gettext_lazy("Approve")), ("0", gettext_lazy("Reject"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Note (the reason, for a rejection)"), max_length=300, required=False)


class InspectForm(forms.Form):
    completion = forms.BooleanField(label=gettext_lazy("This is the completion check (验收)"), required=False)
    passed = forms.TypedChoiceField(
        label=gettext_lazy("Result"),
        choices=[("1", gettext_lazy("In order")), ("0", gettext_lazy("Not in order"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    findings = forms.CharField(
        label=gettext_lazy("Findings"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo1 = UploadFormField(kind=RENOVATION_PHOTO, label=gettext_lazy("Photo"), required=False)
    photo2 = UploadFormField(kind=RENOVATION_PHOTO, label=gettext_lazy("Photo"), required=False)
    photo3 = UploadFormField(kind=RENOVATION_PHOTO, label=gettext_lazy("Photo"), required=False)


class SettleForm(forms.Form):
    refund = forms.DecimalField(label=gettext_lazy("Refund (¥)"), min_value=0, decimal_places=2, max_digits=12)
    forfeit = forms.DecimalField(
        label=gettext_lazy("Keep (¥)"), min_value=0, decimal_places=2, max_digits=12, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason (needed to keep any)"), max_length=300, required=False)


class PermitCheckForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Permit code"),
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


def _application_or_404(request: CompanyRequest, pk: int) -> Application:
    scope = scope_of(request)
    if scope.is_resident:
        raise Http404
    found = application_get(scope=scope, application_id=pk)
    if found is None:
        raise Http404
    return found


@permission_required(perms.RENOVATION_QUEUE)
def queue_page(request: CompanyRequest) -> HttpResponse:
    tab = request.GET.get("tab") or ""
    if tab not in QUEUES:
        tab = ""
    scope = scope_of(request)
    rows = list(queue(scope=scope, name=tab)[:SHOWN])
    return render(request, f"{TEMPLATES}/queue.html", {"applications": rows, "tab": tab, "tabs": QUEUES})


def _forms_for(request: CompanyRequest, application: Application) -> dict[str, Any]:
    membership = request.membership
    pending = waiting_for(application)
    held = application.deposit_fen if application.deposit_id else 0
    return {
        "review_desk": ReviewForm(prefix="desk")
        if "desk" in pending and perms.RENOVATION_REVIEW_DESK.granted_to(membership)
        else None,
        "review_engineering": ReviewForm(prefix="engineering")
        if "engineering" in pending and perms.RENOVATION_REVIEW_ENGINEERING.granted_to(membership)
        else None,
        "inspect": InspectForm()
        if application.status == Status.PERMITTED and perms.RENOVATION_INSPECT.granted_to(membership)
        else None,
        "completion_allowed": perms.RENOVATION_REVIEW_ENGINEERING.granted_to(membership),
        "settle": SettleForm(initial={"refund": f"{held / 100:.2f}", "forfeit": "0.00"})
        if application.status == Status.COMPLETED and perms.RENOVATION_DEPOSIT.granted_to(membership)
        else None,
    }


@permission_required(perms.RENOVATION_QUEUE)
def application_page(request: CompanyRequest, pk: int) -> HttpResponse:
    found = _application_or_404(request, pk)
    return render(request, f"{TEMPLATES}/application.html", _context(request, found))


def _context(request: CompanyRequest, found: Application, **extra: Any) -> dict[str, Any]:
    inspections = list(found.inspections.prefetch_related("photos"))
    return {
        "application": found,
        "events": list(found.events.all()),
        "inspections": inspections,
        "documents": list(found.documents.all()),
        "payable": money.payable(found) if found.status == Status.APPROVED else None,
        "waiting": waiting_for(found),
        # The arrears sanction as it stands now (the approvals refuse while it applies).
        "sanctioned": found.status == Status.SUBMITTED
        and unit_sanctioned(found.unit_id, Sanction.NO_RENOVATION, today=timezone.localdate()),
        **_forms_for(request, found),
        **extra,
    }


@permission_required(perms.RENOVATION_QUEUE)
@require_POST
def step(request: CompanyRequest, pk: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    found = _application_or_404(request, pk)
    try:
        if step in ("review-desk", "review-engineering"):
            side = step.removeprefix("review-")
            permission_check(
                request, perms.RENOVATION_REVIEW_DESK if side == "desk" else perms.RENOVATION_REVIEW_ENGINEERING
            )
            form: forms.Form = ReviewForm(request.POST, prefix=side)
            if not form.is_valid():
                raise ApplicationError(_("Choose approve or reject."))
            services.application_review(
                application=found,
                by=request.user,
                side=side,
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Decision recorded."))
        elif step == "inspect":
            permission_check(request, perms.RENOVATION_INSPECT)
            form = InspectForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(
                    request, f"{TEMPLATES}/application.html", _context(request, found, inspect=form), status=400
                )
            data = form.cleaned_data
            if data["completion"]:
                permission_check(request, perms.RENOVATION_REVIEW_ENGINEERING)
            services.inspection_record(
                application=found,
                by=request.user,
                passed=data["passed"],
                findings=data["findings"],
                photos=[data[f"photo{n}"] for n in (1, 2, 3) if data.get(f"photo{n}")],
                completion=data["completion"],
            )
            messages.success(request, _("Inspection recorded."))
        else:
            permission_check(request, perms.RENOVATION_DEPOSIT)
            form = SettleForm(request.POST)
            if not form.is_valid():
                return render(
                    request, f"{TEMPLATES}/application.html", _context(request, found, settle=form), status=400
                )
            data = form.cleaned_data
            money.deposit_settle(
                application=found,
                by=request.user,
                refund_fen=to_fen(data["refund"]),
                forfeit_fen=to_fen(data["forfeit"] or 0),
                reason=data["reason"],
            )
            messages.success(request, _("Deposit settled."))
    except ApplicationError as error:
        messages.error(request, error.text)
    return redirect("portal:staff-renovation", pk=found.pk)


@permission_required(perms.RENOVATION_PERMIT_CHECK)
@require_http_methods(["GET", "POST"])
def permit_check(request: CompanyRequest) -> HttpResponse:
    form = PermitCheckForm(request.POST or None)
    found, valid, reason, status = None, False, "", 200
    if request.method == "POST" and form.is_valid():
        try:
            found, valid, reason = services.permit_check(
                code=form.cleaned_data["code"], by=request.user, scope=scope_of(request)
            )
        except ApplicationError as refused:
            add_service_errors(form, refused)
            status = 404
        else:
            form = PermitCheckForm()  # ready for the next one
    elif request.method == "POST":
        status = 400
    return render(
        request,
        f"{TEMPLATES}/permit_check.html",
        {"form": form, "application": found, "valid": valid, "reason": reason},
        status=status,
    )


@permission_required(perms.RENOVATION_QUEUE)
def document(request: CompanyRequest, pk: int) -> HttpResponseBase:
    scope = scope_of(request)
    found = Document.objects.filter(pk=pk, application__in=applications_visible(scope=scope)).first()
    if found is None or scope.is_resident:
        raise Http404
    return upload_response(
        found.file, kind=RENOVATION_DOCUMENT, download_name=f"renovation-{found.application_id}-{found.pk}"
    )


@permission_required(perms.RENOVATION_QUEUE)
def photo(request: CompanyRequest, pk: int) -> HttpResponseBase:
    scope = scope_of(request)
    found = InspectionPhoto.objects.filter(pk=pk, inspection__application__in=applications_visible(scope=scope)).first()
    if found is None or scope.is_resident:
        raise Http404
    return upload_response(found.image, kind=RENOVATION_PHOTO, download_name=f"inspection-{found.inspection_id}")
