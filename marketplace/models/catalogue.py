"""A merchant's catalogue: goods (price, stock or unlimited, variants, unit, a limit per order) and services
(duration, service area, appointment slots with capacity), photos, and monthly specials (at most
SPECIALS_PER_MONTH a merchant a month: the documents' "10 specials a month"). Money is integer fen.

Stock and slot places are counters guarded by CHECK constraints; services take them with a conditional
UPDATE, never read-then-write (ARCHITECTURE.md "Capacity and races")."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .merchants import Merchant, merchant_file_path

SPECIALS_PER_MONTH = 10


class ListingKind(models.TextChoices):
    GOOD = "good", _("Goods")
    SERVICE = "service", _("Service")


class Listing(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="listings")
    kind = models.CharField(_("kind"), max_length=8, choices=ListingKind.choices)
    category = models.ForeignKey("marketplace.Category", on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    unit = models.CharField(_("unit"), max_length=10, blank=True, help_text=_("e.g. 斤, 份, 次, 小时"))
    per_order_limit = models.PositiveSmallIntegerField(_("limit per order"), null=True, blank=True)
    # Goods without variants: the count left, or None for unlimited. With variants, each variant has its own.
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)
    # Services.
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True)
    service_area = models.CharField(_("service area"), max_length=200, blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)
    # Figures the dashboard and the search's sorts read (part 2 keeps sales and ratings).
    views = models.PositiveIntegerField(default=0)
    sales = models.PositiveIntegerField(default=0)
    rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "is_active"], name="listing_merchant_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="good") | Q(duration_minutes__gt=0), name="listing_service_has_duration"
            ),
            models.CheckConstraint(
                condition=Q(kind="service") | Q(duration_minutes__isnull=True), name="listing_good_no_duration"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def unlimited(self) -> bool:
        return self.kind == ListingKind.GOOD and self.stock is None


class ListingVariant(models.Model):
    """A size, a weight, a flavour: its own price and stock (None: unlimited)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("variant"), max_length=40)
    price_fen = models.PositiveIntegerField(_("price (fen)"))
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["listing", "name"], name="listing_variant_name_once")]

    def __str__(self) -> str:
        return self.name


class ListingPhoto(models.Model):
    """Accepted through backend.uploads (kind PRODUCT_PHOTO: detected from the bytes, re-encoded)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=merchant_file_path)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of listing {self.listing_id}"


class ServiceSlot(models.Model):
    """An appointment slot of a service, with its places; `booked` only moves by a conditional UPDATE."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    booked = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["listing", "starts_at"], name="service_slot_listing_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="service_slot_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="service_slot_has_places"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="service_slot_not_overbooked"),
            models.UniqueConstraint(fields=["listing", "starts_at"], name="service_slot_start_once"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} @ {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class Special(models.Model):
    """特价: a listing's price for one month (`month` is its first day)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="specials")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="specials")
    month = models.DateField(_("month"))
    price_fen = models.PositiveIntegerField(_("special price (fen)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "month"], name="special_listing_month_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="special_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.month:%Y-%m}: {self.price_fen}"
