"""The staff's after-sale pages of the community shop, for members holding the marketplace permission, within
their data scope (the home's office or estate; outside it a 404): refund disputes escalated by residents and
the company's final decision (approve all or part, in yuan, or decline, with a note the resident reads);
complaints (投诉) about merchants, taking one up and deciding it with an outcome, where upholding may suspend
the merchant in this company. The rules are in marketplace.orders.refunds / complaints."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.uploads.kinds import SHOP_AFTERSALE_PHOTO
from backend.uploads.serving import upload_response
from marketplace.orders import complaints, refunds
from marketplace.orders.models import AftersalePhoto, ComplaintStatus, RefundStatus
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.money_forms import YuanField
from portal.common.scope import scope_of
from tenants.http import CompanyRequest

TEMPLATES = "portal/staff/marketplace"
REFUND_TABS = [
    (RefundStatus.ESCALATED.value, RefundStatus.ESCALATED.label),
    (RefundStatus.COMPANY_APPROVED.value, RefundStatus.COMPANY_APPROVED.label),
    (RefundStatus.COMPANY_DECLINED.value, RefundStatus.COMPANY_DECLINED.label),
]
COMPLAINT_TABS = [("open", gettext_lazy("Open")), *ComplaintStatus.choices]


class RefundDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Refund")), ("decline", gettext_lazy("Decline"))],
        widget=forms.RadioSelect,
    )
    amount_fen = YuanField(label=gettext_lazy("Amount to refund (yuan; empty: all that was asked)"), required=False)
    note = forms.CharField(label=gettext_lazy("Note (the resident and the merchant read it)"), max_length=500)


class ComplaintDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("upheld", gettext_lazy("Upheld")), ("dismissed", gettext_lazy("Dismissed"))],
        widget=forms.RadioSelect,
    )
    outcome = forms.CharField(
        label=gettext_lazy("Outcome (the resident reads it)"), max_length=1000, widget=forms.Textarea
    )
    suspend = forms.BooleanField(label=gettext_lazy("Suspend the merchant in this company"), required=False)


@permission_required(perms.MARKETPLACE_MANAGE)
def refunds_list(request: CompanyRequest) -> HttpResponse:
    status = request.GET.get("status") or RefundStatus.ESCALATED
    if status not in dict(REFUND_TABS):
        status = RefundStatus.ESCALATED
    rows = refunds.staff_refunds(scope_of(request), status=status).order_by("escalated_at", "pk")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        f"{TEMPLATES}/refunds.html",
        {"page": page, "status": status, "tabs": REFUND_TABS, "query": f"status={status}"},
    )


@permission_required(perms.MARKETPLACE_MANAGE)
@require_http_methods(["GET", "POST"])
def refund_detail(request: CompanyRequest, pk: int) -> HttpResponseBase:
    req = refunds.staff_refund_get(scope_of(request), pk)
    if req is None:
        raise Http404
    form = RefundDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            refunds.refund_company_decide(
                request_id=req.pk,
                approve=data["decision"] == "approve",
                amount_fen=data["amount_fen"],
                note=data["note"],
                by=request.user,
                scope=scope_of(request),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Decided. The resident and the merchant have been told."))
            return redirect("portal:staff-marketplace-refund", pk=pk)
    return render(
        request,
        f"{TEMPLATES}/refund.html",
        {"r": req, "photos": list(req.photos.all()), "form": form, "open": req.status == RefundStatus.ESCALATED},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.MARKETPLACE_MANAGE)
def complaints_list(request: CompanyRequest) -> HttpResponse:
    status = request.GET.get("status") or "open"
    if status not in dict(COMPLAINT_TABS):
        status = "open"
    rows = complaints.staff_complaints(scope_of(request), status=status)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        f"{TEMPLATES}/complaints.html",
        {"page": page, "status": status, "tabs": COMPLAINT_TABS, "query": f"status={status}"},
    )


@permission_required(perms.MARKETPLACE_MANAGE)
@require_http_methods(["GET", "POST"])
def complaint_detail(request: CompanyRequest, pk: int) -> HttpResponseBase:
    scope = scope_of(request)
    found = complaints.staff_complaint_get(scope, pk)
    if found is None:
        raise Http404
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = ComplaintDecisionForm(request.POST if action == "decide" else None)
    if action == "take":
        try:
            complaints.complaint_take(complaint_id=found.pk, by=request.user, scope=scope)
            messages.success(request, _("You are looking into it."))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("portal:staff-marketplace-complaint", pk=pk)
    if action == "decide" and form.is_valid():
        data = form.cleaned_data
        try:
            complaints.complaint_decide(
                complaint_id=found.pk,
                upheld=data["decision"] == "upheld",
                outcome=data["outcome"],
                suspend=data["suspend"],
                by=request.user,
                scope=scope,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Decided. The resident has been told."))
            return redirect("portal:staff-marketplace-complaint", pk=pk)
    return render(
        request,
        f"{TEMPLATES}/complaint.html",
        {
            "c": found,
            "photos": list(found.photos.all()),
            "form": form,
            "open": found.status in complaints.OPEN,
            "counts": complaints.merchant_complaint_counts(found.merchant_id),
        },
        status=400 if action == "decide" else 200,
    )


@permission_required(perms.MARKETPLACE_MANAGE)
def aftersale_photo(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A photo of an escalated refund request or of a complaint within the caller's scope."""
    scope = scope_of(request)
    refund_ids = refunds.staff_refunds(scope, status="all").values("pk")
    complaint_ids = complaints.staff_complaints(scope).values("pk")
    photo = AftersalePhoto.objects.filter(Q(refund__in=refund_ids) | Q(complaint__in=complaint_ids), pk=pk).first()
    if photo is None:
        raise Http404
    return upload_response(photo.image, kind=SHOP_AFTERSALE_PHOTO, download_name=f"shop-photo-{photo.pk}")
