"""After-sale of shop orders, in the company's schema (imported by models.py): per-line refund requests after
delivery, one review per completed order, and residents' complaints (投诉) against a merchant; their photos.
Money is integer fen.

A refund request: pending (the merchant decides) → approved (in full or in part: `approved_fen`) | declined →
escalated (the resident asks the company) → company_approved | company_declined (final); or withdrawn by the
resident while pending. At most one open request (pending or escalated) per order line.

A complaint: open → in_review → upheld | dismissed (with an outcome; upholding may suspend the merchant)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.storage import company_file_path


def aftersale_photo_path(instance: object, filename: str) -> str:
    return company_file_path("shop-aftersale", filename)


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the merchant")
    APPROVED = "approved", _("Approved by the merchant")
    DECLINED = "declined", _("Declined by the merchant")
    ESCALATED = "escalated", _("Escalated to the property company")
    COMPANY_APPROVED = "company_approved", _("Approved by the property company")
    COMPANY_DECLINED = "company_declined", _("Declined by the property company")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_REFUND = (RefundStatus.PENDING, RefundStatus.ESCALATED)


class RefundRequest(models.Model):
    order = models.ForeignKey("marketplace_orders.Order", on_delete=models.PROTECT, related_name="refund_requests")
    line = models.ForeignKey("marketplace_orders.OrderLine", on_delete=models.PROTECT, related_name="refund_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="+")
    merchant_id = models.BigIntegerField(db_index=True)
    status = models.CharField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    amount_fen = models.PositiveIntegerField()  # asked for
    approved_fen = models.PositiveIntegerField(default=0)  # refunded by the decision
    reason = models.CharField(max_length=500)
    merchant_note = models.CharField(max_length=500, blank=True)
    escalation_note = models.CharField(max_length=500, blank=True)
    company_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    merchant_decided_at = models.DateTimeField(null=True, blank=True)
    merchant_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    company_decided_at = models.DateTimeField(null=True, blank=True)
    company_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    refund_ids = models.JSONField(default=list, blank=True)  # payments' Refund rows the approval made

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="shop_refund_status")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="shop_refund_amount_positive"),
            models.CheckConstraint(condition=Q(approved_fen__lte=models.F("amount_fen")), name="shop_refund_at_most"),
            models.UniqueConstraint(
                fields=["line"], condition=Q(status__in=["pending", "escalated"]), name="shop_refund_one_open_per_line"
            ),
        ]

    def __str__(self) -> str:
        return f"refund of line {self.line_id}: {self.amount_fen} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFUND

    @property
    def partial(self) -> bool:
        return 0 < self.approved_fen < self.amount_fen


class Review(models.Model):
    order = models.OneToOneField("marketplace_orders.Order", on_delete=models.PROTECT, related_name="review")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    merchant_id = models.BigIntegerField(db_index=True)
    stars = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True, max_length=1000)
    reply = models.TextField(blank=True, max_length=1000)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="shop_review_stars")]

    def __str__(self) -> str:
        return f"review of {self.order_id}: {self.stars}★"


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Submitted")
    IN_REVIEW = "in_review", _("Being looked into")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class Complaint(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="+")
    merchant_id = models.BigIntegerField(db_index=True)
    merchant_name = models.CharField(max_length=100)
    order = models.ForeignKey(
        "marketplace_orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    subject = models.CharField(max_length=100)
    text = models.TextField(max_length=2000)
    status = models.CharField(max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN)
    outcome = models.TextField(blank=True, max_length=1000)
    suspended = models.BooleanField(default=False)  # the decision suspended the merchant in this company
    created_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant_id", "-created_at"], name="shop_complaint_merchant")]

    def __str__(self) -> str:
        return f"complaint {self.pk} against {self.merchant_name}"


class AftersalePhoto(models.Model):
    """A photo of a refund request, a review or a complaint (exactly one), accepted through backend.uploads."""

    refund = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="photos")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, null=True, blank=True, related_name="photos")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, null=True, blank=True, related_name="photos")
    image = models.FileField(upload_to=aftersale_photo_path)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(refund__isnull=False, review__isnull=True, complaint__isnull=True)
                    | Q(refund__isnull=True, review__isnull=False, complaint__isnull=True)
                    | Q(refund__isnull=True, review__isnull=True, complaint__isnull=False)
                ),
                name="shop_aftersale_photo_of_one",
            )
        ]

    def __str__(self) -> str:
        return f"photo {self.pk}"
