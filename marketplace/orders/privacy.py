"""Shop after-sale in a resident's data download and erasure (backend/privacy/registry.py); the orders
themselves are backend/privacy/personal_data.py's and erasure.py's.

Download: their refund requests (reason, decisions, amounts), reviews (with the merchant's reply) and
complaints against merchants, each with how many photos they sent.
Erasure: refund requests stay with their amounts (the refunds they made are payments' Refund rows and the
payables ledger's entries, which are not touched), complaints stay with their outcome (a decision may have
suspended the merchant), reviews stay with their stars (the merchant's rating): the words the resident wrote
go (a review's text, an escalation's note) or lose the person's name and phone (a refund's reason, a
complaint's text), and every photo they sent is deleted, rows and files."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from backend.accounts.models import User
from backend.privacy.registry import ErasureLog, PrivacyPart, Subject, scrub_text, when
from backend.properties.models import Unit

from .models import AftersalePhoto, Complaint, RefundRequest, Review


def aftersale_data(user: User, units: list[Unit]) -> dict[str, Any]:
    refunds = RefundRequest.objects.filter(user=user).select_related("order", "line").prefetch_related("photos")
    reviews = Review.objects.filter(user=user).select_related("order").prefetch_related("photos")
    complaints = Complaint.objects.filter(user=user).select_related("order").prefetch_related("photos")
    return {
        "refund_requests": [
            {
                "order": r.order.code,
                "item": r.line.title,
                "amount_fen": r.amount_fen,
                "approved_fen": r.approved_fen,
                "reason": r.reason,
                "status": r.status,
                "merchant_note": r.merchant_note,
                "escalation_note": r.escalation_note,
                "company_note": r.company_note,
                "photos": len(r.photos.all()),
                "created_at": when(r.created_at),
            }
            for r in refunds.order_by("created_at", "id")
        ],
        "reviews": [
            {
                "order": r.order.code,
                "stars": r.stars,
                "text": r.text,
                "reply": r.reply,
                "photos": len(r.photos.all()),
                "created_at": when(r.created_at),
            }
            for r in reviews.order_by("created_at", "id")
        ],
        "complaints": [
            {
                "merchant": c.merchant_name,
                "order": c.order.code if c.order else None,
                "subject": c.subject,
                "text": c.text,
                "status": c.status,
                "outcome": c.outcome,
                "photos": len(c.photos.all()),
                "created_at": when(c.created_at),
            }
            for c in complaints.order_by("created_at", "id")
        ],
    }


def aftersale_erase(subject: Subject, log: ErasureLog) -> None:
    user = subject.user
    photos = AftersalePhoto.objects.filter(Q(refund__user=user) | Q(review__user=user) | Q(complaint__user=user))
    log.count("orders.aftersale_photo_files", log.drop_files(photos, "image"))
    log.count("orders.aftersalephoto", photos.delete()[0])
    refunds = RefundRequest.objects.filter(user=user)
    scrub_text(refunds, ("reason", "merchant_note", "company_note"), subject)
    log.count("orders.refundrequest", refunds.update(escalation_note=""))
    reviews = Review.objects.filter(user=user)
    scrub_text(reviews, ("reply",), subject)
    log.count("orders.review", reviews.update(text=""))
    complaints = Complaint.objects.filter(user=user)
    scrub_text(complaints, ("subject", "text", "outcome"), subject)
    log.count("orders.complaint", complaints.count())


PART = PrivacyPart(
    app="marketplace_orders",
    collectors={"shop_aftersale": aftersale_data},
    erase=aftersale_erase,
    covers={
        "marketplace_orders.RefundRequest": frozenset({"user", "unit", "reason"}),
        "marketplace_orders.Review": frozenset({"user", "text"}),
        "marketplace_orders.Complaint": frozenset({"user", "unit", "text"}),
        "marketplace_orders.AftersalePhoto": frozenset({"image"}),
    },
)
