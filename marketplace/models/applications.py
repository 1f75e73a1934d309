"""A merchant's application to one company, and that company's standing decision on it.

It lives in the public schema (ARCHITECTURE.md puts approvals in the company's schema; issue 14, newer, puts
merchant data in the public schema and issue 17 exports "merchant approvals" among a company's public rows):
search visibility and the merchant portal both read it without entering a company. Every decision is audited
in the company's own log (marketplace/vetting.py). Estates are the company's estate ids; their names are kept
as the merchant saw them, since the merchant cannot read the company's schema."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .merchants import Merchant


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")  # by the merchant, while it was pending; it may apply again


class MerchantApplication(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="applications")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="merchant_applications")
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices, default="pending")
    # What the merchant asked for: estate ids of the company, with their names as shown, and category codes.
    estate_ids = ArrayField(models.BigIntegerField(), default=list)
    estate_names = models.JSONField(default=dict)  # {"<estate id>": "阳光花园"}
    category_codes = ArrayField(models.CharField(max_length=40), default=list)
    message = models.TextField(_("message to the company"), blank=True)
    # What the company granted (a subset of what was asked); empty until approved.
    approved_estate_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    approved_category_codes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)  # of the last rejection, suspension or resumption
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One standing application per (merchant, company): a rejected one is re-submitted, not duplicated.
            models.UniqueConstraint(fields=["merchant", "tenant"], name="merchant_application_once"),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="merchant_application_queue")]

    def __str__(self) -> str:
        return f"{self.merchant_id} → {self.tenant_id} ({self.status})"
