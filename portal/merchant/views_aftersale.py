"""The merchant's after-sale pages (/merchant/refunds/, /merchant/reviews/): its refund requests of every
company, from the per-merchant index, each opened and decided in its company's schema (approve all or part, in
yuan: refunded through Stripe; or decline with a note), and its reviews with one reply each. The photos are
served from the company's files, only for the merchant's own requests and reviews."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_tenants.utils import tenant_context

from backend.errors import ApplicationError
from backend.uploads.kinds import SHOP_AFTERSALE_PHOTO
from backend.uploads.serving import upload_response
from marketplace import merchant_permissions as mperms
from marketplace.orders import aftersale_merchant as mside
from portal.common.forms import add_service_errors
from portal.common.money_forms import YuanField

from .access import member_of, merchant_required, page

STATUSES = ("open", "approved", "declined", "escalated", "company_approved", "company_declined", "withdrawn")


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Refund")), ("decline", gettext_lazy("Decline"))],
        widget=forms.RadioSelect,
    )
    amount_fen = YuanField(label=gettext_lazy("Amount to refund (yuan; empty: all that was asked)"), required=False)
    note = forms.CharField(
        label=gettext_lazy("Note to the resident (needed to decline)"), max_length=500, required=False
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(label=gettext_lazy("Your reply (once)"), max_length=1000, widget=forms.Textarea)


@merchant_required(mperms.ORDERS)
def refunds(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in STATUSES else "open"
    rows = mside.merchant_refunds(merchant_id=member_of(request).merchant_id, status=status)[:200]
    return page(request, "portal/merchant/refunds.html", {"rows": rows, "status": status, "statuses": STATUSES})


@merchant_required(mperms.ORDERS)
@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, pk: int) -> HttpResponseBase:
    member = member_of(request)
    try:
        view = mside.merchant_refund_read(merchant_id=member.merchant_id, pk=pk)
    except ApplicationError as exc:
        raise Http404 from exc
    form = DecideForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mside.merchant_refund_decide(
                merchant_id=member.merchant_id,
                pk=pk,
                approve=data["decision"] == "approve",
                amount_fen=data["amount_fen"],
                note=data["note"],
                by=member.user,
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Decided. The resident has been told."))
            return redirect("merchant:refund", pk=pk)
    return page(
        request,
        "portal/merchant/refund.html",
        {"r": mside.refund_shape(view), "form": form, "open": view.request.status == "pending"},
        status=400 if request.method == "POST" else 200,
    )


@merchant_required(mperms.ORDERS)
def reviews(request: HttpRequest) -> HttpResponse:
    rows = mside.merchant_reviews(merchant_id=member_of(request).merchant_id)[:200]
    return page(request, "portal/merchant/reviews.html", {"rows": rows})


@merchant_required(mperms.ORDERS)
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponseBase:
    member = member_of(request)
    try:
        view = mside.merchant_review_read(merchant_id=member.merchant_id, pk=pk)
    except ApplicationError as exc:
        raise Http404 from exc
    form = ReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            mside.merchant_review_reply(
                merchant_id=member.merchant_id, pk=pk, text=form.cleaned_data["reply"], by=member.user
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Reply posted."))
            return redirect("merchant:review", pk=pk)
    return page(
        request,
        "portal/merchant/review.html",
        {"r": mside.review_shape(view), "form": form, "open": view.review.replied_at is None},
        status=400 if request.method == "POST" else 200,
    )


@merchant_required(mperms.ORDERS)
def photo(request: HttpRequest, kind: str, pk: int, photo_id: int) -> HttpResponseBase:
    if kind not in ("refund", "review"):
        raise Http404
    try:
        tenant, found = mside.merchant_photo(
            merchant_id=member_of(request).merchant_id, kind=kind, pk=pk, photo_id=photo_id
        )
    except ApplicationError as exc:
        raise Http404 from exc
    with tenant_context(tenant):
        return upload_response(found.image, kind=SHOP_AFTERSALE_PHOTO, download_name=f"shop-photo-{found.pk}")
