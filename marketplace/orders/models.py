"""Shop orders, in the company's schema (residents' data never leaves it): a resident's cart, and the orders a
checkout makes of it, one per merchant, with their lines' snapshots (title, unit price, quantity, the
commission at the category's rate). Listings, variants and slots live in the public schema and are referred
to by id. Money is integer fen.

Status path: pending_payment → paid → accepted → in_delivery | in_service → delivered → completed (→ reviewed,
later), with rejected (by the merchant, refunded), cancelled (by the resident before acceptance, refunded when
paid) and expired (not paid in time). Each line is charged as a bill line on the home's ledger and paid through
the existing payments flow (as the club's bookings); `refunded_fen` per line is what went back, never above
what was paid."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Cart(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"cart of {self.user_id}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    listing_id = models.BigIntegerField()
    variant_id = models.BigIntegerField(null=True, blank=True)
    slot_id = models.BigIntegerField(null=True, blank=True)
    quantity = models.PositiveSmallIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_item_quantity_positive"),
            models.UniqueConstraint(
                fields=["cart", "listing_id", "variant_id", "slot_id"],
                name="cart_item_once",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × listing {self.listing_id}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid, waiting for the merchant")
    ACCEPTED = "accepted", _("Accepted")
    IN_DELIVERY = "in_delivery", _("On its way")
    IN_SERVICE = "in_service", _("In service")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    REVIEWED = "reviewed", _("Reviewed")
    REJECTED = "rejected", _("Rejected by the merchant")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (not paid in time)")


class Fulfilment(models.TextChoices):
    DELIVERY = "delivery", _("Delivery to my home")
    PICKUP = "pickup", _("Pickup")


class RefundState(models.TextChoices):
    NONE = "none", _("No refund")
    GATEWAY = "gateway", _("Refund sent to the card")
    DONE = "done", _("Refunded")


class Order(models.Model):
    code = models.CharField(max_length=20, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="shop_orders")
    merchant_id = models.BigIntegerField(db_index=True)
    merchant_name = models.CharField(max_length=100)
    fulfilment = models.CharField(max_length=8, choices=Fulfilment.choices, default=Fulfilment.DELIVERY)
    # What fulfilment needs, captured at checkout: the resident's name, the home's label, a phone.
    contact_name = models.CharField(max_length=100)
    contact_phone = models.CharField(max_length=30, blank=True)
    unit_label = models.CharField(max_length=120)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    total_fen = models.PositiveIntegerField()
    commission_fen = models.PositiveIntegerField(default=0)
    refunded_fen = models.PositiveIntegerField(default=0)
    # Stock / slot places taken at checkout and not given back yet (released exactly once).
    reserved = models.BooleanField(default=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey("billing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the stored name and phone were masked, SHOP_PERSONAL_DATA_DAYS after the close (personal_data.py).
    personal_data_scrubbed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=300, blank=True)
    refund_state = models.CharField(max_length=8, choices=RefundState.choices, default=RefundState.NONE)
    refund_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="shop_order_user"),
            models.Index(fields=["status", "expires_at"], name="shop_order_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(refunded_fen__lte=F("total_fen")), name="order_refund_at_most_total"),
        ]

    def __str__(self) -> str:
        return self.code


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    listing_id = models.BigIntegerField()
    variant_id = models.BigIntegerField(null=True, blank=True)
    slot_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=8)
    title = models.CharField(max_length=80)
    variant_name = models.CharField(max_length=40, blank=True)
    slot_starts_at = models.DateTimeField(null=True, blank=True)
    unit_price_fen = models.PositiveIntegerField()
    quantity = models.PositiveSmallIntegerField()
    amount_fen = models.PositiveIntegerField()
    category_code = models.SlugField(max_length=40)
    commission_bp = models.PositiveIntegerField()
    commission_fen = models.PositiveIntegerField()
    refunded_fen = models.PositiveIntegerField(default=0)
    charge = models.OneToOneField(
        "billing.BillLine", on_delete=models.PROTECT, null=True, blank=True, related_name="shop_order_line"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(refunded_fen__lte=F("amount_fen")), name="order_line_refund_at_most"),
            models.CheckConstraint(
                condition=Q(commission_fen__lte=F("amount_fen")), name="order_line_commission_at_most"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"


# After-sale (refund requests, reviews, complaints): their own module, registered with this app.
from .aftersale_models import (  # noqa: E402
    AftersalePhoto,
    Complaint,
    ComplaintStatus,
    RefundRequest,
    RefundStatus,
    Review,
)

__all__ = [
    "AftersalePhoto",
    "Cart",
    "CartItem",
    "Complaint",
    "ComplaintStatus",
    "Fulfilment",
    "Order",
    "OrderLine",
    "OrderStatus",
    "RefundRequest",
    "RefundState",
    "RefundStatus",
    "Review",
]
