"""The resident's after-sale pages (phone first): ask for a refund of one line of a delivered order (amount in
yuan, a reason, up to three photos), follow it on the order page, withdraw it or take a declined one to the
property company; review a completed order; complain (投诉) about a merchant and follow the complaint. Views
are thin: marketplace.orders.refunds / reviews / complaints hold the rules; only the resident's own orders,
requests, complaints and photos are found (another's is a 404)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts import permissions as perms
from backend.errors import ApplicationError
from backend.properties.selectors import resident_units
from backend.uploads.fields import UploadFormField
from backend.uploads.kinds import SHOP_AFTERSALE_PHOTO
from backend.uploads.serving import upload_response
from marketplace.orders import complaints, refunds, reviews
from marketplace.orders.models import AftersalePhoto, Complaint, Order, RefundRequest
from portal.access import permission_required
from portal.common.forms import add_service_errors
from portal.common.money_forms import YuanField
from tenants.http import CompanyRequest

TEMPLATES = "portal/resident/shop"
PHOTO_FIELDS = ("photo1", "photo2", "photo3")


def _photo_field() -> UploadFormField:
    return UploadFormField(kind=SHOP_AFTERSALE_PHOTO, label=gettext_lazy("Photo"), required=False)


def _photos(data: dict[str, Any]) -> list[Any]:
    return [data[name] for name in PHOTO_FIELDS if data.get(name)]


class RefundForm(forms.Form):
    line = forms.TypedChoiceField(label=gettext_lazy("Which item"), coerce=int)
    amount_fen = YuanField(label=gettext_lazy("Amount to refund (yuan)"))
    reason = forms.CharField(label=gettext_lazy("What went wrong"), max_length=500, widget=forms.Textarea)
    photo1 = _photo_field()
    photo2 = _photo_field()
    photo3 = _photo_field()

    def __init__(self, *args: Any, lines: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = lines  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Stars"),
        choices=[(str(n), "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label=gettext_lazy("Your review"), max_length=1000, required=False, widget=forms.Textarea)
    photo1 = _photo_field()
    photo2 = _photo_field()
    photo3 = _photo_field()


class ComplaintForm(forms.Form):
    merchant = forms.TypedChoiceField(label=gettext_lazy("Merchant"), coerce=int)
    order = forms.TypedChoiceField(
        label=gettext_lazy("About an order (optional)"), coerce=int, required=False, empty_value=None
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=100)
    text = forms.CharField(label=gettext_lazy("What happened"), max_length=2000, widget=forms.Textarea)
    photo1 = _photo_field()
    photo2 = _photo_field()
    photo3 = _photo_field()

    def __init__(self, *args: Any, merchants: list[tuple[int, str]], orders: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].choices = merchants  # type: ignore[attr-defined]
        self.fields["order"].choices = [("", "—"), *orders]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Why the property company should look at it"), max_length=500)


def _mine(request: CompanyRequest, pk: int) -> Order:
    order = Order.objects.filter(pk=pk, user=request.user).first()
    if order is None:
        raise Http404
    return order


def refund_lines(order: Order) -> list[tuple[int, str]]:
    from portal.templatetags.portal_extras import yuan

    rows = []
    for line in order.lines.all():
        left = refunds.line_refundable(line)
        if left > 0:
            label = f"{line.title}{' · ' + line.variant_name if line.variant_name else ''} × {line.quantity}"
            rows.append((line.pk, f"{label}（{_('up to')} {yuan(left)}）"))
    return rows


@permission_required(perms.SHOP)
@require_http_methods(["GET", "POST"])
def refund_new(request: CompanyRequest, pk: int) -> HttpResponseBase:
    order = _mine(request, pk)
    lines = refund_lines(order)
    form = RefundForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        lines=lines,
        initial={"line": request.GET.get("line")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            refunds.refund_request_create(
                user=request.user,
                order_id=order.pk,
                line_id=data["line"],
                amount_fen=data["amount_fen"],
                reason=data["reason"],
                photos=_photos(data),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Refund requested: the merchant will answer."))
            return redirect("portal:resident-shop-order", pk=order.pk)
    can_ask = order.status in refunds.AFTER_DELIVERY and bool(lines)
    return render(
        request,
        f"{TEMPLATES}/refund_new.html",
        {"order": order, "form": form, "can_ask": can_ask},
        status=400 if request.method == "POST" else 200,
    )


def _my_refund(request: CompanyRequest, pk: int) -> RefundRequest:
    req = RefundRequest.objects.filter(pk=pk, user=request.user).first()
    if req is None:
        raise Http404
    return req


@require_POST
@permission_required(perms.SHOP)
def refund_withdraw(request: CompanyRequest, pk: int) -> HttpResponseBase:
    req = _my_refund(request, pk)
    try:
        refunds.refund_withdraw(request_id=req.pk, user=request.user)
        messages.success(request, _("Refund request withdrawn."))
    except ApplicationError as error:
        messages.error(request, error.text)
    return redirect("portal:resident-shop-order", pk=req.order_id)


@require_POST
@permission_required(perms.SHOP)
def refund_escalate(request: CompanyRequest, pk: int) -> HttpResponseBase:
    req = _my_refund(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the property company should look at it."))
        return redirect("portal:resident-shop-order", pk=req.order_id)
    try:
        refunds.refund_escalate(request_id=req.pk, user=request.user, note=form.cleaned_data["note"])
        messages.success(request, _("Sent to the property company: its decision is final."))
    except ApplicationError as error:
        messages.error(request, error.text)
    return redirect("portal:resident-shop-order", pk=req.order_id)


@permission_required(perms.SHOP)
@require_http_methods(["GET", "POST"])
def review(request: CompanyRequest, pk: int) -> HttpResponseBase:
    order = _mine(request, pk)
    existing = getattr(order, "review", None) if hasattr(order, "review") else None
    form = ReviewForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reviews.review_create(
                user=request.user, order_id=order.pk, stars=data["stars"], text=data["text"], photos=_photos(data)
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Thank you for your review."))
            return redirect("portal:resident-shop-order", pk=order.pk)
    return render(
        request,
        f"{TEMPLATES}/review.html",
        {"order": order, "form": form, "review": existing, "can_review": order.status == "completed"},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.SHOP)
def complaints_list(request: CompanyRequest) -> HttpResponse:
    rows = Complaint.objects.filter(user=request.user)[:100]
    return render(request, f"{TEMPLATES}/complaints.html", {"complaints": rows})


@permission_required(perms.SHOP)
@require_http_methods(["GET", "POST"])
def complaint_new(request: CompanyRequest) -> HttpResponseBase:
    merchants = [(m.pk, m.name) for m in complaints.complaint_merchants(request.user)]
    orders = [
        (o.pk, f"{o.merchant_name} · {o.code}")
        for o in Order.objects.filter(user=request.user).exclude(status__in=["pending_payment", "expired"])[:50]
    ]
    initial: dict[str, Any] = {}
    order_id = request.GET.get("order")
    if order_id and order_id.isdigit():
        chosen = Order.objects.filter(pk=int(order_id), user=request.user).first()
        if chosen is not None:
            initial = {"order": chosen.pk, "merchant": chosen.merchant_id}
    form = ComplaintForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        merchants=merchants,
        orders=orders,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = complaints.complaint_create(
                user=request.user,
                merchant_id=data["merchant"],
                order_id=data["order"],
                subject=data["subject"],
                text=data["text"],
                photos=_photos(data),
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Complaint sent to the property company."))
            return redirect("portal:resident-shop-complaint", pk=complaint.pk)
    has_homes = resident_units(user_id=request.user.pk).exists()
    return render(
        request,
        f"{TEMPLATES}/complaint_new.html",
        {"form": form, "has_homes": has_homes},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(perms.SHOP)
def complaint(request: CompanyRequest, pk: int) -> HttpResponse:
    found = Complaint.objects.filter(pk=pk, user=request.user).select_related("order").first()
    if found is None:
        raise Http404
    return render(request, f"{TEMPLATES}/complaint.html", {"complaint": found, "photos": list(found.photos.all())})


@permission_required(perms.SHOP)
def aftersale_photo(request: CompanyRequest, pk: int) -> HttpResponseBase:
    """A photo of one of the resident's own refund requests, reviews or complaints."""
    mine = Q(refund__user=request.user) | Q(review__user=request.user) | Q(complaint__user=request.user)
    photo = AftersalePhoto.objects.filter(mine, pk=pk).first()
    if photo is None:
        raise Http404
    return upload_response(photo.image, kind=SHOP_AFTERSALE_PHOTO, download_name=f"shop-photo-{photo.pk}")


def order_aftersale(order: Order) -> dict[str, Any]:
    """What the order page shows of its after-sale: the refund requests, whether one may be asked, the
    review (or whether one may be written)."""
    requests = list(order.refund_requests.select_related("line").prefetch_related("photos"))
    return {
        "refund_requests": requests,
        "can_refund": order.status in refunds.AFTER_DELIVERY and bool(refund_lines(order)),
        "review": getattr(order, "review", None) if hasattr(order, "review") else None,
        "can_review": order.status == "completed",
        "note_form": NoteForm(),
    }
