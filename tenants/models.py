"""A property company (物业公司) is a tenant: one PostgreSQL schema, reached through its domains."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from .host_cache import hosts_forget

PUBLIC_SCHEMA = "public"


class Tenant(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        # The schema new companies are cloned from; never served, never scheduled.
        TEMPLATE = "template", _("Template")
        # A ready clone of the template, waiting to become the next company (see tenants/spares.py).
        SPARE = "spare", _("Spare")
        PLATFORM = "platform", _("Platform")

    name = models.CharField(_("company name"), max_length=100)
    slug = models.SlugField(_("subdomain"), max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspended_reason = models.CharField(max_length=300, blank=True)
    currency = models.CharField(max_length=3, default="CNY")
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai")
    default_language = models.CharField(max_length=10, default="zh-hans")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the company asked to leave (tenants/deletion.py): suspended now, deleted for good after this.
    delete_after = models.DateTimeField(null=True, blank=True)

    # Schemas are made by tenants.services (cloned from the template), never as a side effect of save().
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "suspended", "template", "spare", "platform"]),
                name="tenant_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    # The host → tenant cache (tenants/hosts.py) forgets this company's hosts whenever it changes.
    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        hosts_forget(Domain.objects.filter(tenant_id=self.pk).values_list("domain", flat=True))

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        hosts = list(self.domains.values_list("domain", flat=True)) if self.pk else []
        result = super().delete(*args, **kwargs)
        hosts_forget(hosts)
        return result

    @property
    def is_company(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.SUSPENDED)

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED


class Domain(DomainMixin):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_primary=True), name="domain_one_primary_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        before = Domain.objects.filter(pk=self.pk).values_list("domain", flat=True).first() if self.pk else None
        super().save(*args, **kwargs)
        hosts_forget([self.domain, before or ""])

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)
        hosts_forget([self.domain])
        return result


def django_now() -> Any:
    from django.utils import timezone

    return timezone.now()


class SupportGrant(models.Model):
    """A platform operator's time-limited access to one company, given with a reason (tenants/support.py). It
    works through a membership of the operator in that company, ended when the grant expires or is revoked;
    every step is written to the company's own audit log."""

    operator = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="support_grants")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="support_grants")
    reason = models.CharField(max_length=300)
    role = models.CharField(max_length=32)
    granted_at = models.DateTimeField(default=django_now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["operator", "tenant", "expires_at"], name="support_grant_active")]

    def __str__(self) -> str:
        return f"support {self.operator_id} → {self.tenant_id} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.ended_at is None and self.expires_at > timezone.now()
