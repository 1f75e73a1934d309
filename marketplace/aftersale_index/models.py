"""The per-merchant index of shop after-sale (public schema), as marketplace.orders_index is for orders: which
company holds which of a merchant's refund requests and reviews, with their status and stars, so the merchant
portal lists them across companies and then reads each one in its company's schema. The ratings of listings
and merchants are computed from these rows (every company's reviews count). No personal data here: no names,
no text, no photos (those stay in the company's schema)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class RefundEntry(models.Model):
    merchant = models.ForeignKey("marketplace.Merchant", on_delete=models.CASCADE, related_name="refund_index")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    request_id = models.BigIntegerField()
    order_entry = models.ForeignKey(
        "marketplace_orders_index.MerchantOrder", on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(max_length=20)  # the order's code
    status = models.CharField(max_length=20)
    amount_fen = models.PositiveIntegerField()
    approved_fen = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "status", "-created_at"], name="merchant_refund_queue")]
        constraints = [models.UniqueConstraint(fields=["tenant", "request_id"], name="refund_entry_once")]

    def __str__(self) -> str:
        return f"refund {self.tenant_id}/{self.request_id}"


class ReviewEntry(models.Model):
    merchant = models.ForeignKey("marketplace.Merchant", on_delete=models.CASCADE, related_name="review_index")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    review_id = models.BigIntegerField()
    order_entry = models.ForeignKey(
        "marketplace_orders_index.MerchantOrder", on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(max_length=20)
    stars = models.PositiveSmallIntegerField()
    replied = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="merchant_review_list")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "review_id"], name="review_entry_once"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="review_entry_stars"),
        ]

    def __str__(self) -> str:
        return f"review {self.tenant_id}/{self.review_id} ({self.stars}★)"


class ReviewListing(models.Model):
    """A review's stars for each listing of the reviewed order (once per listing): the listing's rating."""

    review = models.ForeignKey(ReviewEntry, on_delete=models.CASCADE, related_name="listings")
    listing = models.ForeignKey("marketplace.Listing", on_delete=models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "listing"], name="review_listing_once")]
        indexes = [models.Index(fields=["listing"], name="review_listing_listing")]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.stars}★"
