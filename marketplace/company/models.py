"""Per company (tenant schema): category switches and commission rates, and listings hidden by moderation.
Rows refer to the platform's categories and listings by code and id (public schema)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# A category without a row is on, at this commission (basis points: 500 = 5.00%).
DEFAULT_COMMISSION_BP = 500


class CategorySetting(models.Model):
    category_code = models.SlugField(_("category"), max_length=40, unique=True)
    enabled = models.BooleanField(_("on"), default=True)
    commission_bp = models.PositiveIntegerField(
        _("commission (basis points)"), default=DEFAULT_COMMISSION_BP, help_text=_("500 = 5.00%")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(commission_bp__lte=10000), name="commission_at_most_all")]

    def __str__(self) -> str:
        return f"{self.category_code}: {'on' if self.enabled else 'off'} {self.commission_bp / 100:.2f}%"


class ListingHide(models.Model):
    """Moderation: a listing this company's residents no longer see, with the reason (the merchant sees it)."""

    listing_id = models.BigIntegerField(unique=True)
    reason = models.TextField(_("reason"))
    hidden_at = models.DateTimeField(auto_now_add=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"listing {self.listing_id} hidden"
