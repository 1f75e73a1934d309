"""What the platform tells a merchant: every company decision on its applications (and, in part 2, orders).
Kept in the public schema with the merchant, so the merchant portal lists them without entering a company;
`marketplace.notices.notify_merchant` writes one and pushes it live to the merchant's users."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .merchants import Merchant


class MerchantNotice(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="notices")
    # The company it concerns, if any (an application's decision); None for the platform's own notices.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="merchant_notices"
    )
    kind = models.CharField(max_length=40)  # e.g. "application.approved"
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)  # ids the portal links to, e.g. {"application": 7}
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="merchant_notice_feed")]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.kind}"
