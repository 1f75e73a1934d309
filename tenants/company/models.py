"""Per-company settings, kept in the company's own schema. The template schema holds the defaults,
so a freshly cloned company starts with them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CompanySettings(models.Model):
    # A single row (id=1) per schema.
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    service_phone = models.CharField(_("service hotline"), max_length=30, blank=True)
    billing_day = models.PositiveSmallIntegerField(_("bill run day of month"), default=1)
    payment_due_day = models.PositiveSmallIntegerField(_("payment due day of month"), default=10)
    collection_rate_target_pct = models.PositiveSmallIntegerField(_("collection rate target %"), default=95)
    resident_self_signup = models.BooleanField(_("residents may sign up on the portal"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(singleton=True), name="company_settings_single_row"),
            models.CheckConstraint(
                condition=models.Q(billing_day__gte=1, billing_day__lte=28),
                name="company_settings_billing_day",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or "company settings"
