"""The merchant's side of after-sale (platform domain, public schema), as merchant.py is for orders: its refund
requests and reviews are found through the per-merchant index (marketplace.aftersale_index), then each one is
read or decided in its company's schema. What a merchant sees of a refund request is the line, the amount,
the resident's reason and photos, and the decisions; of a review, the stars, text, photos and its reply;
never the resident's account or contact (the order page shows what fulfilment needs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django_tenants.utils import tenant_context

from backend.accounts.models import User
from backend.errors import not_found
from marketplace.aftersale_index.models import RefundEntry, ReviewEntry

from . import refunds, reviews
from .aftersale_models import AftersalePhoto, RefundRequest, RefundStatus, Review

OPEN_FOR_MERCHANT = (RefundStatus.PENDING,)


def merchant_refunds(*, merchant_id: int, status: str = "") -> QuerySet[RefundEntry]:
    qs = RefundEntry.objects.filter(merchant_id=merchant_id).select_related("tenant", "order_entry")
    if status == "open":
        qs = qs.filter(status__in=OPEN_FOR_MERCHANT)
    elif status:
        qs = qs.filter(status=status)
    return qs


def merchant_reviews(*, merchant_id: int) -> QuerySet[ReviewEntry]:
    return ReviewEntry.objects.filter(merchant_id=merchant_id).select_related("tenant", "order_entry")


@dataclass
class RefundView:
    entry: RefundEntry
    request: RefundRequest
    photo_ids: list[int]


def _refund_entry(merchant_id: int, pk: int) -> RefundEntry:
    entry = RefundEntry.objects.select_related("tenant", "order_entry").filter(pk=pk, merchant_id=merchant_id).first()
    if entry is None:
        raise not_found()
    return entry


def merchant_refund_read(*, merchant_id: int, pk: int) -> RefundView:
    entry = _refund_entry(merchant_id, pk)
    with tenant_context(entry.tenant):
        req = (
            RefundRequest.objects.select_related("line", "order")
            .filter(pk=entry.request_id, merchant_id=merchant_id)
            .first()
        )
        if req is None:
            raise not_found()
        photo_ids = list(req.photos.values_list("pk", flat=True))
    return RefundView(entry, req, photo_ids)


def merchant_refund_decide(
    *, merchant_id: int, pk: int, approve: bool, amount_fen: Any = None, note: str = "", by: User | None
) -> RefundView:
    entry = _refund_entry(merchant_id, pk)
    with tenant_context(entry.tenant):
        refunds.refund_merchant_decide(
            request_id=entry.request_id,
            merchant_id=merchant_id,
            approve=approve,
            amount_fen=amount_fen,
            note=note,
            by=by,
        )
    return merchant_refund_read(merchant_id=merchant_id, pk=pk)


def refund_shape(view: RefundView) -> dict[str, Any]:
    r = view.request
    return {
        "id": view.entry.pk,
        "company": view.entry.tenant.name,
        "order": view.entry.order_entry_id,
        "code": view.entry.code,
        "status": r.status,
        "status_label": str(r.get_status_display()),
        "line_title": r.line.title,
        "line_amount_fen": r.line.amount_fen,
        "line_refunded_fen": r.line.refunded_fen,
        "amount_fen": r.amount_fen,
        "approved_fen": r.approved_fen,
        "reason": r.reason,
        "merchant_note": r.merchant_note,
        "escalation_note": r.escalation_note,
        "company_note": r.company_note,
        "created_at": r.created_at,
        "photo_ids": view.photo_ids,
    }


@dataclass
class ReviewView:
    entry: ReviewEntry
    review: Review
    photo_ids: list[int]


def _review_entry(merchant_id: int, pk: int) -> ReviewEntry:
    entry = ReviewEntry.objects.select_related("tenant", "order_entry").filter(pk=pk, merchant_id=merchant_id).first()
    if entry is None:
        raise not_found()
    return entry


def merchant_review_read(*, merchant_id: int, pk: int) -> ReviewView:
    entry = _review_entry(merchant_id, pk)
    with tenant_context(entry.tenant):
        review = Review.objects.filter(pk=entry.review_id, merchant_id=merchant_id).first()
        if review is None:
            raise not_found()
        photo_ids = list(review.photos.values_list("pk", flat=True))
    return ReviewView(entry, review, photo_ids)


def merchant_review_reply(*, merchant_id: int, pk: int, text: str, by: User | None) -> ReviewView:
    entry = _review_entry(merchant_id, pk)
    with tenant_context(entry.tenant):
        reviews.review_reply(review_id=entry.review_id, merchant_id=merchant_id, text=text, by=by)
    return merchant_review_read(merchant_id=merchant_id, pk=pk)


def review_shape(view: ReviewView) -> dict[str, Any]:
    r = view.review
    return {
        "id": view.entry.pk,
        "company": view.entry.tenant.name,
        "order": view.entry.order_entry_id,
        "code": view.entry.code,
        "stars": r.stars,
        "text": r.text,
        "reply": r.reply,
        "replied_at": r.replied_at,
        "created_at": r.created_at,
        "photo_ids": view.photo_ids,
    }


def merchant_photo(*, merchant_id: int, kind: str, pk: int, photo_id: int) -> tuple[Any, AftersalePhoto]:
    """A photo of one of the merchant's refund requests or reviews (read in its company's schema); returns
    (tenant, photo) so the caller serves it inside that tenant's context."""
    entry: RefundEntry | ReviewEntry = (
        _refund_entry(merchant_id, pk) if kind == "refund" else _review_entry(merchant_id, pk)
    )
    with tenant_context(entry.tenant):
        owner = {"refund_id": entry.request_id} if isinstance(entry, RefundEntry) else {"review_id": entry.review_id}
        photo = AftersalePhoto.objects.filter(pk=photo_id, **owner).first()
        if photo is None:
            raise not_found()
    return entry.tenant, photo
