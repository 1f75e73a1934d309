"""A merchant (商家) on the platform: one account serving many companies, each vetting it separately
(MerchantApplication). Its users are platform users (accounts.User) holding a MerchantMember row, as owner or
clerk; a merchant user is not a member of any company because of it."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def merchant_file_path(instance: Any, filename: str) -> str:
    """Merchant files live under merchants/ (the platform's, not any company's); `filename` is the name
    backend.uploads gives an accepted file, so its extension is the detected format's."""
    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"merchants/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class MerchantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")  # closed by the merchant or the platform: visible nowhere


class Merchant(models.Model):
    name = models.CharField(_("business name"), max_length=100)
    licence_number = models.CharField(
        _("licence number"), max_length=30, unique=True, help_text=_("统一社会信用代码 on the business licence.")
    )
    licence = models.FileField(_("business licence (营业执照)"), upload_to=merchant_file_path)
    contact_name = models.CharField(_("contact"), max_length=60)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    address = models.CharField(_("address"), max_length=200)
    service_area = models.CharField(_("service area"), max_length=200, blank=True)
    description = models.TextField(_("about"), blank=True)
    categories = models.ManyToManyField("marketplace.Category", related_name="merchants", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=MerchantStatus.choices, default="active")
    # Stars over its listings' reviews (part 2 keeps them); None until reviewed.
    rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("merchant")

    def __str__(self) -> str:
        return self.name


class MerchantRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    CLERK = "clerk", _("Clerk")


class MerchantMember(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_members")
    role = models.CharField(_("role"), max_length=10, choices=MerchantRole.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="merchant_member_once"),
            # A user works for one merchant at a time (the merchant portal has no merchant switcher).
            models.UniqueConstraint(fields=["user"], condition=Q(is_active=True), name="merchant_member_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.merchant_id} ({self.role})"
